import FaxdCore
import FaxdTestSupport
import Foundation
import Testing

/// The job ledger (issue #10) as an operator meets it: `faxd broker`, `faxd sandbox`, workers and
/// kcat as separate processes. mintfax's 24 hours are played by the sandbox forgetting its keys
/// (`POST /_sandbox/expire-idempotency-keys`) and, where the ledger's own clock matters, by
/// `late_replay_after_hours: 0` (every earlier request counts as older than mintfax's key window).
@Suite(.serialized) struct JobLedgerProcessTests {
    private static let jobCount = 20

    private static func jobs(_ prefix: String, count: Int = jobCount) -> [(tenant: String, id: String)] {
        (0..<count).map { ("t\($0 % 2 + 1)", "\(prefix)-\($0)") }
    }

    private static func key(_ tenant: String, _ job: String) -> String { IdempotencyKey(tenantID: tenant, jobID: job).description }

    enum Hostile: String, CaseIterable, Sendable {
        /// Every lookup answers 503.
        case lookupsFail
        /// The tenant is zero-footprint: the tag search finds nothing.
        case zeroFootprint
    }

    /// A replay of every job after mintfax forgot their keys sends nothing again, while mintfax could
    /// not tell (lookups failing, or nothing kept): the ledger knows, and the re-emitted events are
    /// the originals, fax ids and event ids alike.
    @Test(arguments: Hostile.allCases)
    func aReplayAfterTheKeysExpiredSendsNoSecondFax(hostile: Hostile) async throws {
        let harness = try await PipelineHarness(partitions: 2, zeroFootprint: hostile == .zeroFootprint)
        let retention = hostile == .zeroFootprint ? ["t1": "retention: zero_footprint", "t2": "retention: zero_footprint"] : [:]
        let jobs = Self.jobs("replay")
        try await harness.produce(jobs.map { PipelineHarness.job(tenant: $0.tenant, id: $0.id) })
        let first = try await harness.startWorker(tenants: 2, tenantExtras: retention)
        let original = try await harness.statusEvents { $0.filter { $0.type == .submitted }.count == Self.jobCount }
            .filter { $0.type == .submitted }
        #expect(try await first.stop() == 0)

        try await harness.sandboxControl("expire-idempotency-keys")
        if hostile == .lookupsFail { try await harness.sandboxControl("faults", json: #"{"lookup_error_rate": 1}"#) }
        try await harness.runFaxd(["replay", "--group", harness.groupID, "--to-beginning"])
        let second = try await harness.startWorker(tenants: 2, tenantExtras: retention)
        let all = try await harness.statusEvents { $0.filter { $0.type == .submitted }.count == 2 * Self.jobCount }
        #expect(second.isRunning)

        let posts = try await harness.sandboxSubmissions()
        #expect(posts.count == Self.jobCount, "the replay reached mintfax again: \(posts.count) POSTs for \(Self.jobCount) jobs")
        #expect(try await harness.sandboxFaxes().count == Self.jobCount)
        let resubmitted = all.filter { $0.type == .submitted }.dropFirst(Self.jobCount)
        #expect(Set(resubmitted.map(\.eventID)) == Set(original.map(\.eventID)), "the replay's events have the original ids")
        #expect(
            Dictionary(uniqueKeysWithValues: resubmitted.map { ($0.jobID, $0.faxID) })
                == Dictionary(uniqueKeysWithValues: original.map { ($0.jobID, $0.faxID) })
        )
        #expect(!all.contains { $0.type == .duplicate }, "a replay of the same records is not a duplicate")
        await harness.stop()
    }

    /// A worker SIGKILLed while its requests are at mintfax leaves jobs whose outcome it never
    /// recorded. Past the key window, the next worker looks them up instead of sending them: the
    /// faxes mintfax created are reported, and none is sent twice.
    @Test func aWorkerKilledBetweenThePostAndItsAcknowledgementLeavesNoSecondFax() async throws {
        let harness = try await PipelineHarness(partitions: 2, sandboxFaults: "faults:\n  latency: {min_ms: 15000, max_ms: 15000}")
        let jobs = Self.jobs("killed", count: 6)
        let window = ["FAXD_DISPATCH_LATE_REPLAY_AFTER_HOURS": "0"]
        let first = try await harness.startWorker(tenants: 2, environment: window)
        try await harness.produce(jobs.map { PipelineHarness.job(tenant: $0.tenant, id: $0.id) })
        // Each job's attempt is on the ledger just before its request goes out; mintfax holds each
        // request 15 s. A second after the last attempt every request is at mintfax, unanswered.
        try await Eventually.wait(for: "an attempt on the ledger for every job", timeout: .seconds(60), interval: .milliseconds(200)) {
            (try? await harness.readAll("fax.ledger").count) == jobs.count
        }
        try await Task.sleep(for: .seconds(1))
        _ = try await first.stop(signal: SIGKILL)
        // What matters is that no fax's 201 reached the worker. A job the worker ran again meanwhile
        // (under a loaded machine it once did, each answered 409 in progress after 15 s) sends no
        // second fax, and does not count as the next worker's.
        let created201 = try await harness.sandboxSubmissions().filter { $0.status == 201 }
        #expect(created201.isEmpty, "no fax's answer had reached the worker when it was killed: \(created201)")
        // mintfax finishes the requests the worker no longer waits for.
        try await Eventually.wait(for: "mintfax to create every fax", timeout: .seconds(60)) {
            (try? await harness.sandboxFaxes().count) == jobs.count
        }
        let created = Dictionary(uniqueKeysWithValues: try await harness.sandboxFaxes().map { ($0.key, $0) })

        try await harness.sandboxControl("faults")
        try await harness.sandboxControl("expire-idempotency-keys")
        let postsBefore = try await harness.sandboxSubmissions().count
        try await harness.startWorker(tenants: 2, environment: window)
        let events = try await harness.statusEvents { $0.filter { $0.type == .submitted }.count == jobs.count }

        #expect(try await harness.sandboxSubmissions().count == postsBefore, "the next worker sent a job again")
        #expect(try await harness.sandboxFaxes().count == jobs.count)
        for event in events where event.type == .submitted {
            #expect(created[Self.key(event.tenantID, event.jobID)] != nil, "\(event.jobID) has no fax at mintfax")
        }
        #expect(Set(events.filter { $0.type == .submitted }.map(\.jobID)) == Set(jobs.map(\.id)))
        await harness.stop()
    }

    /// A redrive, past the key window, of a job whose only attempts timed out (mintfax created the
    /// fax after the worker gave up), and a producer re-sending a finished job id: neither is sent
    /// again, and each gets a `fax.duplicate` naming the fax.
    @Test func aRedriveAndAReSentJobIdAreNotSentAgainAndSayWhy() async throws {
        let harness = try await PipelineHarness(partitions: 1, sandboxFaults: "faults:\n  latency: {min_ms: 2500, max_ms: 2500}")
        try await harness.startWorker(
            tenants: 1,
            requestTimeoutMS: 500,
            extraConfiguration: "",
            environment: ["FAXD_DISPATCH_LATE_REPLAY_AFTER_HOURS": "0", "FAXD_DISPATCH_RETRY_BUDGET_SECONDS": "1"]
        )
        try await harness.produce([PipelineHarness.job(tenant: "t1", id: "timed-out")])
        _ = try await harness.statusEvents { $0.contains { $0.jobID == "timed-out" && $0.type == .deadLettered } }
        try await Eventually.wait(for: "mintfax to create the fax after the timeout", timeout: .seconds(30)) {
            (try? await harness.sandboxFaxes().count) == 1
        }
        try await harness.sandboxControl("faults")
        try await harness.sandboxControl("expire-idempotency-keys")
        try await harness.runFaxd(["redrive"])

        try await harness.produce([PipelineHarness.job(tenant: "t1", id: "finished")])
        _ = try await harness.statusEvents { $0.contains { $0.jobID == "finished" && $0.type == .submitted } }
        try await harness.produce([PipelineHarness.job(tenant: "t1", id: "finished")])
        let events = try await harness.statusEvents { $0.filter { $0.type == .duplicate }.count == 2 }

        let faxes = try await harness.sandboxFaxes()
        #expect(faxes.count == 2, "one fax per job: \(faxes.map(\.key))")
        for job in ["timed-out", "finished"] {
            let faxID = events.first { $0.jobID == job && $0.type == .submitted }?.faxID
            let duplicate = events.first { $0.jobID == job && $0.type == .duplicate }
            #expect(faxID != nil)
            #expect(duplicate?.faxID == faxID)
            #expect(duplicate?.error?.code == "already_submitted")
            #expect(duplicate?.error?.message.contains(faxID ?? "-") == true)
        }
        #expect(faxes.contains { $0.key == Self.key("t1", "timed-out") })
        await harness.stop()
    }

    /// A zero-footprint tenant, every webhook lost: the reconciler finds each fax through the ledger
    /// (mintfax keeps no tags to map it back) within mintfax's short window, and closes each hold
    /// exactly once — the pages `faxd usage report` counts as captured are the pages mintfax sent.
    @Test func zeroFootprintWithEveryWebhookLostClosesEveryHoldOnce() async throws {
        let harness = try await PipelineHarness(partitions: 2, sandboxTimeScale: 0.05, zeroFootprint: true, zeroFootprintGraceSeconds: 30)
        let numbers = ["+15005550001", "+15005550007", "+15005550008", "+15005550004", "+15005550002"]
        let jobs = (0..<10).map { (tenant: "t\($0 % 2 + 1)", id: "zf-\($0)", to: numbers[$0 % numbers.count]) }
        try await harness.produce(jobs.map { PipelineHarness.job(tenant: $0.tenant, id: $0.id, to: $0.to) })
        // No webhook URL: mintfax has nowhere to send webhooks, as when every one is lost.
        try await harness.startWorker(
            tenants: 2,
            tenantExtras: ["t1": "retention: zero_footprint", "t2": "retention: zero_footprint"],
            extraConfiguration: """
                webhooks:
                  enabled: false
                delivery:
                  reconcile_after_seconds: 600
                  reconcile_interval_seconds: 1
                """
        )
        let finals: Set<StatusEvent.Kind> = [.delivered, .failed]
        let events = try await harness.statusEvents { events in
            Set(events.filter { finals.contains($0.type) }.map(\.jobID)).count == jobs.count
        }
        #expect(Set(events.filter { finals.contains($0.type) }.map(\.jobID)) == Set(jobs.map(\.id)))
        #expect(events.filter { finals.contains($0.type) }.allSatisfy { $0.source == .reconciler })

        let faxes = try await harness.sandboxFaxStates()
        let delivered = faxes.filter { $0.status == "delivered" }
        #expect(delivered.count == 6 && faxes.count == jobs.count, "\(faxes)")
        let report = try await harness.usageReport()
        #expect(report.totals["held"] == jobs.count)
        #expect(report.totals["open_holds"] == 0, "every hold is captured or released")
        #expect(report.totals["captured"] == delivered.count)
        #expect(report.totals["released"] == jobs.count - delivered.count)
        #expect(report.totals["pages_captured"] == delivered.reduce(0) { $0 + ($1.pages ?? 0) }, "captured pages are the pages sent")
        #expect(report.records["duplicates_dropped"] == 0, "each fact published once")
        await harness.stop()
    }
}

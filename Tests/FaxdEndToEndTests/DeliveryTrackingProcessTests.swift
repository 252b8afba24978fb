import FaxdCore
import FaxdKafka
import FaxdTestSupport
import Foundation
import Synchronization
import Testing

/// Delivery tracking over real processes: `faxd broker`, `faxd sandbox` (signed webhooks, time-scaled),
/// a `faxd worker` (dispatch, reconciler, balance watch) and `faxd webhooks` apart from it, as a
/// deployment that separates the ingress runs them.
@Suite(.serialized) struct DeliveryTrackingProcessTests {
    /// A magic number (API.md §8.2), the status types its job ends with after `fax.submitted` (in
    /// order), and its one usage fact besides the hold.
    struct Scenario: Sendable {
        var number: String
        var lifecycle: [String]
        var usage: String?
        var pages: Int?
        var error: String?
    }

    static let sending3 = Array(repeating: "fax.sending", count: 3)
    static let scenarios: [Scenario] = [
        Scenario(number: "+15005550001", lifecycle: ["fax.queued", "fax.sending", "fax.delivered"], usage: "usage.capture", pages: 1),
        Scenario(number: "+15005550002", lifecycle: ["fax.queued"] + sending3 + ["fax.failed"], usage: "usage.release", error: "busy"),
        Scenario(number: "+15005550003", lifecycle: ["fax.queued"] + sending3 + ["fax.failed"], usage: "usage.release", error: "no_answer"),
        Scenario(
            number: "+15005550004",
            lifecycle: ["fax.queued", "fax.sending", "fax.sending", "fax.delivered"],
            usage: "usage.capture",
            pages: 1
        ),
        Scenario(
            number: "+15005550005",
            lifecycle: ["fax.queued"] + sending3 + ["fax.failed"],
            usage: "usage.release",
            error: "line_quality"
        ),
        Scenario(number: "+15005550007", lifecycle: ["fax.queued", "fax.sending", "fax.delivered"], usage: "usage.capture", pages: 3),
        Scenario(
            number: "+15005550008",
            lifecycle: ["fax.queued", "fax.sending", "fax.failed"],
            usage: "usage.release",
            error: "invalid_number"
        ),
    ]
    static let finalTypes: Set<String> = ["fax.delivered", "fax.failed", "fax.rejected", "fax.dead_lettered", "fax.expired"]

    /// Status events by `tenant/job`, in topic order (one tenant's events share a partition).
    static func byJob(_ records: [KafkaRecord]) -> [String: [StatusEvent]] {
        var jobs: [String: [StatusEvent]] = [:]
        for record in records {
            guard let event = try? JSONDecoder().decode(StatusEvent.self, from: Data(record.value)) else { continue }
            jobs["\(event.tenantID)/\(event.jobID)", default: []].append(event)
        }
        return jobs
    }

    static func usageByJob(_ records: [KafkaRecord]) -> [String: [UsageEvent]] {
        var jobs: [String: [UsageEvent]] = [:]
        for record in records {
            guard let event = try? JSONDecoder().decode(UsageEvent.self, from: Data(record.value)) else { continue }
            jobs["\(event.tenantID)/\(event.jobID ?? "-")", default: []].append(event)
        }
        return jobs
    }

    /// Reads `fax.status` until every job of `jobs` has a final event.
    static func waitForFinalStates(_ harness: PipelineHarness, _ jobs: Set<String>) async throws {
        let finished = Mutex<Set<String>>([])
        _ = try await harness.read("fax.status", timeout: .seconds(120)) { record in
            guard let event = try? JSONDecoder().decode(StatusEvent.self, from: Data(record.value)) else { return false }
            return finished.withLock { finished in
                if finalTypes.contains(event.type.rawValue) { finished.insert("\(event.tenantID)/\(event.jobID)") }
                return finished.isSuperset(of: jobs)
            }
        }
        let done = finished.withLock { $0 }
        #expect(done.isSuperset(of: jobs), "jobs without a final event: \(jobs.subtracting(done).sorted())")
    }

    @Test func everyMagicNumberGivesItsStatusSequenceAndOneUsageFactAndTheReconcilerFillsInWhileWebhooksAreDown() async throws {
        let harness = try await PipelineHarness(partitions: 3, sandboxTimeScale: 0.2)
        let port = freeLocalPort()
        // t2's balance rejection opens its key's circuit: a key of its own, so the others' jobs go on.
        try await harness.startWorker(
            otherKey: ["t2"],
            tenantExtras: ["t4": "balance_threshold_cents: 200000000"],
            extraConfiguration: """
                webhooks:
                  enabled: false
                  public_base_url: http://127.0.0.1:\(port)
                delivery:
                  reconcile_after_seconds: 3
                  reconcile_interval_seconds: 1
                balance:
                  interval_seconds: 1
                """
        )
        var webhooks = try await harness.startWebhooks(port: port)

        // Every carrier scenario twice (tenants t1 and t3), the balance rejection alone on t2 (its
        // circuit opens), the validation failure on t5.
        var lines: [String] = []
        var expected: [String: Scenario] = [:]
        for (round, tenant) in ["t1", "t3"].enumerated() {
            for scenario in Self.scenarios {
                let id = "m\(round)-\(scenario.number.suffix(4))"
                lines.append(PipelineHarness.job(tenant: tenant, id: id, to: scenario.number))
                expected["\(tenant)/\(id)"] = scenario
            }
        }
        lines.append(PipelineHarness.job(tenant: "t2", id: "broke", to: "+15005550006"))
        lines.append(PipelineHarness.job(tenant: "t5", id: "invalid", to: "+15005550099"))
        try await harness.produce(lines)
        try await Self.waitForFinalStates(harness, Set(expected.keys).union(["t2/broke", "t5/invalid"]))

        var status = Self.byJob(try await harness.readAll("fax.status"))
        var usage = Self.usageByJob(try await harness.readAll("fax.usage"))
        for (job, scenario) in expected.sorted(by: { $0.key < $1.key }) {
            // The worker's fax.submitted and the webhooks' lifecycle come from different processes:
            // only the lifecycle's own order is fixed.
            let events = status[job] ?? []
            let lifecycle = events.filter { $0.type != .submitted }
            #expect(events.filter { $0.type == .submitted }.count == 1, "\(job): \(events.map(\.type.rawValue))")
            #expect(lifecycle.map(\.type.rawValue) == scenario.lifecycle, "\(job) (\(scenario.number))")
            #expect(Set(events.map(\.eventID)).count == events.count, "\(job): an event twice")
            if let error = scenario.error { #expect(lifecycle.last?.error?.code == error, "\(job)") }
            let facts = (usage[job] ?? []).map(\.type.rawValue)
            #expect(facts.sorted() == ["usage.hold", scenario.usage!].sorted(), "\(job): \(facts)")
            if let pages = scenario.pages {
                #expect(usage[job]?.first { $0.type == .capture }?.pages == pages, "\(job)")
                #expect(lifecycle.last?.pages == pages, "\(job)")
            }
        }
        #expect(status["t2/broke"]?.map(\.type) == [.deadLettered] && usage["t2/broke"] == nil)
        #expect(status["t5/invalid"]?.map(\.type) == [.rejected] && usage["t5/invalid"] == nil)
        // t4's threshold lies above its balance: one usage.balance, however often it is read.
        let balances = usage["t4/-"] ?? []
        #expect(balances.count == 1 && balances.first?.type == .balance && (balances.first?.available ?? 0) <= 100_000_000)

        // The ingress goes away: the reconciler (after 3 s) fills in what the webhooks would have said.
        #expect(try await webhooks.stop() == 0)
        var quiet: [String: Scenario] = [:]
        for (index, scenario) in Self.scenarios.prefix(3).enumerated() {
            let tenant = "t\(index + 1)"
            lines = [PipelineHarness.job(tenant: tenant == "t2" ? "t5" : tenant, id: "quiet-\(index)", to: scenario.number)]
            quiet["\(tenant == "t2" ? "t5" : tenant)/quiet-\(index)"] = scenario
            try await harness.produce(lines)
        }
        try await Self.waitForFinalStates(harness, Set(quiet.keys))
        // The ingress comes back at once: mintfax's third attempt (about 22 s after the second at this
        // time scale) reaches it.
        webhooks = try await harness.startWebhooks(port: port)
        status = Self.byJob(try await harness.readAll("fax.status"))
        usage = Self.usageByJob(try await harness.readAll("fax.usage"))
        for (job, scenario) in quiet {
            let lifecycle = (status[job] ?? []).filter { $0.type != .submitted }
            #expect(lifecycle.map(\.type.rawValue) == scenario.lifecycle, "\(job)")
            #expect(lifecycle.allSatisfy { $0.source == .reconciler }, "\(job): \(lifecycle.map(\.source.rawValue))")
            #expect((usage[job] ?? []).map(\.type.rawValue).sorted() == ["usage.hold", scenario.usage!].sorted(), "\(job)")
        }
        let statusBefore = try await harness.readAll("fax.status").count
        let usageBefore = try await harness.readAll("fax.usage").count

        // mintfax's redeliveries of the quiet faxes' events succeed and add nothing.
        let quietFaxes = Set(quiet.keys.compactMap { status[$0]?.first { $0.type == .submitted }?.faxID })
        try await Eventually.wait(for: "a redelivery to the restarted ingress", timeout: .seconds(90), interval: .milliseconds(500)) {
            try await harness.webhookDeliveries().contains { quietFaxes.contains($0.faxID) && $0.outcome == "succeeded" && $0.attempt > 1 }
        }
        let statusAfter = try await harness.readAll("fax.status")
        let ids = statusAfter.compactMap { try? JSONDecoder().decode(StatusEvent.self, from: Data($0.value)).eventID }
        #expect(Set(ids).count == ids.count, "an event_id appears twice on fax.status")
        #expect(statusAfter.count == statusBefore)
        #expect(try await harness.readAll("fax.usage").count == usageBefore)
        await harness.stop()
    }
}

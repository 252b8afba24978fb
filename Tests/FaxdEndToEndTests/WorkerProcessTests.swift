import FaxdCore
import FaxdHTTP
import FaxdKafka
import FaxdTestSupport
import Foundation
import Synchronization
import Testing

/// The acceptance runs of the dispatch pipeline, over real processes.
@Suite(.serialized) struct WorkerProcessTests {
    static let tenants = (1...5).map { "t\($0)" }

    static func validJobs(_ count: Int) -> [(tenant: String, id: String)] {
        (0..<count).map { (tenants[$0 % tenants.count], "job-\($0)") }
    }

    /// Every job's event types on `fax.status`, by `tenant/job`.
    static func outcomes(_ records: [KafkaRecord]) -> [String: Set<String>] {
        let tally = StatusTally()
        records.forEach(tally.add)
        return tally.outcomes
    }

    /// Every line the worker writes is one JSON object, each key once: the line's own four first,
    /// then the metadata sorted by key (the job's, its recipient masked, and the call's).
    @Test func aWorkersLogLinesAreJSONObjectsWithTheirOwnFieldsFirstThenSortedMetadata() async throws {
        let harness = try await PipelineHarness(partitions: 1)
        let jobs = [(tenant: "t1", id: "logged-1"), (tenant: "t2", id: "logged-2")]
        try await harness.produce(jobs.map { PipelineHarness.job(tenant: $0.tenant, id: $0.id) })
        let worker = try await harness.startWorker(environment: ["FAXD_LOG_LEVEL": "info"])
        #expect(try await harness.tallyUntilSubmitted(jobs).submitted.count == jobs.count)
        #expect(try await worker.stop() == 0)
        await harness.stop()

        let lines = worker.standardError.split(separator: "\n").filter { $0.hasPrefix("{") }
        #expect(!lines.isEmpty)
        for line in lines {
            let object = try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any]
            let keys = line.matches(of: #/(?:\{|,)"([^"]+)":/#).map { String($0.output.1) }
            let metadata = keys.dropFirst(4)
            #expect(keys.prefix(4) == ["ts", "level", "logger", "message"], "\(line)")
            #expect(
                object != nil && metadata.sorted() == Array(metadata) && Set(keys).count == keys.count && keys.count == object?.count,
                "\(line)"
            )
            #expect(["ts", "level", "logger", "message"].allSatisfy { object?[$0] is String }, "\(line)")
        }
        let submitted = lines.filter { $0.contains(#""message":"Fax submitted""#) }
        #expect(submitted.count == jobs.count, "\(worker.standardError.suffix(2_000))")
        for line in submitted {
            let object = try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: String] ?? [:]
            #expect(object["level"] == "info" && object["fax.attempt"] == "1" && object["fax.to"] == RecipientMask.mask("+12125550100"))
            #expect(jobs.contains { $0.tenant == object["tenant.id"] && $0.id == object["fax.job_id"] }, "\(line)")
        }
    }

    /// A listener that cannot bind is a start-up failure: the worker leaves the group and exits
    /// non-zero with one line naming the setting, instead of working on without health or metrics.
    @Test func aWorkerThatCannotListenExitsNamingTheSetting() async throws {
        let harness = try await PipelineHarness(partitions: 1)
        // The broker's own port is taken.
        let taken = String(harness.bootstrap.split(separator: ",")[0])
        let worker = try await harness.startWorker(environment: ["FAXD_METRICS_LISTEN": taken])
        let status = try await worker.waitForExit(timeout: .seconds(60))
        #expect(status != 0)
        let last = worker.standardError.split(separator: "\n").last.map(String.init) ?? ""
        #expect(last.hasPrefix("Error: ") && last.contains("metrics.listen") && last.contains(taken), "\(last)")
        await harness.stop()
    }

    /// Two listeners: the webhook ingress, meant for the internet, serves the webhook routes only;
    /// `/metrics` and the probes are on the admin listener, which takes no webhooks. One address
    /// for both is refused at start-up naming `webhooks.listen`.
    @Test func theWebhookListenerServesNoMetricsAndTheAdminListenerNoWebhooks() async throws {
        let harness = try await PipelineHarness(partitions: 1)
        let (admin, ingress) = (freeLocalPort(), freeLocalPort())
        let worker = try await harness.startWorker(environment: [
            "FAXD_METRICS_LISTEN": "127.0.0.1:\(admin)", "FAXD_WEBHOOKS_LISTEN": "127.0.0.1:\(ingress)",
        ])
        let client = try HTTPClient()
        defer { client.shutdown() }
        func status(_ method: HTTPMethod, _ port: Int, _ path: String) async -> Int {
            (try? await client.execute(
                HTTPRequest(method: method, url: "http://127.0.0.1:\(port)\(path)", body: method == .POST ? Array("{}".utf8) : nil)
            ))?.status ?? 0
        }
        try await Eventually.wait(for: "the admin listener") { await status(.GET, admin, "/healthz") == 200 }
        try await Eventually.wait(for: "the webhook listener") { await status(.POST, ingress, "/webhooks/mintfax/t1") == 401 }
        #expect(await status(.GET, admin, "/metrics") == 200)
        for path in ["/metrics", "/healthz", "/readyz"] {
            #expect(await status(.GET, ingress, path) == 404, "\(path) on the webhook listener")
        }
        #expect(await status(.POST, admin, "/webhooks/mintfax/t1") == 404, "webhooks on the admin listener")
        #expect(try await worker.stop() == 0)

        let same = try await harness.startWorker(environment: [
            "FAXD_METRICS_LISTEN": "127.0.0.1:\(admin)", "FAXD_WEBHOOKS_LISTEN": "127.0.0.1:\(admin)",
        ])
        #expect(try await same.waitForExit() != 0)
        let last = same.standardError.split(separator: "\n").last.map(String.init) ?? ""
        #expect(last.contains("webhooks.listen") && last.contains("must differ from metrics.listen"), "\(last)")
        await harness.stop()
    }

    /// A topic in the configuration that the cluster does not have stops `faxd worker` and
    /// `faxd webhooks` at start-up with one line naming the key, and is not created (`faxd broker`
    /// creates topics on first use, as clusters with `auto.create.topics.enable` do).
    @Test func aMistypedTopicStopsTheWorkerAndTheIngressNamingTheKey() async throws {
        let harness = try await PipelineHarness(partitions: 1)
        let worker = try await harness.startWorker(environment: ["FAXD_KAFKA_TOPICS_DEAD_LETTERS": "fax.jobs.dql"])
        #expect(try await worker.waitForExit(timeout: .seconds(60)) != 0)
        #expect(
            worker.standardError.split(separator: "\n").last
                == "Error: configuration: kafka.topics.dead_letters: topic fax.jobs.dql does not exist at \(harness.bootstrap) (faxd creates no topics)",
            "\(worker.standardError)"
        )

        let webhooks = try ManagedProcess(
            ManagedProcess.faxdExecutable,
            ["webhooks", "--config", harness.directory.appendingPathComponent("faxd.yaml").path],
            environment: [
                "E2E_MINTFAX_KEY": PipelineHarness.apiKey, "E2E_REVOKED_KEY": PipelineHarness.revokedKey,
                "E2E_WEBHOOK_SECRET": PipelineHarness.webhookSecret, "FAXD_LOG_LEVEL": "error",
                "FAXD_METRICS_LISTEN": "127.0.0.1:0", "FAXD_KAFKA_TOPICS_USAGE": "fax.usag",
            ]
        )
        #expect(try await webhooks.waitForExit(timeout: .seconds(60)) != 0)
        let last = webhooks.standardError.split(separator: "\n").last.map(String.init) ?? ""
        #expect(last.hasPrefix("Error: configuration: kafka.topics.usage: topic fax.usag does not exist"), "\(webhooks.standardError)")

        let admin = try KafkaAdmin(configuration: .init(bootstrapServers: harness.bootstrap), logger: KafkaFixtures.logger("test.e2e"))
        for missing in ["fax.jobs.dql", "fax.usag"] {
            let error = await #expect(throws: KafkaError.self) { try await admin.partitionCount(topic: missing) }
            #expect(error?.code == .unknownTopicOrPartition, "\(missing)")
        }
        await admin.close()
        await harness.stop()
    }

    /// Reads `fax.status` until `job` (`tenant/job`) has an event of `type`; returns that event.
    static func waitForEvent(_ harness: PipelineHarness, _ job: String, _ type: StatusEvent.Kind) async throws -> StatusEvent? {
        let found = Mutex<StatusEvent?>(nil)
        _ = try await harness.read("fax.status", timeout: .seconds(60)) { record in
            guard let event = try? JSONDecoder().decode(StatusEvent.self, from: Data(record.value)),
                "\(event.tenantID)/\(event.jobID)" == job, event.type == type
            else { return false }
            found.withLock { $0 = event }
            return true
        }
        return found.withLock { $0 }
    }

    /// A revoked key opens the tenant's circuit: its queued jobs are parked at once, without a
    /// request each (mintfax is not hammered, the partition's offsets move on), and other tenants flow.
    @Test func aRevokedTenantsBacklogIsParkedAtOnceWithoutARequestEach() async throws {
        let harness = try await PipelineHarness(partitions: 1)
        let revoked = (0..<300).map { PipelineHarness.job(tenant: "t6", id: "r-\($0)") }
        let others = (0..<30).map { PipelineHarness.job(tenant: "t1", id: "ok-\($0)") }
        try await harness.produce(revoked + others)
        let started = ContinuousClock.now
        try await harness.startWorker(revoked: ["t6"])
        let parked = Mutex<Set<String>>([])
        let submitted = Mutex<Set<String>>([])
        _ = try await harness.read("fax.status", timeout: .seconds(60)) { record in
            guard let event = try? JSONDecoder().decode(StatusEvent.self, from: Data(record.value)) else { return false }
            if event.type == .deadLettered { parked.withLock { _ = $0.insert(event.jobID) } }
            if event.type == .submitted { submitted.withLock { _ = $0.insert(event.jobID) } }
            return parked.withLock { $0.count } == revoked.count && submitted.withLock { $0.count } == others.count
        }
        let elapsed = ContinuousClock.now - started
        #expect(parked.withLock { $0.count } == revoked.count)
        #expect(submitted.withLock { $0.count } == others.count)
        // At most one window of requests with the bad key (the per-tenant in-flight cap, 8): one at a
        // time per job would have taken 300 requests, waiting 30 s per window of 8.
        let refused = try await harness.sandboxSubmissions().filter { $0.status == 401 }.count
        #expect(refused <= 8, "\(refused) requests with the revoked key")
        print("e2e: 300 jobs of a revoked tenant parked in \(elapsed), \(refused) requests with its key")
        await harness.stop()
    }

    /// SIGHUP re-reads the tenants file: a tenant added while the worker runs gets its jobs sent.
    @Test func sighupAddsATenantWithoutARestart() async throws {
        let harness = try await PipelineHarness(partitions: 1)
        let worker = try await harness.startWorker(tenants: 1, environment: ["FAXD_LOG_LEVEL": "info"])
        try await harness.produce([PipelineHarness.job(tenant: "t9", id: "before")])
        let parked = try await Self.waitForEvent(harness, "t9/before", .deadLettered)
        #expect(parked?.error?.code == "unknown_tenant")

        let tenants = harness.directory.appendingPathComponent("tenants.yaml")
        let text = try String(contentsOf: tenants, encoding: .utf8) + "  - id: t9\n    api_key: { env: E2E_MINTFAX_KEY }\n"
        try text.write(to: tenants, atomically: true, encoding: .utf8)
        kill(worker.pid, SIGHUP)
        try await Eventually.wait(for: "the worker to reload its tenants") { worker.standardError.contains("Tenants reloaded") }
        #expect(worker.isRunning)

        try await harness.produce([PipelineHarness.job(tenant: "t9", id: "after")])
        let submitted = try await Self.waitForEvent(harness, "t9/after", .submitted)
        #expect(submitted?.faxID != nil)
        await harness.stop()
    }

    /// Another consumer group reading the jobs again, past mintfax's key window, shares the job
    /// ledger: the job's fax is reported from it, and no second POST reaches mintfax.
    @Test func aLateReplayByAnotherGroupReportsTheFaxFromTheLedger() async throws {
        let harness = try await PipelineHarness(partitions: 1)
        let first = try await harness.startWorker(tenants: 1)
        try await harness.produce([PipelineHarness.job(tenant: "t1", id: "old")])
        let original = try await Self.waitForEvent(harness, "t1/old", .submitted)
        #expect(try await first.stop() == 0)

        // A new group reads the record again; with a window of 0 hours every earlier request counts as late.
        let key = IdempotencyKey(tenantID: "t1", jobID: "old").description
        let late = try await harness.startWorker(
            tenants: 1,
            environment: ["FAXD_DISPATCH_LATE_REPLAY_AFTER_HOURS": "0", "FAXD_KAFKA_GROUP_ID": UniqueName.make("late")]
        )
        // The worker re-emits fax.submitted for the fax it found: the same event, the same fax id.
        let seen = Mutex(0)
        let records = try await harness.read("fax.status", timeout: .seconds(60)) { record in
            guard let event = try? JSONDecoder().decode(StatusEvent.self, from: Data(record.value)), event.jobID == "old",
                event.type == .submitted
            else { return false }
            return seen.withLock { count in
                count += 1
                return count == 2
            }
        }
        #expect(late.isRunning)
        let posts = try await harness.sandboxSubmissions().filter { $0.key == key }
        #expect(posts.count == 1, "the late replay submitted again: \(posts)")
        #expect(try await harness.sandboxFaxes().filter { $0.key == key }.count == 1)
        let submitted = records.compactMap { try? JSONDecoder().decode(StatusEvent.self, from: Data($0.value)) }
            .filter { $0.jobID == "old" && $0.type == .submitted }
        #expect(submitted.count == 2)
        #expect(Set(submitted.map(\.eventID)) == Set([original?.eventID].compactMap { $0 }))
        #expect(Set(submitted.map(\.faxID)) == [original?.faxID])
        await harness.stop()
    }

    @Test func twoWorkersSendEveryValidJobOnceAndDeadLetterTheMalformedAndAReplaySendsNothingAgain() async throws {
        let harness = try await PipelineHarness()
        let jobs = Self.validJobs(2_000)
        var lines = jobs.map { PipelineHarness.job(tenant: $0.tenant, id: $0.id) }
        for index in 0..<50 { lines.insert(PipelineHarness.malformed(index), at: index * 40) }
        try await harness.produce(lines)
        let first = try await harness.startWorker()
        let second = try await harness.startWorker()

        let expected = Set(jobs.map { "\($0.tenant)/\($0.id)" })
        let started = ContinuousClock.now
        let tally = StatusTally()
        let status = try await harness.read("fax.status") { record in
            tally.add(record)
            return tally.submitted.isSuperset(of: expected)
        }
        print("e2e: every job submitted after \(ContinuousClock.now - started)")
        let outcomes = Self.outcomes(status)
        let missing = expected.filter { !(outcomes[$0]?.contains("fax.submitted") ?? false) }
        #expect(missing.isEmpty, "\(missing.count) jobs never reported fax.submitted")

        // One fax per idempotency key at the sandbox, and the key is DESIGN §4's.
        let faxes = try await harness.sandboxFaxes()
        let keys = faxes.map(\.key)
        #expect(Set(keys).count == keys.count, "a key has a second fax")
        #expect(Set(keys) == Set(jobs.map { IdempotencyKey(tenantID: $0.tenant, jobID: $0.id).description }))
        #expect(faxes.allSatisfy { $0.tags["faxd_tenant"] != nil && $0.tags["faxd_job"] != nil })

        // The malformed records are on the dead-letter topic with their reasons; rejected events
        // name the jobs whose tenant and id could be read.
        let deadCount = Mutex(0)
        let dead = try await harness.read("fax.jobs.dlq", timeout: .seconds(60)) { _ in
            deadCount.withLock { count in
                count += 1
                return count >= 50
            }
        }
        #expect(dead.count == 50)
        #expect(dead.allSatisfy { $0.header("faxd.error.code") != nil && $0.header("faxd.origin.offset") != nil })
        #expect(outcomes.filter { $0.key.contains("/bad-") }.allSatisfy { $0.value == ["fax.rejected"] })

        #expect(first.isRunning && second.isRunning, "a worker stopped")
        #expect(try await first.stop() == 0)
        #expect(try await second.stop() == 0)

        // Replay: the group back to the beginning, a worker again: no new fax, the same event ids.
        let firstRunIDs = Self.submittedEventIDs(status)
        #expect(firstRunIDs.count == jobs.count)
        let admin = try KafkaAdmin(
            configuration: .init(bootstrapServers: harness.bootstrap),
            logger: KafkaFixtures.logger("test.e2e.admin")
        )
        let partitions = (0..<6).map { KafkaTopicPartition(topic: "fax.jobs", partition: Int32($0)) }
        try await admin.alterCommittedOffsets(group: harness.groupID, offsets: Dictionary(uniqueKeysWithValues: partitions.map { ($0, 0) }))
        await admin.close()
        let replayer = try await harness.startWorker()
        let submittedEvents = Mutex(0)
        let replayed = try await harness.read("fax.status") { record in
            guard let event = try? JSONDecoder().decode(StatusEvent.self, from: Data(record.value)), event.type == .submitted else {
                return false
            }
            return submittedEvents.withLock { count in
                count += 1
                return count >= 2 * jobs.count
            }
        }
        let allSubmitted = replayed.compactMap { try? JSONDecoder().decode(StatusEvent.self, from: Data($0.value)) }.filter {
            $0.type == .submitted
        }
        #expect(allSubmitted.count == 2 * jobs.count, "the replay did not report every job again")
        #expect(Set(allSubmitted.map(\.eventID.description)) == firstRunIDs, "the replay emitted other event ids")
        #expect(try await harness.sandboxFaxes().count == jobs.count, "the replay created faxes")
        #expect(try await replayer.stop() == 0)
        await harness.stop()
    }

    @Test func faultsAtTheSandboxStillEndWithEveryJobSubmittedOnce() async throws {
        let harness = try await PipelineHarness(
            sandboxFaults: """
                faults:
                  seed: 7
                  latency: {min_ms: 0, max_ms: 400}
                  server_error_rate: 0.15
                  server_error_statuses: [500, 503]
                  drop_connection_rate: 0.1
                  rate_limit_storms:
                    - {environment: e2e, seconds: 3}
                """
        )
        let jobs = Self.validJobs(600)
        let parked = (0..<20).map { (tenant: "t6", id: "parked-\($0)") }
        try await harness.produce((jobs + parked).map { PipelineHarness.job(tenant: $0.tenant, id: $0.id) })
        // A request timeout below the injected latency: some submissions time out after the sandbox
        // took them, and are retried under the same key. About 45 % of requests fail here, so five
        // in a row (the breaker's default) would open mintfax's breaker now and then, and its doubling
        // open time made the run last from 30 s to 3 minutes: this test is about retries, so the
        // breaker waits for 30 in a row (OutageProcessTests is about the breaker).
        let retriesOnly = ["FAXD_DISPATCH_BREAKER_FAILURES": "30"]
        let first = try await harness.startWorker(revoked: ["t6"], requestTimeoutMS: 300, environment: retriesOnly)
        let second = try await harness.startWorker(revoked: ["t6"], requestTimeoutMS: 300, environment: retriesOnly)

        let expected = Set(jobs.map { "\($0.tenant)/\($0.id)" })
        let expectedParked = Set(parked.map { "\($0.tenant)/\($0.id)" })
        let tally = StatusTally()
        let status = try await harness.read("fax.status") { record in
            tally.add(record)
            let outcomes = tally.outcomes
            return tally.submitted.isSuperset(of: expected)
                && expectedParked.allSatisfy { outcomes[$0]?.contains("fax.dead_lettered") ?? false }
        }
        let outcomes = Self.outcomes(status)
        #expect(expected.allSatisfy { outcomes[$0]?.contains("fax.submitted") ?? false }, "a job was not submitted")
        #expect(outcomes.values.contains { $0.contains("fax.retrying") }, "no fault reached the worker")
        #expect(expectedParked.allSatisfy { outcomes[$0] == ["fax.dead_lettered"] }, "the revoked tenant's jobs were not parked")
        let keys = try await harness.sandboxFaxes().map(\.key)
        #expect(Set(keys).count == keys.count, "a job got a second fax")
        #expect(Set(keys) == Set(jobs.map { IdempotencyKey(tenantID: $0.tenant, jobID: $0.id).description }))
        let deadCount = Mutex(0)
        let dead = try await harness.read("fax.jobs.dlq", timeout: .seconds(60)) { _ in
            deadCount.withLock { count in
                count += 1
                return count >= parked.count
            }
        }
        #expect(dead.count == parked.count && dead.allSatisfy { $0.header("faxd.error.code") == Array("unauthenticated".utf8) })
        #expect(try await first.stop() == 0)
        #expect(try await second.stop() == 0)
        await harness.stop()
    }

    /// Tenant A has 10,000 jobs queued ahead of tenant B's 20 in the same partition. The worker reads
    /// past A's backlog (it may hold 20,000 jobs), and from B's first submission on the two take turns:
    /// B's 20 jobs finish within about twice their time alone (at equal cost per job) instead of behind
    /// A's whole backlog. What A sent while the worker was still reading towards B is reported.
    @Test func aSmallTenantIsNotStuckBehindALargeTenantsBacklog() async throws {
        let harness = try await PipelineHarness(
            partitions: 1,
            sandboxFaults: """
                faults:
                  latency: {min_ms: 20, max_ms: 20}
                """
        )
        let backlog = (0..<10_000).map { (tenant: "t1", id: "a-\($0)") }
        let small = (0..<20).map { (tenant: "t2", id: "b-\($0)") }
        try await harness.produce((backlog + small).map { PipelineHarness.job(tenant: $0.tenant, id: $0.id) })
        let worker = try await harness.startWorker(maxInFlight: 8)

        let order = Mutex<[String]>([])
        _ = try await harness.read("fax.status", timeout: .seconds(120)) { record in
            guard let event = try? JSONDecoder().decode(StatusEvent.self, from: Data(record.value)), event.type == .submitted else {
                return false
            }
            return order.withLock { order in
                order.append(event.tenantID)
                return order.filter { $0 == "t2" }.count == small.count
            }
        }
        let submitted = order.withLock { $0 }
        let firstB = try #require(submitted.firstIndex(of: "t2"))
        let interleaved = submitted[firstB...].filter { $0 == "t1" }.count
        print(
            "fairness: \(firstB) of A's jobs went while the worker read towards B; then \(interleaved) of A's while B's \(small.count) ran"
        )
        #expect(submitted.filter { $0 == "t2" }.count == small.count, "B's jobs did not all finish")
        // Alone, B needs its 20 submissions; in turns with A about 20 of A's beside them, plus the
        // slots A already held (max_in_flight 8) — 18 to 20 on a quiet machine. Each job makes two
        // Kafka round trips (its attempt on the job ledger, then its events), and on a loaded one B's
        // last jobs can straggle while A's go on (56 seen with the whole suite running): the bound
        // is 1 % of A's backlog, still nothing like waiting behind it.
        #expect(interleaved <= backlog.count / 100, "tenant B waited behind \(interleaved) of tenant A's jobs")
        #expect(firstB < 10_000, "the worker did not read past A's backlog")
        #expect(try await worker.stop() == 0)
        await harness.stop()
    }

    static func submittedEventIDs(_ records: [KafkaRecord]) -> Set<String> {
        Set(
            records.compactMap { try? JSONDecoder().decode(StatusEvent.self, from: Data($0.value)) }.filter { $0.type == .submitted }.map(
                \.eventID.description
            )
        )
    }

    @Test func aWorkerKilledMidwayLosesNoJobAndSendsNoFaxTwice() async throws {
        let harness = try await PipelineHarness()
        let jobs = Self.validJobs(1_500)
        try await harness.produce(jobs.map { PipelineHarness.job(tenant: $0.tenant, id: $0.id) })
        let victim = try await harness.startWorker()
        let survivor = try await harness.startWorker()
        let early = StatusTally()
        _ = try await harness.read("fax.status", timeout: .seconds(120)) { record in
            early.add(record)
            return early.submitted.count >= 300
        }
        #expect(try await victim.stop(signal: SIGKILL) != 0)

        let expected = Set(jobs.map { "\($0.tenant)/\($0.id)" })
        let tally = StatusTally()
        let status = try await harness.read("fax.status") { record in
            tally.add(record)
            return tally.submitted.isSuperset(of: expected)
        }
        let outcomes = Self.outcomes(status)
        #expect(expected.allSatisfy { outcomes[$0]?.contains("fax.submitted") ?? false }, "a job was lost")
        let keys = try await harness.sandboxFaxes().map(\.key)
        #expect(Set(keys).count == keys.count, "a job got a second fax")
        #expect(Set(keys).count == jobs.count)
        #expect(try await survivor.stop() == 0)
        await harness.stop()
    }
}

/// Status events seen so far, each decoded once.
final class StatusTally: Sendable {
    private let state = Mutex<[String: Set<String>]>([:])

    func add(_ record: KafkaRecord) {
        guard let event = try? JSONDecoder().decode(StatusEvent.self, from: Data(record.value)) else { return }
        state.withLock { _ = $0["\(event.tenantID)/\(event.jobID)", default: []].insert(event.type.rawValue) }
    }

    var outcomes: [String: Set<String>] { state.withLock { $0 } }

    /// `tenant/job` of every job with `fax.submitted`.
    var submitted: Set<String> { state.withLock { Set($0.filter { $0.value.contains("fax.submitted") }.keys) } }
}

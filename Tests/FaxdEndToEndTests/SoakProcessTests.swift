import FaxdCore
import FaxdKafka
import FaxdTestSupport
import Foundation
import Synchronization
import Testing

/// `make soak` (docs/reliability.md): `FAXD_SOAK_JOBS` jobs over four `faxd worker` processes, a
/// `faxd webhooks` ingress and the reconciler, on a three-broker `faxd broker`, while a script breaks
/// something every `FAXD_SOAK_ROUND_SECONDS`: each round replaces one worker (SIGKILL and SIGTERM in
/// turn: a rebalance a round) and adds one more fault — a broker down and up, a burst of 5xx, dropped
/// connections and timeouts, a 429 storm. At the end a checker reads the sandbox and every topic.
/// Skipped unless `FAXD_SOAK_JOBS` is set.
@Suite struct SoakProcessTests {
    static let environment = ProcessInfo.processInfo.environment
    static let jobCount = environment["FAXD_SOAK_JOBS"].flatMap { Int($0) }
    static let roundSeconds = environment["FAXD_SOAK_ROUND_SECONDS"].flatMap { Int($0) } ?? 60
    /// Jobs and their events are keyed by tenant, and librdkafka's mock cluster walks a partition's
    /// log from its start to find each fetch's offset: every reader behind the end (each worker's
    /// and the ingress's follower of the result topics after every new record, a new worker's read of
    /// the recent window, each ledger restore) costs the broker the partition's length in steps, so
    /// its work grows with records per partition. At 128 partitions its one thread saturated near
    /// 48,000 jobs (docs/reliability.md, runs 4 and 5); 1,000 tenants over 512 partitions keep each
    /// log a quarter as long.
    static let tenants = 1_000
    static let partitions = 512
    static let workers = 4
    /// Outside faults, the base every round returns to: a little of everything.
    static let baseFaults =
        #"{"seed": 7, "latency": {"min_ms": 5, "max_ms": 40}, "server_error_rate": 0.01, "drop_connection_rate": 0.005, "lookup_error_rate": 0.02}"#
    /// Recipients and what the sandbox does with them: mostly delivered, some failing (on the first
    /// attempt or every one), some refused as invalid (rejected, dead-lettered).
    static let recipients: [(number: String, share: Int)] = [
        ("+12125550100", 85), ("+15005550004", 5), ("+15005550002", 5), ("+15005550008", 2), ("+15005550099", 3),
    ]

    @Test(.enabled(if: jobCount != nil), .timeLimit(.minutes(120)))
    func aSoakUnderFaultsLosesNothingSendsNothingTwiceAndClosesEveryHold() async throws {
        let count = try #require(Self.jobCount)
        let started = ContinuousClock.now
        let harness = try await PipelineHarness(partitions: Self.partitions, brokers: 3, sandboxFaults: "")
        try await harness.sandboxControl("faults", json: Self.baseFaults)
        let webhooksPort = freeLocalPort()
        // Each worker that starts reads the result topics' last `forget_after_minutes` from the
        // mock's partitions (a walk per fetch); 5 minutes still cover the sandbox's webhook
        // redeliveries (its retry schedule runs at `time_scale` 0.001, about a second).
        let configuration = """
            webhooks:
              enabled: false
              public_base_url: http://127.0.0.1:\(webhooksPort)
            delivery:
              reconcile_after_seconds: 20
              reconcile_interval_seconds: 5
              forget_after_minutes: 5
            """
        let pool = SoakPool(harness: harness, configuration: configuration)
        try await pool.start(Self.workers)
        let webhooks = try await harness.startWebhooks(port: webhooksPort)

        var expected: Set<String> = []
        var lines: [String] = []
        var malformed = 0
        let weights = Self.recipients.flatMap { Array(repeating: $0.number, count: $0.share) }
        for index in 0..<count {
            if index % 500 == 499 {
                lines.append(PipelineHarness.malformed(index / 500))
                malformed += 1
                continue
            }
            let tenant = "t\(index % Self.tenants + 1)"
            let id = "soak-\(index)"
            lines.append(PipelineHarness.job(tenant: tenant, id: id, to: weights[index % weights.count]))
            expected.insert("\(tenant)/\(id)")
        }
        let finals = FinalEvents()
        let jobs = expected
        let bootstrap = harness.bootstrap
        let following = Task { try await finals.follow(bootstrap: bootstrap, partitions: Self.partitions, until: jobs) }
        for chunk in stride(from: 0, to: lines.count, by: 20_000) {
            try await harness.produce(Array(lines[chunk..<min(chunk + 20_000, lines.count)]))
        }

        var log: [String] = []
        var round = 0
        while !finals.isComplete {
            try await Task.sleep(for: .seconds(Self.roundSeconds / 2))
            if finals.isComplete { break }
            let fault = try await pool.fault(round: round)
            try await Task.sleep(for: .seconds(Self.roundSeconds / 2))
            try await pool.heal()
            log.append("\(Self.seconds(since: started)) s: \(fault) (\(finals.count) finished)")
            print("soak: \(log.last ?? "")")
            round += 1
        }
        _ = try await following.value
        try await pool.heal()
        try await harness.sandboxControl("faults")
        let finishedAt = Self.seconds(since: started)

        // The checker: what the sandbox holds and what every topic says, against what was produced.
        let status = try await harness.readAll("fax.status", timeout: .seconds(600))
        let usage = try await harness.readAll("fax.usage", timeout: .seconds(600))
        let deadLetters = try await harness.readAll("fax.jobs.dlq", timeout: .seconds(600))
        let faxes = try await harness.sandboxFaxes()
        let report = SoakReport(
            expected: expected,
            status: status,
            usage: usage,
            deadLetters: deadLetters,
            faxes: faxes
        )
        print(
            "soak: \(count) records (\(expected.count) jobs, \(malformed) malformed) on \(Self.workers) workers in \(finishedAt) s, "
                + "\(round) rounds of faults; \(report.summary)"
        )
        for line in log { print("soak round: \(line)") }

        #expect(report.lost.isEmpty, "lost: \(report.lost.sorted().prefix(10))")
        #expect(report.secondFaxes.isEmpty, "second faxes: \(report.secondFaxes.sorted().prefix(10))")
        #expect(report.withoutFinalEvent.isEmpty, "without a final event: \(report.withoutFinalEvent.sorted().prefix(10))")
        #expect(report.openHolds.isEmpty, "holds neither captured nor released: \(report.openHolds.sorted().prefix(10))")
        #expect(
            report.malformedDeadLettered >= malformed,
            "\(malformed) malformed records, \(report.malformedDeadLettered) on the dead-letter topic"
        )
        #expect(try await webhooks.stop() == 0)
        for code in try await pool.stopAll() { #expect(code == 0) }
        await harness.stop()
    }

    static func seconds(since start: ContinuousClock.Instant) -> Int {
        Int((ContinuousClock.now - start).components.seconds)
    }
}

/// Jobs with a final status event (`fax.delivered`, `fax.failed`, `fax.rejected`, `fax.dead_lettered`,
/// `fax.expired`), as the status topic is read.
private final class FinalEvents: Sendable {
    private let state = Mutex<(finished: Set<String>, complete: Bool)>(([], false))

    /// Adds `record`'s job if it is final. - Returns: whether every job of `jobs` is.
    func add(_ record: KafkaRecord, completing jobs: Set<String>) -> Bool {
        guard let event = try? JSONDecoder().decode(StatusEvent.self, from: Data(record.value)),
            DeliveryTrackingProcessTests.finalTypes.contains(event.type.rawValue)
        else { return false }
        return state.withLock { state in
            state.finished.insert("\(event.tenantID)/\(event.jobID)")
            state.complete = state.complete || state.finished.count >= jobs.count && state.finished.isSuperset(of: jobs)
            return state.complete
        }
    }

    /// Reads the status topic from the beginning until every job of `jobs` is final.
    ///
    /// The topic's `partitions` are assigned, not subscribed to: a group member's session that ends
    /// while a broker is down revokes everything, and the member then read the whole topic again
    /// from its start (twice in run 8, minutes each on the mock cluster).
    func follow(bootstrap: String, partitions: Int, until jobs: Set<String>) async throws {
        let consumer = try KafkaConsumer(
            configuration: KafkaFixtures.consumerConfiguration(bootstrapServers: bootstrap, groupID: UniqueName.make("soak-reader")),
            logger: KafkaFixtures.logger("test.e2e.soak-reader")
        )
        try consumer.assign(
            Dictionary(
                uniqueKeysWithValues: (0..<Int32(partitions)).map { (KafkaTopicPartition(topic: "fax.status", partition: $0), Int64(0)) }
            )
        )
        for try await record in consumer.records where add(record, completing: jobs) { break }
        try await consumer.close()
    }

    var count: Int { state.withLock { $0.finished.count } }
    var isComplete: Bool { state.withLock { $0.complete } }
}

/// What the checker found.
private struct SoakReport {
    /// Jobs with no trace at all: no fax, no final event, no dead letter.
    var lost: Set<String> = []
    /// Jobs with more than one fax at mintfax.
    var secondFaxes: Set<String> = []
    var withoutFinalEvent: Set<String> = []
    /// Jobs with a `usage.hold` and neither a `usage.capture` nor a `usage.release`.
    var openHolds: Set<String> = []
    var malformedDeadLettered = 0
    var summary = ""

    init(
        expected: Set<String>,
        status: [KafkaRecord],
        usage: [KafkaRecord],
        deadLetters: [KafkaRecord],
        faxes: [(key: String, tags: [String: String])]
    ) {
        let decoder = JSONDecoder()
        var finals: [String: String] = [:]
        var eventIDs: Set<String> = []
        var duplicateEvents = 0
        for record in status {
            guard let event = try? decoder.decode(StatusEvent.self, from: Data(record.value)) else { continue }
            if !eventIDs.insert(event.eventID.description).inserted { duplicateEvents += 1 }
            if DeliveryTrackingProcessTests.finalTypes.contains(event.type.rawValue) {
                finals["\(event.tenantID)/\(event.jobID)"] = event.type.rawValue
            }
        }
        var holds: Set<String> = []
        var closed: Set<String> = []
        for record in usage {
            guard let event = try? decoder.decode(UsageEvent.self, from: Data(record.value)), let job = event.jobID else { continue }
            switch event.type {
            case .hold: holds.insert("\(event.tenantID)/\(job)")
            case .capture, .release: closed.insert("\(event.tenantID)/\(job)")
            default: break
            }
        }
        var faxesByJob: [String: Int] = [:]
        for fax in faxes {
            faxesByJob["\(fax.tags["faxd_tenant"] ?? "?")/\(fax.tags["faxd_job"] ?? "?")", default: 0] += 1
        }
        var deadLettersByCode: [String: Int] = [:]
        var deadLetteredJobs: Set<String> = []
        for record in deadLetters {
            let header = { (name: String) in
                record.headers.first { $0.name == name }.map { String(decoding: $0.value ?? [], as: UTF8.self) }
            }
            deadLettersByCode[header("faxd.error.code") ?? "?", default: 0] += 1
            let fields = (try? JSONSerialization.jsonObject(with: Data(record.value))) as? [String: Any]
            if let tenant = fields?["tenant_id"] as? String, let job = fields?["job_id"] as? String {
                deadLetteredJobs.insert("\(tenant)/\(job)")
            }
        }
        malformedDeadLettered = deadLetters.count - deadLetteredJobs.intersection(expected).count
        withoutFinalEvent = expected.subtracting(finals.keys)
        lost = withoutFinalEvent.filter { faxesByJob[$0] == nil && !deadLetteredJobs.contains($0) }
        secondFaxes = Set(faxesByJob.filter { $0.value > 1 }.keys)
        openHolds = holds.subtracting(closed)
        var outcomes: [String: Int] = [:]
        for job in expected { outcomes[finals[job] ?? "none", default: 0] += 1 }
        summary =
            "final events \(outcomes.sorted { $0.key < $1.key }.map { "\($0.key) \($0.value)" }.joined(separator: ", ")); "
            + "\(faxes.count) faxes at the sandbox; lost \(lost.count), second faxes \(secondFaxes.count), "
            + "without a final event \(withoutFinalEvent.count), holds \(holds.count) of which open \(openHolds.count); "
            + "dead letters \(deadLetters.count) by code \(deadLettersByCode.sorted { $0.key < $1.key }.map { "\($0.key) \($0.value)" }.joined(separator: ", ")); "
            + "\(duplicateEvents) status events repeated (same event id); fax.status \(status.count) records, "
            + "\(status.reduce(0) { $0 + $1.value.count } / 1_000_000) MB of values"
    }
}

/// The soak's workers and the faults it applies to them, the broker and the sandbox.
private final class SoakPool {
    let harness: PipelineHarness
    let configuration: String
    private(set) var running: [ManagedProcess] = []
    private var brokerDown: Int32?

    init(harness: PipelineHarness, configuration: String) {
        self.harness = harness
        self.configuration = configuration
    }

    func start(_ count: Int) async throws {
        for _ in 0..<count {
            running.append(
                try await harness.startWorker(
                    tenants: SoakProcessTests.tenants,
                    requestTimeoutMS: 2_000,
                    maxInFlight: 64,
                    extraConfiguration: configuration
                )
            )
        }
    }

    /// Round `round`'s faults: one worker replaced (SIGKILL on even rounds, SIGTERM on odd ones) and
    /// one more, in turn. - Returns: what was done.
    func fault(round: Int) async throws -> String {
        let victim = running.removeFirst()
        let replaced: String
        if round % 2 == 0 {
            _ = try await victim.stop(signal: SIGKILL)
            replaced = "a worker SIGKILLed"
        } else {
            #expect(try await victim.stop() == 0, "a worker did not drain and exit cleanly on SIGTERM")
            replaced = "a worker SIGTERMed"
        }
        try await start(1)
        switch round % 4 {
        case 0:
            let broker = Int32(round / 4 % 3 + 1)
            try await control("down \(broker)")
            brokerDown = broker
            return replaced + ", broker \(broker) down"
        case 1:
            try await faults(
                #"{"seed": \#(round), "latency": {"min_ms": 5, "max_ms": 40}, "server_error_rate": 0.3}"#
            )
            return replaced + ", 30 % of submissions answered 5xx"
        case 2:
            try await faults(
                #"{"seed": \#(round), "latency": {"min_ms": 5, "max_ms": 2500}, "drop_connection_rate": 0.1, "lookup_error_rate": 0.2}"#
            )
            return replaced + ", 10 % of connections dropped, requests up to 2.5 s (timeout 2 s), 20 % of lookups failing"
        default:
            let seconds = SoakProcessTests.roundSeconds / 3
            try await faults(
                #"{"seed": \#(round), "rate_limit_storms": [{"environment": "e2e", "seconds": \#(seconds)}]}"#
            )
            return replaced + ", a \(seconds) s 429 storm"
        }
    }

    /// Ends the round's faults: the broker back up, the sandbox's base faults.
    func heal() async throws {
        if let broker = brokerDown {
            try await control("up \(broker)")
            brokerDown = nil
        }
        try await faults(SoakProcessTests.baseFaults)
    }

    /// Sets the sandbox's faults; a call the busy sandbox did not answer in time is made again.
    private func faults(_ json: String) async throws {
        for attempt in 1...5 {
            do {
                return try await harness.sandboxControl("faults", json: json)
            } catch  where attempt < 5 {
                print("soak: setting the sandbox's faults failed (\(error)); again")
            }
        }
    }

    /// Sends `line` to `faxd broker`'s standard input and waits for its `ok`.
    private func control(_ line: String) async throws {
        let broker = harness.broker
        let answered = broker.outputLines.filter { $0 == "ok \(line)" }.count
        try broker.write(stdin: Data((line + "\n").utf8))
        try await Eventually.wait(for: "faxd broker to answer `ok \(line)`", timeout: .seconds(10), interval: .milliseconds(50)) {
            broker.outputLines.filter { $0 == "ok \(line)" }.count > answered
        }
    }

    func stopAll() async throws -> [Int32] {
        var codes: [Int32] = []
        for worker in running { codes.append(try await worker.stop()) }
        running = []
        return codes
    }
}

import FaxdCore
import FaxdHTTP
import FaxdKafka
import FaxdTestSupport
import Foundation
import Logging

/// `faxd-bench readiness` (`make bench-readiness`): how long a fresh release `faxd worker` takes to be
/// ready with a long history on the result topics, and what its job ledger costs per job (issue #10).
///
/// For each history size (`FAXD_BENCH_HISTORY`, default `0,100000,1000000` events), a fresh
/// `faxd broker` (128 partitions: the mock cluster keeps about 5 MB per partition) gets that many
/// events two hours old — per fax four on `fax.status` (submitted, queued, sending, delivered) and
/// two on `fax.usage` (hold, capture) — and one `delivered` entry per fax on `fax.ledger`, as the
/// worker that sent them would have left it. A last run has no events and `FAXD_BENCH_LEDGER_JOBS`
/// (1,000,000) entries on the ledger alone. Each time one worker starts (webhook ingress on,
/// balance watch off) and is timed from its start to `/readyz` answering 200 (the delivery ledger
/// has read the result topics' recent window) and to its `Job ledger restored` log line (every entry
/// of its partitions in memory: their jobs may be decided). Its RSS once restored, minus the run
/// with nothing, divided by the entries, is the ledger's memory per job.
enum ReadinessBenchmark {
    static let partitions = 128

    struct Run {
        var events: Int
        var ledgerEntries: Int
        var ready: Duration
        var restored: Duration
        var restoreMS: Int
        var rssKB: Int
    }

    static func run(histories: [Int], ledgerJobs: Int) async throws {
        var logger = Logger(label: "faxd.bench.readiness")
        logger.logLevel = .error
        var runs: [Run] = []
        let plan = histories.map { (events: $0, ledgerOnly: 0) } + (ledgerJobs > 0 ? [(events: 0, ledgerOnly: ledgerJobs)] : [])
        for (events, ledgerOnly) in plan {
            let directory = FileManager.default.temporaryDirectory.appendingPathComponent(UniqueName.make("faxd-readiness"))
            try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
            defer { try? FileManager.default.removeItem(at: directory) }
            var processes: [ManagedProcess] = []
            do {
                runs.append(
                    try await measure(events: events, ledgerOnly: ledgerOnly, directory: directory, logger: logger) { processes.append($0) }
                )
            } catch {
                for process in processes.reversed() { _ = try? await process.stop(signal: SIGKILL, timeout: .seconds(10)) }
                throw error
            }
            for process in processes.reversed() { _ = try? await process.stop(timeout: .seconds(30)) }
            let last = runs.last!
            say(
                "\(last.events) historic events (\(last.ledgerEntries) ledger entries): ready after \(format(last.ready)), "
                    + "job ledger restored after \(format(last.restored)) (restore \(last.restoreMS) ms), RSS \(last.rssKB / 1024) MiB"
            )
        }
        if let empty = runs.first(where: { $0.ledgerEntries == 0 }) {
            for run in runs where run.ledgerEntries > 0 {
                let perEntry = Double(run.rssKB - empty.rssKB) * 1024 / Double(run.ledgerEntries)
                say(
                    "Job ledger memory at \(run.ledgerEntries) entries: about \(Int(perEntry)) bytes a job (RSS over the run without history)"
                )
            }
        }
    }

    private static func measure(
        events: Int,
        ledgerOnly: Int,
        directory: URL,
        logger: Logger,
        started: (ManagedProcess) -> Void
    ) async throws -> Run {
        let topics = TopicNames()
        let broker = try ManagedProcess(ManagedProcess.faxdExecutable, ["broker", "--brokers", "1", "--partitions", String(partitions)])
        started(broker)
        let bootstrap = try await broker.firstLines(1)[0]
        let faxes = events / 6
        try await produceHistory(faxes: faxes, ledgerOnly: ledgerOnly, topics: topics, bootstrap: bootstrap, logger: logger)

        let port = closedLocalPort()
        let worker = try ManagedProcess(
            ManagedProcess.faxdExecutable,
            ["worker", "--config", try writeConfiguration(in: directory, bootstrap: bootstrap, port: port).path],
            environment: [
                "BENCH_MINTFAX_KEY": PipelineBenchmarks.apiKey, "BENCH_WEBHOOK_SECRET": BacklogBenchmark.webhookSecret,
                "FAXD_LOG_LEVEL": "info",
            ]
        )
        started(worker)
        let clock = ContinuousClock()
        let start = clock.now
        let client = try HTTPClient()
        defer { client.shutdown() }
        var ready: Duration?
        var restored: (Duration, Int)?
        while ready == nil || restored == nil {
            guard worker.isRunning else { throw BenchmarkFailure(description: "the worker exited: \(worker.standardError.suffix(2_000))") }
            guard clock.now - start < .seconds(600) else {
                throw BenchmarkFailure(description: "not ready in 10 minutes: \(worker.standardError.suffix(2_000))")
            }
            if ready == nil, (try? await client.execute(HTTPRequest(url: "http://127.0.0.1:\(port)/readyz")))?.status == 200 {
                ready = clock.now - start
            }
            if restored == nil, let milliseconds = restoreMilliseconds(worker.standardError) {
                restored = (clock.now - start, milliseconds)
            }
            try await Task.sleep(for: .milliseconds(10))
        }
        let rss = BacklogBenchmark.memoryKB(worker.pid, "VmRSS") ?? 0
        return Run(
            events: faxes * 6,
            ledgerEntries: faxes + ledgerOnly,
            ready: ready!,
            restored: restored!.0,
            restoreMS: restored!.1,
            rssKB: rss
        )
    }

    /// `ledger.restore_ms` of the worker's `Job ledger restored` line, once it logged it.
    private static func restoreMilliseconds(_ log: String) -> Int? {
        guard let line = log.split(separator: "\n").first(where: { $0.contains("Job ledger restored") }),
            let object = try? JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any],
            let text = object["ledger.restore_ms"] as? String
        else { return nil }
        return Int(text)
    }

    /// Each of `faxes` faxes' four status events, two usage events and delivered ledger entry, and
    /// `ledgerOnly` more delivered ledger entries without events; all two hours old.
    private static func produceHistory(faxes: Int, ledgerOnly: Int, topics: TopicNames, bootstrap: String, logger: Logger) async throws {
        guard faxes + ledgerOnly > 0 else { return }
        let producer = try KafkaProducer(configuration: .init(bootstrapServers: bootstrap), logger: logger)
        let counter = DeliveryCounter()
        let factory = EventFactory(source: .webhook, environment: .sandbox)
        let then = Date().addingTimeInterval(-2 * 3600)
        let milliseconds = Int64(then.timeIntervalSince1970 * 1000)
        func send(_ message: KafkaOutgoingMessage) async throws {
            while try !counter.enqueue(message, on: producer) { try await Task.sleep(for: .milliseconds(1)) }
        }
        func ledgerEntry(_ job: JobReference, faxID: String, index: Int) -> KafkaOutgoingMessage {
            let partition = Int32(index % partitions)
            let entry = JobLedgerEntry(
                job: job,
                idempotencyKey: job.idempotencyKey().uuid,
                state: .delivered,
                faxID: faxID,
                firstAttemptAt: then,
                submittedAt: then,
                attempt: 1,
                pages: 1,
                origin: .init(partition: partition, offset: Int64(index / partitions))
            )
            return KafkaOutgoingMessage(
                topic: topics.ledger,
                partition: partition,
                key: Array(JobLedgerEntry.recordKey(job).utf8),
                value: entry.jsonBytes(),
                timestampMilliseconds: milliseconds
            )
        }
        for index in 0..<faxes {
            let job = JobReference(tenantID: "t\(index % 5 + 1)", jobID: "history-\(index)")
            let faxID = "fax_history\(index)"
            let key = Array(job.tenantID.utf8)
            let partition = Int32(index % partitions)
            let status = [
                factory.submitted(job, faxID: faxID, attempt: 1, occurredAt: then), factory.queued(job, faxID: faxID, occurredAt: then),
                factory.sending(job, faxID: faxID, attempt: 1, occurredAt: then),
                factory.delivered(job, faxID: faxID, pages: 1, attempt: 1, occurredAt: then),
            ]
            let usage = [
                factory.usageHold(job, faxID: faxID, pages: nil, occurredAt: then),
                factory.usageCapture(job, faxID: faxID, pages: 1, occurredAt: then),
            ]
            for value in status.map({ $0.jsonBytes() }) {
                try await send(
                    KafkaOutgoingMessage(
                        topic: topics.status,
                        partition: partition,
                        key: key,
                        value: value,
                        timestampMilliseconds: milliseconds
                    )
                )
            }
            for value in usage.map({ $0.jsonBytes() }) {
                try await send(
                    KafkaOutgoingMessage(
                        topic: topics.usage,
                        partition: partition,
                        key: key,
                        value: value,
                        timestampMilliseconds: milliseconds
                    )
                )
            }
            try await send(ledgerEntry(job, faxID: faxID, index: index))
        }
        for index in 0..<ledgerOnly {
            try await send(
                ledgerEntry(
                    JobReference(tenantID: "t\(index % 5 + 1)", jobID: "ledger-\(index)"),
                    faxID: "fax_ledger\(index)",
                    index: index
                )
            )
        }
        try await producer.flush(timeout: .seconds(600))
        await producer.close()
        let failed = counter.failed.load(ordering: .relaxed)
        guard failed == 0 else { throw BenchmarkFailure(description: "\(failed) history records were not produced") }
    }

    private static func writeConfiguration(in directory: URL, bootstrap: String, port: Int) throws -> URL {
        try BacklogBenchmark.writeSharedTenants(in: directory)
        let file = directory.appendingPathComponent("faxd.yaml")
        try """
        kafka:
          bootstrap_servers: \(bootstrap)
          group_id: \(UniqueName.make("readiness"))
        mintfax:
          base_url: http://127.0.0.1:1/v1
          environment: sandbox
        webhooks:
          listen: 127.0.0.1:0
        metrics:
          listen: 127.0.0.1:\(port)
        balance:
          interval_seconds: 0
        """.write(to: file, atomically: true, encoding: .utf8)
        return file
    }

    private static func format(_ duration: Duration) -> String { String(format: "%.2f s", duration.seconds) }

    private static func say(_ line: String) {
        FileHandle.standardOutput.write(Data((line + "\n").utf8))
    }
}

import FaxdCore
import FaxdHTTP
import FaxdKafka
import FaxdTestSupport
import Foundation
import Logging
import Synchronization

/// Issue #16's benchmark: one release `faxd worker` against `faxd broker` and a `faxd sandbox`, each a
/// process of its own as in production, measured by what the worker's process spends.
///
/// A run starts the three processes, waits until the worker is ready and owns its partitions (its
/// job ledger restored), notes the worker's and the sandbox's CPU time (`utime + stime` of
/// `/proc/PID/stat`, every thread), then produces the jobs — all at once, or paced at a rate — and
/// waits until `fax.status` holds one `fax.submitted` per job (the sandbox sends no webhooks, so
/// nothing else lands there). Then it reads both topics back and matches each job's record with its
/// `fax.submitted` event: the time from the one record's timestamp to the other's is what a producer
/// waits from enqueue to submitted (both stamped by their producers on this machine's clock, in
/// milliseconds), every job counted from the first.
enum WorkerProcessBenchmark {
    static let partitions = 16

    struct Outcome {
        var jobsPerSecond: Double
        /// CPU milliseconds per job, from the produce's start to the last `fax.submitted`.
        var workerCPU: Double
        var sandboxCPU: Double
        /// Enqueue → `fax.submitted`, milliseconds.
        var p50: Double
        var p99: Double
        /// p90, p95, p99.9 and the longest wait, for a profiler's look at the tail.
        var tail: [Double]
    }

    /// Issue #16's figures, `runs` runs of each: the zero-latency rate at 256 in flight (the maximum
    /// load), the 50 ms × 256 run (jobs/s as a share of in-flight ÷ latency, CPU per job), enqueue →
    /// submitted at half of each of those rates, and the naive one-job-at-a-time worker at 50 ms.
    /// - Returns: the lines of a Markdown table and the figures under it.
    static func report(runs: Int, jobs: Int, logger: Logger) async throws -> [String] {
        let (inFlight, latency) = (256, 50)
        var zero: [Outcome] = []
        var fifty: [Outcome] = []
        for _ in 0..<runs {
            zero.append(try await run(jobs: jobs, maxInFlight: inFlight, latencyMS: 0, logger: logger))
            fifty.append(try await run(jobs: jobs, maxInFlight: inFlight, latencyMS: latency, logger: logger))
        }
        let maximum = median(zero.map(\.jobsPerSecond))
        let atFifty = median(fifty.map(\.jobsPerSecond))
        var halfZero: [Outcome] = []
        var halfFifty: [Outcome] = []
        var naive: [Double] = []
        for _ in 0..<runs {
            halfZero.append(try await run(jobs: jobs / 2, maxInFlight: inFlight, latencyMS: 0, perSecond: maximum / 2, logger: logger))
            halfFifty.append(
                try await run(jobs: jobs / 2, maxInFlight: inFlight, latencyMS: latency, perSecond: atFifty / 2, logger: logger)
            )
            naive.append(try await self.naive(jobs: 200, latencyMS: latency, logger: logger))
        }
        func row(_ name: String, _ values: [Double], _ unit: String, _ format: String = "%.0f") -> String {
            "| \(name) | \(String(format: format, median(values)))\(unit.isEmpty ? "" : " " + unit) | \(values.map { String(format: format, $0) }.joined(separator: ", ")) |"
        }
        let ceiling = Double(inFlight) / (Double(latency) / 1000)
        return [
            "| worker process benchmark (release faxd worker, faxd sandbox and faxd broker) | median | runs |",
            "|---|---:|---|",
            row(
                "zero-latency sandbox, \(inFlight) in flight, \(jobs) jobs at once: jobs/s (the maximum load)",
                zero.map(\.jobsPerSecond),
                "jobs/s"
            ),
            row("  worker CPU per job", zero.map(\.workerCPU), "ms", "%.3f"),
            row("\(latency) ms sandbox, \(inFlight) in flight, \(jobs) jobs at once: jobs/s", fifty.map(\.jobsPerSecond), "jobs/s"),
            row("  **worker CPU per job**", fifty.map(\.workerCPU), "ms", "%.3f"),
            row("  sandbox CPU per job", fifty.map(\.sandboxCPU), "ms", "%.3f"),
            // The same run's sandbox does the same work per request whatever the worker: this share
            // divides out the machine's speed of the moment, to compare workers measured apart.
            row("  worker CPU ÷ sandbox CPU, run by run", fifty.map { $0.workerCPU / $0.sandboxCPU }, "", "%.3f"),
            row("zero-latency sandbox at half the maximum load: enqueue → fax.submitted p50", halfZero.map(\.p50), "ms"),
            row("  p99", halfZero.map(\.p99), "ms"),
            row("\(latency) ms sandbox at half its rate: enqueue → fax.submitted p50", halfFifty.map(\.p50), "ms"),
            row("  p99", halfFifty.map(\.p99), "ms"),
            row("naive worker (Benchmarks/naive_worker.py, one job at a time), \(latency) ms sandbox, 200 jobs", naive, "jobs/s", "%.1f"),
            "",
            String(
                format:
                    "- %d ms × %d in flight: %.0f jobs/s = **%.2f of in-flight ÷ latency** (%.0f; target at least 0.35), %.0f× the naive worker",
                latency,
                inFlight,
                atFifty,
                atFifty / ceiling,
                ceiling,
                atFifty / median(naive)
            ),
            String(format: "- worker CPU per job there: **%.3f ms** (target at most 0.17)", median(fifty.map(\.workerCPU))),
            String(
                format:
                    "- enqueue → fax.submitted at half load (%.0f jobs/s, zero latency): p50 %.0f ms, **p99 %.0f ms** (target under 50)",
                maximum / 2,
                median(halfZero.map(\.p50)),
                median(halfZero.map(\.p99))
            ),
        ]
    }

    private static func median(_ values: [Double]) -> Double {
        Benchmark.Result(name: "", unit: "", rates: values).median
    }

    /// `jobs` jobs through a worker with `maxInFlight` slots against a sandbox answering after
    /// `latencyMS`; produced at once (`perSecond` nil) or at `perSecond`.
    static func run(jobs: Int, maxInFlight: Int, latencyMS: Int, perSecond: Double? = nil, logger: Logger) async throws -> Outcome {
        try await withProcesses { directory, started in
            let topics = TopicNames()
            let (bootstrap, sandboxURL, sandbox) = try await startBrokerAndSandbox(
                latencyMS: latencyMS,
                directory: directory,
                started: started
            )
            let metricsPort = freeLocalPort()
            let worker = try ManagedProcess(
                ManagedProcess.faxdExecutable,
                [
                    "worker", "--config",
                    try writeWorkerConfiguration(
                        in: directory,
                        bootstrap: bootstrap,
                        sandboxURL: sandboxURL,
                        metricsPort: metricsPort,
                        maxInFlight: maxInFlight,
                        // The mock broker holds a fetch of a partition at its end for all of
                        // fetch.wait.max.ms (500 ms), where a real broker answers as soon as a record
                        // arrives (fetch.min.bytes 1): the latency runs stand in for that with 10 ms.
                        fetchWaitMS: perSecond == nil ? nil : 10
                    ).path,
                ],
                environment: ["BENCH_MINTFAX_KEY": PipelineBenchmarks.apiKey, "BENCH_WEBHOOK_SECRET": BacklogBenchmark.webhookSecret]
            )
            started(worker)
            try await waitUntilReady(worker, metricsPort: metricsPort)

            let admin = try KafkaAdmin(configuration: .init(bootstrapServers: bootstrap), logger: logger)
            let before = (worker: cpuSeconds(worker.pid), sandbox: cpuSeconds(sandbox.pid))
            let clock = ContinuousClock()
            var start = clock.now
            try await produce(jobs, perSecond: perSecond, topic: topics.jobs, bootstrap: bootstrap, logger: logger) { start = clock.now }
            try await waitForSubmitted(jobs, status: topics.status, admin: admin, worker: worker)
            let elapsed = clock.now - start
            let after = (worker: cpuSeconds(worker.pid), sandbox: cpuSeconds(sandbox.pid))
            await admin.close()
            let waits = try await enqueueToSubmitted(topics: topics, bootstrap: bootstrap, logger: logger)
            guard waits.count == jobs else {
                throw BenchmarkFailure(description: "matched \(waits.count) of \(jobs) jobs with their fax.submitted")
            }
            return Outcome(
                jobsPerSecond: Double(jobs) / elapsed.seconds,
                workerCPU: (after.worker - before.worker) * 1000 / Double(jobs),
                sandboxCPU: (after.sandbox - before.sandbox) * 1000 / Double(jobs),
                p50: percentile(waits, 0.50),
                p99: percentile(waits, 0.99),
                tail: [0.9, 0.95, 0.999, 1].map { percentile(waits, $0) }
            )
        }
    }

    /// The naive worker's jobs/s (`Benchmarks/naive_worker.py`, one job at a time) over `jobs` jobs
    /// against the sandbox answering after `latencyMS`, with `faxd broker` and `faxd sandbox` as above.
    static func naive(jobs: Int, latencyMS: Int, logger: Logger) async throws -> Double {
        try await withProcesses { directory, started in
            let python = URL(fileURLWithPath: ProcessInfo.processInfo.environment["FAXD_BENCH_PYTHON"] ?? ".build/test-venv/bin/python")
            let (bootstrap, sandboxURL, _) = try await startBrokerAndSandbox(latencyMS: latencyMS, directory: directory, started: started)
            try await produce(jobs, perSecond: nil, topic: TopicNames().jobs, bootstrap: bootstrap, logger: logger)
            let naive = try ManagedProcess(
                python,
                [
                    "Benchmarks/naive_worker.py", "--bootstrap", bootstrap, "--mintfax", sandboxURL + "/v1", "--api-key",
                    PipelineBenchmarks.apiKey, "--jobs", String(jobs),
                ]
            )
            started(naive)
            let line = try await naive.firstLines(1, timeout: .seconds(Int64(jobs) + 60))[0]
            guard try await naive.waitForExit() == 0, let rate = line.split(separator: " ").dropLast().last.flatMap({ Double($0) }) else {
                throw BenchmarkFailure(description: "the naive worker said \(line): \(naive.standardError.suffix(2_000))")
            }
            return rate
        }
    }

    /// Runs `body` with a fresh directory and a way to note the processes it starts; stops them after
    /// it (SIGKILL when it threw).
    private static func withProcesses<T>(
        _ body: (_ directory: URL, _ started: (ManagedProcess) -> Void) async throws -> T
    ) async throws -> T {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent(UniqueName.make("faxd-worker-bench"))
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        var processes: [ManagedProcess] = []
        do {
            let result = try await body(directory) { processes.append($0) }
            for process in processes.reversed() where process.isRunning { _ = try await process.stop(timeout: .seconds(60)) }
            return result
        } catch {
            for process in processes.reversed() { _ = try? await process.stop(signal: SIGKILL, timeout: .seconds(10)) }
            throw error
        }
    }

    /// `faxd broker` (one broker, `partitions` per topic) and `faxd sandbox`: the bootstrap servers and the sandbox's URL.
    private static func startBrokerAndSandbox(
        latencyMS: Int,
        directory: URL,
        started: (ManagedProcess) -> Void
    ) async throws -> (bootstrap: String, sandboxURL: String, sandbox: ManagedProcess) {
        let broker = try ManagedProcess(ManagedProcess.faxdExecutable, ["broker", "--brokers", "1", "--partitions", String(partitions)])
        started(broker)
        let bootstrap = try await broker.firstLines(1)[0]
        let sandbox = try ManagedProcess(
            ManagedProcess.faxdExecutable,
            ["sandbox", "--config", try writeSandboxConfiguration(in: directory, latencyMS: latencyMS).path]
        )
        started(sandbox)
        return (bootstrap, try await sandbox.firstLines(1)[0], sandbox)
    }

    /// `/readyz` answers 200 and the job ledger of the worker's partitions is restored.
    private static func waitUntilReady(_ worker: ManagedProcess, metricsPort: Int) async throws {
        let client = try HTTPClient()
        let clock = ContinuousClock()
        let deadline = clock.now.advanced(by: .seconds(60))
        while clock.now < deadline {
            guard worker.isRunning else { throw BenchmarkFailure(description: "the worker exited: \(worker.standardError.suffix(2_000))") }
            let ready = (try? await client.execute(HTTPRequest(url: "http://127.0.0.1:\(metricsPort)/readyz")))?.status == 200
            if ready, worker.standardError.contains("Job ledger restored") { return }
            try await Task.sleep(for: .milliseconds(50))
        }
        throw BenchmarkFailure(description: "the worker was not ready within 60 s: \(worker.standardError.suffix(2_000))")
    }

    /// Produces jobs `0..<count` (`PipelineBenchmarks.job`), round-robin over the partitions and keyed
    /// by tenant, at once or `perSecond` (in steps of 5 ms), and waits for Kafka's acknowledgements;
    /// `starting` is called just before the first job is produced.
    private static func produce(
        _ count: Int,
        perSecond: Double?,
        topic: String,
        bootstrap: String,
        logger: Logger,
        starting: () -> Void = {}
    ) async throws {
        let producer = try KafkaProducer(
            configuration: .init(bootstrapServers: bootstrap, properties: ["linger.ms": "0"]),
            logger: logger
        )
        // A record acknowledged first, where the worker does not read: the producer has its
        // connection and producer id before the first job's timestamp is taken. And every topic's
        // metadata: without it librdkafka looks the jobs topic up on its one-second timer, with the
        // first jobs' timestamps taken, which was the "first second" of every run.
        _ = try await producer.send(KafkaOutgoingMessage(topic: TopicNames().deadLetters, key: nil, value: Array("warm-up".utf8)))
        try await producer.loadMetadata()
        let counter = DeliveryCounter()
        let clock = ContinuousClock()
        let start = clock.now
        starting()
        var index = 0
        while index < count {
            let due = perSecond.map { min(count, Int((clock.now - start).seconds * $0) + 1) } ?? count
            while index < due {
                let (tenant, value) = PipelineBenchmarks.job(index)
                let message = KafkaOutgoingMessage(
                    topic: topic,
                    partition: Int32(index % partitions),
                    key: Array(tenant.utf8),
                    value: value
                )
                while try !counter.enqueue(message, on: producer) { try await Task.sleep(for: .milliseconds(1)) }
                index += 1
            }
            if index < count { try await Task.sleep(for: .milliseconds(5)) }
        }
        try await producer.flush(timeout: .seconds(300))
        await producer.close()
        let failed = counter.failed.load(ordering: .relaxed)
        guard failed == 0 else { throw BenchmarkFailure(description: "\(failed) of \(count) jobs were not produced") }
    }

    /// Polls `fax.status`'s high watermarks every 20 ms until they add up to `jobs`; fails after 30 s
    /// without progress.
    private static func waitForSubmitted(_ jobs: Int, status: String, admin: KafkaAdmin, worker: ManagedProcess) async throws {
        let clock = ContinuousClock()
        var (seen, progressAt) = (0, clock.now)
        while seen < jobs {
            guard worker.isRunning else { throw BenchmarkFailure(description: "the worker exited: \(worker.standardError.suffix(2_000))") }
            let now = try await admin.watermarks(ofTopic: status).values.reduce(0) { $0 + Int($1.high) }
            if now > seen { (seen, progressAt) = (now, clock.now) }
            guard clock.now - progressAt < .seconds(30) else {
                throw BenchmarkFailure(description: "no progress for 30 s at \(seen) of \(jobs): \(worker.standardError.suffix(2_000))")
            }
            if seen < jobs { try await Task.sleep(for: .milliseconds(20)) }
        }
    }

    /// Each job's wait from its record's timestamp to its `fax.submitted` event's, in milliseconds.
    private static func enqueueToSubmitted(
        topics: TopicNames,
        bootstrap: String,
        logger: Logger
    ) async throws -> [Double] {
        let configuration = KafkaClientConfiguration(bootstrapServers: bootstrap)
        var enqueued: [String: Int64?] = [:]
        try await KafkaTopicSnapshotReader(topic: topics.jobs, configuration: configuration, logger: logger).read { record in
            let job = try JSONDecoder().decode(Identified.self, from: Data(record.value))
            enqueued[job.jobID] = record.timestampMilliseconds
        }
        var waits: [Double] = []
        try await KafkaTopicSnapshotReader(topic: topics.status, configuration: configuration, logger: logger).read { record in
            let event = try JSONDecoder().decode(Identified.self, from: Data(record.value))
            guard event.type == "fax.submitted", let from = enqueued.removeValue(forKey: event.jobID), let to = record.timestampMilliseconds
            else { return }
            guard let from else { return }
            waits.append(Double(to - from))
        }
        return waits
    }

    private struct Identified: Decodable {
        var jobID: String
        var type: String?

        enum CodingKeys: String, CodingKey {
            case jobID = "job_id"
            case type
        }
    }

    private static func percentile(_ values: [Double], _ share: Double) -> Double {
        let sorted = values.sorted()
        guard !sorted.isEmpty else { return .nan }
        return sorted[min(sorted.count - 1, Int((Double(sorted.count) * share).rounded(.up)) - 1)]
    }

    /// User and system CPU time of every thread of process `pid`, in seconds (`/proc/PID/stat`).
    static func cpuSeconds(_ pid: Int32) -> Double {
        guard let handle = FileHandle(forReadingAtPath: "/proc/\(pid)/stat"), let data = try? handle.readToEnd() else { return 0 }
        try? handle.close()
        // The fields after the command's closing parenthesis; utime and stime are the 12th and 13th.
        let text = String(decoding: data, as: UTF8.self)
        guard let close = text.lastIndex(of: ")") else { return 0 }
        let fields = text[text.index(after: close)...].split(separator: " ")
        guard fields.count > 12, let user = Double(fields[11]), let system = Double(fields[12]) else { return 0 }
        return (user + system) / Double(sysconf(Int32(_SC_CLK_TCK)))
    }

    /// One environment whose balance and rate limit never stop the run, lifecycles at a millisecond
    /// per step, no webhooks, `latencyMS` before each answer.
    private static func writeSandboxConfiguration(in directory: URL, latencyMS: Int) throws -> URL {
        let file = directory.appendingPathComponent("sandbox.yaml")
        try """
        host: 127.0.0.1
        port: 0
        time_scale: 0.001
        environments:
          - name: bench
            api_key: \(PipelineBenchmarks.apiKey)
            balance_cents: 1000000000000
            rate_limit_per_minute: 100000000
        \(latencyMS > 0 ? "faults:\n  latency: { min_ms: \(latencyMS) }" : "")
        """.write(to: file, atomically: true, encoding: .utf8)
        return file
    }

    /// The worker's defaults (log level info included) but for limits that would stop the run:
    /// `maxInFlight` for any one tenant too, and no rate limit; the five tenants use the shared workspace.
    private static func writeWorkerConfiguration(
        in directory: URL,
        bootstrap: String,
        sandboxURL: String,
        metricsPort: Int,
        maxInFlight: Int,
        fetchWaitMS: Int?
    ) throws -> URL {
        try BacklogBenchmark.writeSharedTenants(in: directory)
        let file = directory.appendingPathComponent("faxd.yaml")
        try """
        kafka:
          bootstrap_servers: \(bootstrap)
          group_id: \(UniqueName.make("worker-bench"))
        \(fetchWaitMS.map { "  properties: { fetch.wait.max.ms: \"\($0)\" }" } ?? "")
        mintfax:
          base_url: \(sandboxURL)/v1
          environment: sandbox
        dispatch:
          max_in_flight: \(maxInFlight)
          max_in_flight_per_tenant: \(maxInFlight)
          rate_limit_per_minute: 100000000
        webhooks:
          enabled: false
        metrics:
          listen: 127.0.0.1:\(metricsPort)
        """.write(to: file, atomically: true, encoding: .utf8)
        return file
    }
}

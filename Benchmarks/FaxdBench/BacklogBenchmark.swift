import FaxdCore
import FaxdKafka
import FaxdTestSupport
import Foundation
import Logging

/// `faxd-bench backlog` (`make bench-backlog`): one release `faxd worker` works off a backlog of small
/// jobs (5 tenants, inline PDFs) from `faxd broker` against a zero-latency `faxd sandbox`, each a
/// process of its own, while the worker's resident memory is sampled (`VmRSS` of `/proc/PID/status`
/// every 200 ms, `VmHWM` at the end). Issue #4: peak RSS under 200 MB for 1,000,000 jobs.
///
/// librdkafka's mock cluster keeps about 5 MB per partition, so the jobs are spread over 128
/// partitions and the watermarks must show every one of them retained before the worker starts.
/// Delivery tracking runs as in production: the sandbox sends each fax's `fax.delivered` webhook to
/// the worker's ingress (the shared workspace's route; the five tenants use the shared key), so the
/// worker publishes `fax.queued`, `fax.sending`, `fax.delivered` and `usage.capture` besides
/// `fax.submitted` and `usage.hold`, and its delivery ledger sees every fax finish. The backlog is
/// worked off when `fax.status` holds four records per job (the sum of its high watermarks).
enum BacklogBenchmark {
    static let partitions = 128
    static let maxInFlight = 64
    /// `fax.submitted`, `fax.queued`, `fax.sending`, `fax.delivered`.
    static let statusPerJob = 4

    static func run(jobs: Int) async throws {
        var logger = Logger(label: "faxd.bench.backlog")
        logger.logLevel = .error
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent(UniqueName.make("faxd-backlog"))
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        var processes: [ManagedProcess] = []
        do {
            try await run(jobs: jobs, directory: directory, logger: logger) { processes.append($0) }
        } catch {
            // Processes left running would go on without the broker (the worker retrying for ever).
            for process in processes.reversed() { _ = try? await process.stop(signal: SIGKILL, timeout: .seconds(10)) }
            throw error
        }
    }

    private static func run(jobs: Int, directory: URL, logger: Logger, started: (ManagedProcess) -> Void) async throws {
        let topics = TopicNames()
        let broker = try ManagedProcess(ManagedProcess.faxdExecutable, ["broker", "--brokers", "1", "--partitions", String(partitions)])
        started(broker)
        let bootstrap = try await broker.firstLines(1)[0]
        let ingressPort = closedLocalPort()
        let sandbox = try ManagedProcess(
            ManagedProcess.faxdExecutable,
            ["sandbox", "--config", try writeSandboxConfiguration(in: directory, ingressPort: ingressPort).path]
        )
        started(sandbox)
        let sandboxURL = try await sandbox.firstLines(1)[0]
        let admin = try KafkaAdmin(configuration: .init(bootstrapServers: bootstrap), logger: logger)

        let produced = try await rate(count: jobs) {
            try await PipelineBenchmarks.produceJobs(jobs, topic: topics.jobs, bootstrap: bootstrap, partitions: partitions, logger: logger)
        }
        let marks = try await watermarks(topics.jobs, admin: admin)
        let retained = marks.reduce(0) { $0 + Int($1.high - $1.low) }
        let truncated = marks.filter { $0.low > 0 }.count
        guard retained == jobs, truncated == 0 else {
            throw BenchmarkFailure(
                description: "the broker kept \(retained) of \(jobs) jobs (\(truncated) partitions lost their oldest records): "
                    + "the mock cluster keeps about 5 MB per partition; lower FAXD_BENCH_BACKLOG"
            )
        }
        say("Backlog: \(jobs) jobs on \(partitions) partitions, all retained (produced at \(Int(produced)) jobs/s)")

        let worker = try ManagedProcess(
            ManagedProcess.faxdExecutable,
            [
                "worker", "--config",
                try writeWorkerConfiguration(in: directory, bootstrap: bootstrap, sandboxURL: sandboxURL, ingressPort: ingressPort).path,
            ],
            environment: ["BENCH_MINTFAX_KEY": PipelineBenchmarks.apiKey, "BENCH_WEBHOOK_SECRET": webhookSecret, "FAXD_LOG_LEVEL": "error"]
        )
        started(worker)
        let samples = try await sample(worker, jobs: jobs, status: topics.status, admin: admin)
        let peakKB = memoryKB(worker.pid, "VmHWM") ?? 0
        let (brokerKB, sandboxKB) = (memoryKB(broker.pid, "VmHWM") ?? 0, memoryKB(sandbox.pid, "VmHWM") ?? 0)
        await admin.close()
        _ = try await worker.stop(timeout: .seconds(60))
        _ = try await sandbox.stop()
        _ = try await broker.stop()

        let first = samples.first { $0.submitted > 0 }!
        let last = samples.last!
        let seconds = (last.at - first.at).seconds
        func rss(atShare share: Double) -> String {
            let sample = samples.first { Double($0.submitted) >= share * Double(jobs) } ?? last
            return mebibytes(sample.rssKB)
        }
        say(
            "One release faxd worker, \(maxInFlight) in flight: \(String(format: "%.0f", Double(jobs - first.submitted) / seconds)) jobs/s "
                + "(\(String(format: "%.1f", seconds)) s from the first fax.submitted to the last; \(String(format: "%.1f", last.at.seconds)) s from its start)"
        )
        say(
            "Worker RSS: \(mebibytes(first.rssKB)) at the first fax.submitted, \(rss(atShare: 0.1)) at 10%, \(rss(atShare: 0.5)) at 50%, "
                + "\(rss(atShare: 0.9)) at 90%, \(mebibytes(last.rssKB)) at 100%"
        )
        say(
            "Worker peak RSS: \(mebibytes(peakKB)) (VmHWM; highest 200 ms sample \(mebibytes(samples.map(\.rssKB).max() ?? 0))); issue #4: under 200 MB"
        )
        say("For reference, peak RSS of faxd broker \(mebibytes(brokerKB)), of faxd sandbox \(mebibytes(sandboxKB))")
    }

    struct Sample {
        /// Time since the worker started.
        var at: Duration
        var submitted: Int
        var rssKB: Int
    }

    /// Samples the worker every 200 ms until `fax.status` holds every job's records, printing a line every
    /// tenth of the way; fails when the worker exits or two minutes pass without progress (the
    /// reconciler finishes faxes whose webhooks failed within about 40 s).
    private static func sample(_ worker: ManagedProcess, jobs: Int, status: String, admin: KafkaAdmin) async throws -> [Sample] {
        let clock = ContinuousClock()
        let started = clock.now
        var samples: [Sample] = []
        var progressAt = started
        while samples.last.map({ $0.submitted < jobs }) ?? true {
            guard let rss = memoryKB(worker.pid, "VmRSS"), worker.isRunning else {
                throw BenchmarkFailure(description: "the worker exited: \(worker.standardError.suffix(2_000))")
            }
            // High watermarks, not high minus low: the status events are keyed by tenant, so five
            // partitions take them all and the mock cluster drops their oldest.
            let submitted = try await watermarks(status, admin: admin).reduce(0) { $0 + Int($1.high) } / statusPerJob
            if submitted > (samples.last?.submitted ?? 0) { progressAt = clock.now }
            guard clock.now - progressAt < .seconds(120) else {
                throw BenchmarkFailure(
                    description: "no progress for two minutes at \(submitted) of \(jobs): \(worker.standardError.suffix(2_000))"
                )
            }
            let sample = Sample(at: clock.now - started, submitted: submitted, rssKB: rss)
            if submitted * 10 / jobs > (samples.last?.submitted ?? 0) * 10 / jobs {
                say(
                    "  \(submitted * 100 / jobs)%: \(submitted) submitted at \(String(format: "%.1f", sample.at.seconds)) s, RSS \(mebibytes(rss))"
                )
            }
            samples.append(sample)
            try await Task.sleep(for: .milliseconds(200))
        }
        return samples
    }

    /// The watermarks of every partition of `topic`.
    private static func watermarks(_ topic: String, admin: KafkaAdmin) async throws -> [KafkaWatermarks] {
        try await withThrowingTaskGroup(of: KafkaWatermarks.self) { group in
            for index in 0..<partitions {
                group.addTask { try await admin.watermarks(KafkaTopicPartition(topic: topic, partition: Int32(index))) }
            }
            return try await group.reduce(into: []) { $0.append($1) }
        }
    }

    /// A field of `/proc/PID/status` in kB (`VmRSS`, `VmHWM`); nil once the process is gone.
    static func memoryKB(_ pid: Int32, _ field: String) -> Int? {
        guard let handle = FileHandle(forReadingAtPath: "/proc/\(pid)/status"), let data = try? handle.readToEnd() else { return nil }
        try? handle.close()
        let line = String(decoding: data, as: UTF8.self).split(separator: "\n").first { $0.hasPrefix(field + ":") }
        return line?.split(separator: " ", omittingEmptySubsequences: true).dropFirst().first.flatMap { Int($0) }
    }

    /// Prints a line at once, also through a pipe or into a file (`print` would buffer it there).
    private static func say(_ line: String) {
        FileHandle.standardOutput.write(Data((line + "\n").utf8))
    }

    private static func mebibytes(_ kB: Int) -> String {
        String(format: "%.0f MiB", Double(kB) / 1024)
    }

    /// 24 bytes, base64: no padding.
    static let webhookSecret = "whsec_" + Data("bench-webhook-secret-001".utf8).base64EncodedString()

    /// `tenants.yaml` in `directory`: no tenants listed; the shared workspace's key and webhook secret
    /// from `BENCH_MINTFAX_KEY` and `BENCH_WEBHOOK_SECRET` (`webhookSecret`), used by `t1`…`t5`, its rate
    /// out of the way.
    static func writeSharedTenants(in directory: URL) throws {
        try """
        tenants: []
        shared_workspace:
          api_key: { env: BENCH_MINTFAX_KEY }
          webhook_secret: { env: BENCH_WEBHOOK_SECRET }
          rate_limit_per_minute: 100000000
          members: ["t*"]
        """.write(to: directory.appendingPathComponent("tenants.yaml"), atomically: true, encoding: .utf8)
    }

    /// One environment whose balance and rate limit never stop the run; lifecycles at a millisecond per step.
    private static func writeSandboxConfiguration(in directory: URL, ingressPort: Int) throws -> URL {
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
            webhook_secret: \(webhookSecret)
            webhook_endpoints:
              - url: http://127.0.0.1:\(ingressPort)/webhooks/mintfax
                events: [fax.delivered]
        """.write(to: file, atomically: true, encoding: .utf8)
        return file
    }

    /// The worker's defaults but for limits that would stop the run: the pipeline benchmark's 64 in
    /// flight, for any one tenant too, and no rate limit; tenants `t1`…`t5` use the shared workspace
    /// (the sandbox's key and webhook secret); the ingress listens on `ingressPort`. The sandbox
    /// runs a thousand times faster than mintfax, its webhook retries too (all four within about a
    /// second), so the reconciler looks for a fax's outcome after 30 s instead of 15 min: a fax whose
    /// webhooks all failed is finished by the reconciler, as in production, within the run.
    private static func writeWorkerConfiguration(in directory: URL, bootstrap: String, sandboxURL: String, ingressPort: Int) throws -> URL {
        try writeSharedTenants(in: directory)
        let file = directory.appendingPathComponent("faxd.yaml")
        try """
        kafka:
          bootstrap_servers: \(bootstrap)
          group_id: \(UniqueName.make("backlog"))
        mintfax:
          base_url: \(sandboxURL)/v1
          environment: sandbox
        dispatch:
          max_in_flight: \(maxInFlight)
          max_in_flight_per_tenant: \(maxInFlight)
          rate_limit_per_minute: 100000000
        webhooks:
          listen: 127.0.0.1:\(ingressPort)
        metrics:
          listen: 127.0.0.1:0
        delivery:
          reconcile_after_seconds: 30
          reconcile_interval_seconds: 10
        """.write(to: file, atomically: true, encoding: .utf8)
        return file
    }
}

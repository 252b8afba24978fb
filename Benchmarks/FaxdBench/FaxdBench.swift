import FaxdKafka
import FaxdTestSupport
import Foundation
import Logging

/// `make bench`: the baselines that the dispatch pipeline is measured against, in one run on one
/// machine. Prints a Markdown table of medians, then the pipeline's ratios to its two halves.
///
/// `faxd-bench worker` runs only the worker-process figures at the end (`WorkerProcessBenchmark`);
/// `faxd-bench backlog` (`make bench-backlog`) is the backlog benchmark instead (`BacklogBenchmark`),
/// `faxd-bench readiness` (`make bench-readiness`) the start-up benchmark (`ReadinessBenchmark`).
@main
enum FaxdBench {
    static func main() async throws {
        let environment = ProcessInfo.processInfo.environment
        if CommandLine.arguments.dropFirst().first == "readiness" {
            let histories = (environment["FAXD_BENCH_HISTORY"] ?? "0,100000,1000000").split(separator: ",").compactMap { Int($0) }
            do {
                try await ReadinessBenchmark.run(
                    histories: histories,
                    ledgerJobs: environment["FAXD_BENCH_LEDGER_JOBS"].flatMap(Int.init) ?? 1_000_000
                )
            } catch {
                FileHandle.standardError.write(Data("faxd-bench readiness: \(error)\n".utf8))
                exit(1)
            }
            return
        }
        if CommandLine.arguments.dropFirst().first == "backlog" {
            let jobs = environment["FAXD_BENCH_BACKLOG"].flatMap(Int.init) ?? 1_000_000
            do {
                try await BacklogBenchmark.run(jobs: jobs)
            } catch {
                FileHandle.standardError.write(Data("faxd-bench backlog: \(error)\n".utf8))
                exit(1)
            }
            return
        }
        let runs = environment["FAXD_BENCH_RUNS"].flatMap(Int.init) ?? 5
        let processRuns = environment["FAXD_BENCH_PROCESS_RUNS"].flatMap(Int.init) ?? 3
        let records = environment["FAXD_BENCH_RECORDS"].flatMap(Int.init) ?? 100_000
        let requests = environment["FAXD_BENCH_REQUESTS"].flatMap(Int.init) ?? 20_000
        let submissions = environment["FAXD_BENCH_SUBMISSIONS"].flatMap(Int.init) ?? 4_000
        let jobs = environment["FAXD_BENCH_JOBS"].flatMap(Int.init) ?? 10_000
        var logger = Logger(label: "faxd.bench")
        logger.logLevel = .error
        if CommandLine.arguments.dropFirst().first == "worker-once" {
            // One run for a profiler: `faxd-bench worker-once LATENCY_MS [PER_SECOND]`, FAXD_BINARY a wrapper.
            let arguments = CommandLine.arguments.dropFirst(2).compactMap { Double($0) }
            let outcome = try await WorkerProcessBenchmark.run(
                jobs: jobs,
                maxInFlight: 256,
                latencyMS: Int(arguments.first ?? 50),
                perSecond: arguments.dropFirst().first,
                logger: logger
            )
            print(outcome)
            return
        }
        if CommandLine.arguments.dropFirst().first == "worker" {
            for line in try await WorkerProcessBenchmark.report(runs: processRuns, jobs: jobs, logger: logger) { print(line) }
            return
        }

        let cluster = try MockKafkaCluster(brokers: 1, logger: logger)
        var results: [Benchmark.Result] = []
        results.append(try await KafkaBenchmarks.consume(cluster: cluster, records: records, logger: logger).measure(runs: runs))
        results.append(try await KafkaBenchmarks.produce(cluster: cluster, records: records, logger: logger).measure(runs: runs))
        await cluster.shutdown()
        results.append(contentsOf: try await HTTPBenchmarks.all(requests: requests, logger: logger, runs: runs))
        results.append(contentsOf: try await SandboxBenchmarks.all(requests: submissions, logger: logger, runs: runs))
        results.append(try await SandboxBenchmarks.startup(runs: runs))
        let httpOnly = try await PipelineBaselines.httpOnly(jobs: jobs, maxInFlight: 64, logger: logger).measure(runs: runs)
        let kafkaOnly = try await PipelineBaselines.kafkaOnly(jobs: jobs, maxInFlight: 64, logger: logger).measure(runs: runs)
        let pipeline = try await PipelineBenchmarks.pipeline(jobs: jobs, maxInFlight: 64, latencyMS: 0, logger: logger).measure(runs: runs)
        results += [httpOnly, kafkaOnly, pipeline]
        for cap in [8, 32, 128] {
            results.append(
                try await PipelineBenchmarks.pipeline(jobs: jobs / 5, maxInFlight: cap, latencyMS: 50, logger: logger).measure(
                    runs: 3,
                    warmUp: false
                )
            )
        }

        print(
            "Machine: \(ProcessInfo.processInfo.activeProcessorCount) cores, \(ProcessInfo.processInfo.physicalMemory / 1_073_741_824) GiB; \(runs) runs each, after one warm-up run\n"
        )
        print("| benchmark | median | runs |")
        print("|---|---:|---|")
        for result in results {
            let runsText = result.rates.map { String(format: "%.0f", $0) }.joined(separator: ", ")
            print("| \(result.name) | \(String(format: "%.0f", result.median)) \(result.unit) | \(runsText) |")
        }

        // Issue #4: end to end against the zero-latency sandbox, at least 0.5 of the smaller half.
        let smaller = httpOnly.median <= kafkaOnly.median ? "HTTP only" : "Kafka only"
        print("\nPipeline (64 in flight, zero-latency sandbox) against its halves, medians of this run:")
        print(
            String(
                format: "- pipeline ÷ HTTP only:  %.0f ÷ %.0f = %.2f",
                pipeline.median,
                httpOnly.median,
                pipeline.median / httpOnly.median
            )
        )
        print(
            String(
                format: "- pipeline ÷ Kafka only: %.0f ÷ %.0f = %.2f",
                pipeline.median,
                kafkaOnly.median,
                pipeline.median / kafkaOnly.median
            )
        )
        print(
            "- the smaller baseline is \(smaller): the ratio to it is "
                + String(format: "%.2f", pipeline.median / min(httpOnly.median, kafkaOnly.median)) + " (target: at least 0.5)"
        )

        // Issue #16: the worker as a process of its own, what it costs per job and what a producer waits.
        print("")
        for line in try await WorkerProcessBenchmark.report(runs: processRuns, jobs: jobs, logger: logger) { print(line) }
    }
}

import FaxdCore
import FaxdKafka
import FaxdSandbox
import FaxdTestSupport
import FaxdWorker
import Foundation
import Logging
import Prometheus
import Synchronization

/// The whole dispatch pipeline in one process: the mock cluster, the sandbox and one `Worker`,
/// timed from the first `fax.submitted` event to the last (the group join is not part of the rate).
enum PipelineBenchmarks {
    static let apiKey = "mfx_test_bench0000000000000000001"

    /// End-to-end jobs/s at `maxInFlight`, with `latencyMS` of sandbox latency per request.
    static func pipeline(jobs: Int, maxInFlight: Int, latencyMS: Int, logger: Logger) -> Benchmark {
        let latency = latencyMS == 0 ? "zero-latency sandbox" : "\(latencyMS) ms sandbox latency"
        return Benchmark(name: "Pipeline end to end, \(maxInFlight) in flight, \(latency) (\(jobs) jobs, 5 tenants)", unit: "jobs/s") {
            try await run(jobs: jobs, maxInFlight: maxInFlight, latencyMS: latencyMS, logger: logger)
        }
    }

    private static func run(jobs: Int, maxInFlight: Int, latencyMS: Int, logger: Logger) async throws -> Double {
        let cluster = try MockKafkaCluster(brokers: 1, logger: logger)
        let prefix = UniqueName.make("bench")
        let topics = try createTopics(on: cluster, prefix: prefix)
        return try await SandboxApplication.withRunning(configuration: sandboxConfiguration(latencyMS: latencyMS), logger: logger) { port in
            try await produceJobs(jobs, topic: topics.jobs, bootstrap: cluster.bootstrapServers, logger: logger)

            var configuration = WorkerConfiguration()
            configuration.kafka.bootstrapServers = cluster.bootstrapServers
            configuration.kafka.groupID = prefix
            configuration.kafka.topics = topics
            configuration.mintfax.baseURL = "http://127.0.0.1:\(port)/v1"
            configuration.metrics.listen = "127.0.0.1:0"
            configuration.webhooks.listen = "127.0.0.1:0"
            configuration.dispatch.maxInFlight = maxInFlight
            configuration.dispatch.maxInFlightPerTenant = maxInFlight
            configuration.dispatch.rateLimitPerMinute = 100_000_000
            let tenants = try TenantDirectory(
                tenants: TenantsConfiguration(tenants: (1...5).map { .init(id: "t\($0)", apiKey: .environment("BENCH_KEY")) }),
                environment: ["BENCH_KEY": apiKey],
                mintfaxEnvironment: "sandbox"
            )
            let worker = try Worker(
                configuration: configuration,
                tenants: tenants,
                metrics: WorkerMetrics(registry: PrometheusCollectorRegistry()),
                logger: logger
            )
            let rate = try await withThrowingTaskGroup(of: Void.self) { group in
                group.addTask { try await worker.run() }
                let rate = try await submittedRate(jobs: jobs, topic: topics.status, bootstrap: cluster.bootstrapServers, logger: logger)
                await worker.shutdown()
                try await group.waitForAll()
                return rate
            }
            await cluster.shutdown()
            return rate
        }
    }

    /// The jobs, status, usage, dead-letter and ledger topics of one run, 6 partitions each.
    static func createTopics(on cluster: MockKafkaCluster, prefix: String) throws -> TopicNames {
        var topics = TopicNames()
        topics.jobs = prefix + ".jobs"
        topics.status = prefix + ".status"
        topics.usage = prefix + ".usage"
        topics.deadLetters = prefix + ".dlq"
        topics.ledger = prefix + ".ledger"
        for topic in topics.all { try cluster.createTopic(topic, partitions: 6) }
        return topics
    }

    /// A sandbox with one environment whose balance and rate limit never stop a run, lifecycles at a
    /// millisecond per step, and `latencyMS` before each answer.
    static func sandboxConfiguration(latencyMS: Int) -> SandboxConfiguration {
        var configuration = SandboxConfiguration(port: 0, timeScale: 0.001, unauthenticatedRateLimitPerMinute: 10_000_000)
        configuration.environments = [
            EnvironmentConfiguration(
                name: "bench",
                apiKey: apiKey,
                balanceCents: 1_000_000_000,
                rateLimitPerMinute: 100_000_000,
                webhookSecret: SandboxConfiguration.demoEnvironments[0].webhookSecret
            )
        ]
        if latencyMS > 0 { configuration.faults.latency = .init(minMilliseconds: latencyMS) }
        return configuration
    }

    /// Job `index`: tenant `t1`…`t5` in turn, a 45-byte inline PDF (a record of about 170 bytes).
    static func job(_ index: Int) -> (tenant: String, value: [UInt8]) {
        let tenant = "t\(index % 5 + 1)"
        let value =
            "{\"job_id\":\"job-\(index)\",\"tenant_id\":\"\(tenant)\",\"to\":\"+12125550100\",\"document\":{\"content_base64\":\"\(pdf)\",\"filename\":\"a.pdf\"}}"
        return (tenant, Array(value.utf8))
    }

    private static let pdf = Data("%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n".utf8).base64EncodedString()

    /// Produces jobs `0..<count` keyed by tenant, and waits until Kafka acknowledged them all.
    /// - Parameter partitions: when given, job `i` goes to partition `i % partitions` instead of its
    ///   tenant's (five keys fill only five partitions).
    static func produceJobs(_ count: Int, topic: String, bootstrap: String, partitions: Int? = nil, logger: Logger) async throws {
        let producer = try KafkaProducer(configuration: .init(bootstrapServers: bootstrap), logger: logger)
        let counter = DeliveryCounter()
        for i in 0..<count {
            let (tenant, value) = job(i)
            let message = KafkaOutgoingMessage(
                topic: topic,
                partition: partitions.map { Int32(i % $0) },
                key: Array(tenant.utf8),
                value: value
            )
            while try !counter.enqueue(message, on: producer) { try await Task.sleep(for: .milliseconds(1)) }
        }
        try await producer.flush(timeout: .seconds(300))
        await producer.close()
        let failed = counter.failed.load(ordering: .relaxed)
        guard failed == 0 else { throw BenchmarkFailure(description: "\(failed) of \(count) jobs were not produced") }
    }

    /// Reads the status topic until `jobs` `fax.submitted` events; the rate between the first and last.
    private static func submittedRate(jobs: Int, topic: String, bootstrap: String, logger: Logger) async throws -> Double {
        let consumer = try KafkaConsumer(
            configuration: .init(bootstrapServers: bootstrap, groupID: UniqueName.make("bench-reader")),
            logger: logger
        )
        try consumer.subscribe(topics: [topic])
        let clock = ContinuousClock()
        var first: ContinuousClock.Instant?
        var submitted = 0
        let marker = Array("\"fax.submitted\"".utf8)
        for try await record in consumer.records where record.value.firstRange(of: marker) != nil {
            if first == nil { first = clock.now }
            submitted += 1
            if submitted == jobs { break }
        }
        let elapsed = clock.now - (first ?? clock.now)
        try await consumer.close()
        guard submitted == jobs else { throw BenchmarkFailure(description: "only \(submitted) of \(jobs) jobs were submitted") }
        return Double(jobs - 1) / elapsed.seconds
    }
}

extension Duration {
    var seconds: Double {
        Double(components.seconds) + Double(components.attoseconds) / 1e18
    }
}

import FaxdCore
import FaxdKafka
import FaxdSandbox
import FaxdTestSupport
import FaxdWorker
import Foundation
import Logging
import Prometheus
import Testing

/// A worker in process against the mock cluster and the sandbox, with a tenant whose token bucket
/// empties: the jobs beyond the burst wait for tokens, and the dispatcher must wake up for them
/// (nothing else happens meanwhile: no job in flight, no record arriving).
@Suite struct WorkerRateLimitTests {
    @Test func jobsBeyondTheBurstWaitForTokensAndAllGoOut() async throws {
        let logger = KafkaFixtures.logger("test.worker.rate")
        let cluster = try MockKafkaCluster(brokers: 1, logger: logger)
        let topics = TopicNames()
        for topic in topics.all { try cluster.createTopic(topic, partitions: 1) }
        var sandbox = SandboxConfiguration(port: 0, timeScale: 0.001, unauthenticatedRateLimitPerMinute: 1_000_000)
        let key = "mfx_test_ratelimit000000000000001"
        sandbox.environments = [
            EnvironmentConfiguration(
                name: "rate",
                apiKey: key,
                balanceCents: 1_000_000,
                rateLimitPerMinute: 1_000_000,
                webhookSecret: SandboxConfiguration.demoEnvironments[0].webhookSecret
            )
        ]
        let jobs = 30
        try await SandboxApplication.withRunning(configuration: sandbox, logger: logger) { port in
            let producer = try KafkaProducer(configuration: .init(bootstrapServers: cluster.bootstrapServers), logger: logger)
            let pdf = Data("%PDF-1.4\n%%EOF\n".utf8).base64EncodedString()
            for i in 0..<jobs {
                let value =
                    "{\"job_id\":\"r-\(i)\",\"tenant_id\":\"acme\",\"to\":\"+12125550100\",\"document\":{\"content_base64\":\"\(pdf)\",\"filename\":\"a.pdf\"}}"
                _ = try await producer.send(KafkaOutgoingMessage(topic: topics.jobs, key: Array("acme".utf8), value: Array(value.utf8)))
            }
            await producer.close()

            var configuration = WorkerConfiguration()
            configuration.kafka.bootstrapServers = cluster.bootstrapServers
            configuration.kafka.groupID = UniqueName.make("rate")
            configuration.mintfax.baseURL = "http://127.0.0.1:\(port)/v1"
            configuration.metrics.listen = "127.0.0.1:0"
            configuration.webhooks.listen = "127.0.0.1:0"
            // 600 a minute: the first 10 (the burst) at once, then one every 100 ms.
            configuration.dispatch.rateLimitPerMinute = 600
            let tenants = try TenantDirectory(
                tenants: TenantsConfiguration(tenants: [.init(id: "acme", apiKey: .environment("KEY"))]),
                environment: ["KEY": key],
                mintfaxEnvironment: "sandbox"
            )
            let worker = try Worker(
                configuration: configuration,
                tenants: tenants,
                metrics: WorkerMetrics(registry: PrometheusCollectorRegistry()),
                logger: logger
            )
            try await withThrowingTaskGroup(of: Void.self) { group in
                group.addTask { try await worker.run() }
                let reader = try KafkaConsumer(
                    configuration: KafkaFixtures.consumerConfiguration(
                        bootstrapServers: cluster.bootstrapServers,
                        groupID: UniqueName.make("reader")
                    ),
                    logger: logger
                )
                try reader.subscribe(topics: [topics.status])
                var times: [Date] = []
                var submitted = 0
                let deadline = Task {
                    try await Task.sleep(for: .seconds(60))
                    try await reader.close()
                }
                for try await record in reader.records {
                    guard let event = try? JSONDecoder().decode(StatusEvent.self, from: Data(record.value)), event.type == .submitted else {
                        continue
                    }
                    times.append(event.occurredAt)
                    submitted += 1
                    if submitted == jobs { break }
                }
                deadline.cancel()
                #expect(submitted == jobs, "the dispatcher stopped waking up for tokens")
                // 20 jobs beyond the burst at 10 a second take about 2 s, so their whole-second
                // `occurred_at` stamps span at least one second; without the bucket they would not.
                let spread = (times.max() ?? Date()).timeIntervalSince(times.min() ?? Date())
                #expect(spread >= 1)
                try? await reader.close()
                await worker.shutdown()
                try await group.waitForAll()
            }
        }
        await cluster.shutdown()
    }
}

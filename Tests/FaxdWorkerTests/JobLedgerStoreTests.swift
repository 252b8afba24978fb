import FaxdCore
import FaxdKafka
import FaxdTestSupport
import Foundation
import Prometheus
import Testing

@testable import FaxdWorker

/// The job ledger's store against librdkafka's mock cluster: restored when partitions are assigned,
/// consulted only once restored, finished by final events (issue #10).
@Suite struct JobLedgerStoreTests {
    let logger = KafkaFixtures.logger("test.worker.ledger")
    private static let window: TimeInterval = 23 * 3600
    private static let submitted = JobReference(tenantID: "acme", jobID: "sent")
    private static let attempted = JobReference(tenantID: "acme", jobID: "tried")
    /// One instant for every entry of a run (an hour ago: inside the key window).
    private static let t0 = Date().addingTimeInterval(-3600).wholeSeconds

    private static func entry(_ job: JobReference, _ state: JobLedgerEntry.State, faxID: String? = nil) -> JobLedgerEntry {
        JobLedgerEntry(
            job: job,
            idempotencyKey: job.idempotencyKey().uuid,
            state: state,
            faxID: faxID,
            firstAttemptAt: t0,
            submittedAt: faxID == nil ? nil : t0,
            attempt: faxID == nil ? nil : 1,
            origin: .init(partition: 1, offset: 0)
        )
    }

    /// A cluster whose 2-partition ledger holds, on partition 1, a submitted job and an attempted one.
    private func cluster() async throws -> (MockKafkaCluster, TopicNames, KafkaProducer) {
        let cluster = try MockKafkaCluster(brokers: 1, logger: logger)
        var topics = TopicNames()
        topics.ledger = UniqueName.make("ledger")
        topics.status = UniqueName.make("status")
        try cluster.createTopic(topics.ledger, partitions: 2)
        try cluster.createTopic(topics.status, partitions: 1)
        let producer = try KafkaProducer(configuration: .init(bootstrapServers: cluster.bootstrapServers), logger: logger)
        for entry in [Self.entry(Self.submitted, .submitted, faxID: "fax_sent"), Self.entry(Self.attempted, .attempting)] {
            _ = try await producer.send(
                KafkaOutgoingMessage(
                    topic: topics.ledger,
                    partition: 1,
                    key: Array(JobLedgerEntry.recordKey(entry.job).utf8),
                    value: entry.jsonBytes()
                )
            )
        }
        return (cluster, topics, producer)
    }

    private func makeStore(_ cluster: MockKafkaCluster, _ topics: TopicNames, _ producer: KafkaProducer) -> JobLedgerStore {
        JobLedgerStore(
            kafka: .init(bootstrapServers: cluster.bootstrapServers),
            topic: topics.ledger,
            publisher: EventPublisher(producer: producer, topics: topics, logger: logger),
            namespace: IdempotencyKey.defaultNamespace,
            logger: logger
        )
    }

    @Test func aJobIsDecidedOnlyFromItsRestoredPartition() async throws {
        let (cluster, topics, producer) = try await cluster()
        let store = makeStore(cluster, topics, producer)
        #expect(
            await store.begin(Self.submitted, partition: 1, now: { Date() }, keyWindow: Self.window) == nil,
            "not assigned: no decision"
        )
        await store.assigned([1])
        let sent = await store.begin(Self.submitted, partition: 1, now: { Date() }, keyWindow: Self.window)
        #expect(sent == .alreadySubmitted(Self.entry(Self.submitted, .submitted, faxID: "fax_sent")))
        await store.end(Self.submitted)
        guard case .resubmit(let tried) = await store.begin(Self.attempted, partition: 1, now: { Date() }, keyWindow: Self.window) else {
            Issue.record("an attempt inside the key window is resent under its key")
            return
        }
        #expect(tried.state == .attempting)
        await store.end(Self.attempted)
        #expect(
            await store.begin(JobReference(tenantID: "acme", jobID: "new"), partition: 1, now: { Date() }, keyWindow: Self.window)
                == .submit
        )
        #expect(await store.isRestored)
        await producer.close()
        await cluster.shutdown()
    }

    @Test func aRunWaitingForARestoreEndsWithoutADecisionWhenThePartitionLeaves() async throws {
        let (cluster, topics, producer) = try await cluster()
        let store = makeStore(cluster, topics, producer)
        try cluster.setBrokerDown(1)
        await store.assigned([1])
        let waiting = Task { await store.begin(Self.submitted, partition: 1, now: { Date() }, keyWindow: Self.window) }
        #expect(await !store.isRestored, "nothing can be read while the broker is down")
        await store.revoked([1])
        #expect(await waiting.value == nil)
        try cluster.setBrokerUp(1)
        await producer.close()
        await cluster.shutdown()
    }

    @Test func aFinalEventFinishesTheJobForThisWorkerAndTheNextOwner() async throws {
        let (cluster, topics, producer) = try await cluster()
        let store = makeStore(cluster, topics, producer)
        await store.assigned([1])
        _ = await store.begin(Self.submitted, partition: 1, now: { Date() }, keyWindow: Self.window)
        await store.end(Self.submitted)
        #expect(await store.overdue(now: Date(), after: { _ in 0 }, lookupInterval: 60).map(\.entry.faxID) == ["fax_sent"])

        let delivered = EventFactory(source: .webhook, environment: .sandbox).delivered(
            Self.submitted,
            faxID: "fax_sent",
            pages: 3,
            attempt: 1,
            occurredAt: Date()
        )
        let elsewhere = EventFactory(source: .webhook, environment: .sandbox).delivered(
            JobReference(tenantID: "acme", jobID: "not-ours"),
            faxID: "fax_other",
            pages: 1,
            attempt: 1,
            occurredAt: Date()
        )
        await store.observe([delivered, elsewhere])
        #expect(await store.overdue(now: Date(), after: { _ in 0 }, lookupInterval: 60).isEmpty)

        let next = makeStore(cluster, topics, producer)
        await next.assigned([1])
        guard case .alreadySubmitted(let entry) = await next.begin(Self.submitted, partition: 1, now: { Date() }, keyWindow: Self.window)
        else {
            Issue.record("the next owner does not see the fax")
            return
        }
        #expect(entry.state == .delivered && entry.pages == 3)
        #expect(await next.overdue(now: Date(), after: { _ in 0 }, lookupInterval: 60).isEmpty, "the next owner does not look it up")
        await producer.close()
        await cluster.shutdown()
    }
}

/// A ledger topic that is not co-partitioned with the jobs topic stops the worker at start-up.
@Suite struct LedgerTopicCheckTests {
    @Test func aLedgerWithAnotherPartitionCountStopsTheWorkerNamingTheKey() async throws {
        let logger = KafkaFixtures.logger("test.worker.ledger-topic")
        let cluster = try MockKafkaCluster(brokers: 1, logger: logger)
        var topics = TopicNames()
        for keyPath in [\TopicNames.jobs, \.status, \.usage, \.deadLetters, \.ledger] {
            topics[keyPath: keyPath] = UniqueName.make("topic")
        }
        for topic in [topics.jobs, topics.status, topics.usage, topics.deadLetters] { try cluster.createTopic(topic, partitions: 3) }
        try cluster.createTopic(topics.ledger, partitions: 1)
        var configuration = WorkerConfiguration()
        configuration.kafka.bootstrapServers = cluster.bootstrapServers
        configuration.kafka.groupID = UniqueName.make("ledger-topic")
        configuration.kafka.topics = topics
        configuration.metrics.listen = "127.0.0.1:0"
        configuration.webhooks.listen = "127.0.0.1:0"
        let tenants = try TenantDirectory(tenants: TenantsConfiguration(), environment: [:], mintfaxEnvironment: "sandbox")
        let worker = try Worker(
            configuration: configuration,
            tenants: tenants,
            metrics: WorkerMetrics(registry: PrometheusCollectorRegistry()),
            logger: logger
        )
        let error = await #expect(throws: ConfigurationError.self) { try await worker.run() }
        #expect(error?.path == "kafka.topics.ledger")
        #expect(
            error?.reason
                == "topic \(topics.ledger) has 1 partitions and kafka.topics.jobs \(topics.jobs) has 3: the ledger needs as many as the jobs topic"
        )
        await cluster.shutdown()
    }
}

import FaxdCore
import FaxdHTTP
import FaxdKafka
import FaxdMintfax
import Foundation
public import Logging

/// A faxd worker: one consumer-group member, its producer, its HTTP client and its dispatcher, built
/// by the same function for the CLI and the tests.
///
/// `run()` works until `shutdown()` (SIGTERM) closes the consumer: the revoke hook drains in-flight
/// jobs within `dispatch.drain_timeout_seconds`, offsets are committed, and `run()` returns.
public final class Worker: Sendable {
    public let configuration: WorkerConfiguration
    public let tenants: TenantDirectory
    private let consumer: KafkaConsumer
    private let producer: KafkaProducer
    private let http: HTTPClient
    private let dispatcher: Dispatcher
    private let metrics: WorkerMetrics
    private let readiness = WorkerHTTPServer.Readiness()
    private let logger: Logger

    /// - Parameter metrics: where the worker's metrics are registered (the executable owns the registry).
    public init(configuration: WorkerConfiguration, tenants: TenantDirectory, metrics: WorkerMetrics, logger: Logger) throws {
        self.configuration = configuration
        self.metrics = metrics
        self.tenants = tenants
        self.logger = logger
        let kafka = configuration.kafka
        var consumerConfiguration = KafkaConsumerConfiguration(
            bootstrapServers: kafka.bootstrapServers, groupID: kafka.groupID, properties: kafka.properties)
        consumerConfiguration.groupInstanceID = kafka.groupInstanceID
        consumerConfiguration.revokeTimeout = .seconds(configuration.dispatch.drainTimeoutSeconds + 5)
        consumerConfiguration.maxBufferedRecords = 1_000
        consumer = try KafkaConsumer(configuration: consumerConfiguration, logger: logger)
        producer = try KafkaProducer(
            configuration: KafkaProducerConfiguration(bootstrapServers: kafka.bootstrapServers, properties: kafka.properties), logger: logger)
        http = try HTTPClient(
            configuration: HTTPClientConfiguration(
                connectTimeout: .milliseconds(configuration.mintfax.connectTimeoutMS),
                totalTimeout: .milliseconds(configuration.mintfax.requestTimeoutMS),
                maxResponseBodyBytes: configuration.dispatch.documents.maxBytes + 1),
            logger: logger)
        let namespace = UUIDv5(configuration.dispatch.idempotencyNamespace) ?? IdempotencyKey.defaultNamespace
        dispatcher = Dispatcher(
            Dispatcher.Dependencies(
                consumer: consumer,
                publisher: EventPublisher(producer: producer, topics: kafka.topics, logger: logger),
                mintfax: MintfaxClient(baseURL: configuration.mintfax.baseURL, http: http, logger: logger),
                tenants: tenants,
                documents: DocumentFetcher(http: http, rules: configuration.dispatch.documents),
                events: EventFactory(
                    namespace: namespace, source: .worker,
                    environment: configuration.mintfax.environment == "live" ? .live : .sandbox),
                configuration: configuration,
                metrics: metrics,
                logger: logger))
    }

    /// Joins the group and dispatches until `shutdown()`; then flushes the producer. Serves
    /// `/healthz`, `/readyz` and `/metrics` meanwhile; `onListening` gets their port.
    public func run(onListening: @escaping @Sendable (Int) -> Void = { _ in }) async throws {
        guard let listen = HostPort(configuration.metrics.listen) else {
            throw ConfigurationError(source: "configuration", path: "metrics.listen", reason: "must be host:port")
        }
        let server = WorkerHTTPServer(listen: listen, metrics: metrics, consumer: consumer, readiness: readiness, logger: logger)
        try consumer.subscribe(topics: [configuration.kafka.topics.jobs], listener: dispatcher)
        readiness.set(true)
        logger.info(
            "Worker started",
            metadata: ["kafka.group_id": "\(configuration.kafka.groupID)", "kafka.topic": "\(configuration.kafka.topics.jobs)"])
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { try await server.run(onListening: onListening) }
            try await dispatcher.run()
            group.cancelAll()
        }
        await producer.close(timeout: .seconds(10))
        http.shutdown()
        logger.info("Worker stopped")
    }

    /// Leaves the group gracefully: in-flight jobs finish (bounded), offsets are committed, `run()`
    /// returns. Bounded by `dispatch.shutdown_timeout_seconds`.
    public func shutdown() async {
        readiness.set(false)
        do {
            try await consumer.close(timeout: .seconds(configuration.dispatch.shutdownTimeoutSeconds))
        } catch {
            logger.error("Consumer close did not finish in time", metadata: ["error": "\(error)"])
        }
    }
}

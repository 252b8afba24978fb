import FaxdCore
import FaxdKafka
import Foundation
public import Logging

/// `faxd webhooks`: the webhook ingress on its own, for deployments that keep it apart from the
/// workers (its own scaling, its own exposure to the internet). It serves `/webhooks/mintfax/…`,
/// `/healthz`, `/readyz` and `/metrics` on `metrics.listen`, follows the result topics, and publishes
/// through its own idempotent producer. The workers then run with `webhooks.enabled: false` and
/// `webhooks.public_base_url` pointing here; reconciling stays with the workers.
public final class WebhookServer: Sendable {
    private let configuration: WorkerConfiguration
    public let tenants: TenantDirectory
    private let producer: KafkaProducer
    private let delivery: DeliveryTracking
    private let metrics: WorkerMetrics
    private let readiness = WorkerHTTPServer.Readiness()
    private let logger: Logger
    /// Finished by `shutdown()`; `run()` ends when it ends.
    private let stopping: (stream: AsyncStream<Void>, continuation: AsyncStream<Void>.Continuation) = AsyncStream.makeStream()

    /// - Throws: `ConfigurationError` for an unusable listen address; `KafkaError` for the producer.
    public init(configuration: WorkerConfiguration, tenants: TenantDirectory, metrics: WorkerMetrics, logger: Logger) throws {
        var configuration = configuration
        configuration.webhooks.enabled = true
        self.configuration = configuration
        self.tenants = tenants
        self.metrics = metrics
        self.logger = logger
        let kafka = configuration.kafka
        producer = try KafkaProducer(
            configuration: KafkaProducerConfiguration(bootstrapServers: kafka.bootstrapServers, properties: kafka.properties), logger: logger)
        let namespace = UUIDv5(configuration.dispatch.idempotencyNamespace) ?? IdempotencyKey.defaultNamespace
        delivery = DeliveryTracking(
            configuration: configuration, tenants: tenants,
            publisher: EventPublisher(producer: producer, topics: kafka.topics, logger: logger),
            events: EventFactory(namespace: namespace, source: .webhook, environment: configuration.mintfax.environment == "live" ? .live : .sandbox),
            jobLedger: nil, metrics: metrics, logger: logger)
    }

    /// Serves until `shutdown()` (or the calling task is cancelled), then flushes the producer.
    /// `onListening` gets the port. Call it once.
    /// - Throws: `ConfigurationError` when `metrics.listen` cannot be bound, or naming the
    ///   `kafka.topics` key of a result topic the cluster does not have (see `ConfiguredTopics`).
    public func run(onListening: @escaping @Sendable (Int) -> Void = { _ in }) async throws {
        guard let listen = HostPort(configuration.metrics.listen) else {
            throw ConfigurationError(source: "configuration", path: "metrics.listen", reason: "must be host:port")
        }
        let kafka = configuration.kafka
        let admin = try KafkaAdmin(configuration: KafkaClientConfiguration(bootstrapServers: kafka.bootstrapServers, properties: kafka.properties), logger: logger)
        do {
            try await ConfiguredTopics.requireExisting(
                [("kafka.topics.status", kafka.topics.status), ("kafka.topics.usage", kafka.topics.usage)],
                admin: admin, bootstrapServers: kafka.bootstrapServers, logger: logger)
        } catch {
            await admin.close()
            throw error
        }
        await admin.close()
        let server = WorkerHTTPServer(
            listen: listen, metrics: metrics, consumer: nil, readiness: readiness, ingress: delivery.ingress, logger: logger)
        readiness.set(true)
        logger.info("Webhook ingress started", metadata: ["http.listen": "\(configuration.metrics.listen)"])
        var failure: (any Error)?
        await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { try await server.run(onListening: onListening) }
            group.addTask { [delivery] in await delivery.followResultTopics() }
            group.addTask { [stopping] in for await _ in stopping.stream {} }
            // Only the stop ends of itself; an error first (the listener could not bind) is a failure.
            do {
                try await group.next()
            } catch where !Task.isCancelled {
                failure = error
            } catch {}
            group.cancelAll()
        }
        readiness.set(false)
        await producer.close(timeout: .seconds(10))
        if let failure { throw failure }
        logger.info("Webhook ingress stopped")
    }

    /// Stops serving: `run()` returns once the producer is flushed.
    public func shutdown() {
        readiness.set(false)
        stopping.continuation.finish()
    }
}

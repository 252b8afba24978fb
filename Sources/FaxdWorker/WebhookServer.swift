import FaxdCore
import FaxdKafka
import Foundation
public import Logging
public import ServiceLifecycle

/// `faxd webhooks`: the webhook ingress on its own, for deployments that keep it apart from the
/// workers (its own scaling, its own exposure to the internet). It serves `/webhooks/mintfax/…` on
/// `webhooks.listen` and `/healthz`, `/readyz` and `/metrics` on `metrics.listen`, follows the result topics, and publishes
/// through its own idempotent producer. The workers then run with `webhooks.enabled: false` and
/// `webhooks.public_base_url` pointing here; reconciling stays with the workers. A `Service`, like
/// the worker: its HTTP server and its result-topic reader run in one `ServiceGroup`.
public final class WebhookServer: Service, Sendable {
    private let configuration: WorkerConfiguration
    public let tenants: TenantDirectory
    private let producer: KafkaProducer
    private let delivery: DeliveryTracking
    private let ingress: WebhookIngress
    private let metrics: WorkerMetrics
    private let readiness = WorkerHTTPServer.Readiness()
    private let logger: Logger
    private let parts = PartsGroup()

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
            configuration: KafkaProducerConfiguration(bootstrapServers: kafka.bootstrapServers, properties: kafka.properties),
            logger: logger
        )
        let namespace = UUIDv5(configuration.dispatch.idempotencyNamespace) ?? IdempotencyKey.defaultNamespace
        delivery = DeliveryTracking(
            configuration: configuration,
            tenants: tenants,
            publisher: EventPublisher(producer: producer, topics: kafka.topics, logger: logger),
            events: EventFactory(
                namespace: namespace,
                source: .webhook,
                environment: configuration.mintfax.environment == "live" ? .live : .sandbox
            ),
            jobLedger: nil,
            metrics: metrics,
            logger: logger
        )
        guard let ingress = delivery.ingress else {
            throw ConfigurationError(source: "configuration", path: "webhooks.enabled", reason: "the webhook ingress needs its routes")
        }
        self.ingress = ingress
    }

    public func run() async throws { try await run(onListening: { _, _ in }) }

    /// Serves until a graceful shutdown (its parent group's, or `shutdown()`), then flushes the
    /// producer: the webhooks on `webhooks.listen`, `/healthz`, `/readyz` and `/metrics` on
    /// `metrics.listen`; `onListening` gets each listener's key and bound port. Call it once.
    /// - Throws: `ConfigurationError` when a listener cannot be bound, or naming the `kafka.topics`
    ///   key of a result topic the cluster does not have (see `ConfiguredTopics`).
    public func run(onListening: @escaping @Sendable (_ listener: String, _ port: Int) -> Void) async throws {
        let (metrics, tracker) = (metrics, ingress.tracker)
        let listeners = try WorkerHTTPServer.listeners(
            configuration,
            admin: .admin(
                metrics: metrics,
                refresh: { metrics.setResultTopicsCaughtUp(await tracker.isCaughtUp) },
                readiness: readiness,
                ingress: ingress,
                console: nil
            ),
            ingress: ingress,
            logger: logger
        )
        let kafka = configuration.kafka
        let admin = try KafkaAdmin(
            configuration: KafkaClientConfiguration(bootstrapServers: kafka.bootstrapServers, properties: kafka.properties),
            logger: logger
        )
        do {
            try await ConfiguredTopics.requireExisting(
                [("kafka.topics.status", kafka.topics.status), ("kafka.topics.usage", kafka.topics.usage)],
                admin: admin,
                bootstrapServers: kafka.bootstrapServers,
                logger: logger
            )
        } catch {
            await admin.close()
            throw error
        }
        await admin.close()
        readiness.set(true)
        logger.info(
            "Webhook ingress started",
            metadata: ["http.listen": "\(configuration.webhooks.listen)", "http.admin": "\(configuration.metrics.listen)"]
        )
        var services: [ServiceGroupConfiguration.ServiceConfiguration] = []
        for server in listeners {
            services.append(WorkerPart(server.listenKey) { try await server.run { port in onListening(server.listenKey, port) } }.inGroup)
        }
        let delivery = delivery
        services.append(WorkerPart("result topics") { await delivery.followResultTopics() }.inGroup)
        var failure: (any Error)?
        do {
            try await parts.run(services, logger: logger)
        } catch {
            failure = error
        }
        readiness.set(false)
        await producer.close(timeout: .seconds(10))
        if let failure { throw failure }
        logger.info("Webhook ingress stopped")
    }

    /// Stops serving, as SIGTERM does: `run()` returns once the producer is flushed.
    public func shutdown() async {
        readiness.set(false)
        await parts.stop()
    }
}

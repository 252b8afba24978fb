import FaxdCore
import FaxdKafka
import Foundation
public import Logging
public import ServiceLifecycle
import Synchronization

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
    /// The running parts, once `run()` started them; whether `shutdown()` came first.
    private let parts = Mutex<(group: ServiceGroup?, stopping: Bool)>((nil, false))

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
        guard let ingress = delivery.ingress else {
            throw ConfigurationError(source: "configuration", path: "webhooks.enabled", reason: "the webhook ingress needs its routes")
        }
        self.ingress = ingress
    }

    public func run() async throws { try await run(onListening: { _ in }) }

    /// Serves until a graceful shutdown (its parent group's, or `shutdown()`), then flushes the
    /// producer: the webhooks on `webhooks.listen` (`onListening` gets its port), `/healthz`,
    /// `/readyz` and `/metrics` on `metrics.listen`. Call it once.
    /// - Throws: `ConfigurationError` when a listener cannot be bound, or naming the `kafka.topics`
    ///   key of a result topic the cluster does not have (see `ConfiguredTopics`).
    public func run(onListening: @escaping @Sendable (Int) -> Void) async throws {
        let listeners = try WorkerHTTPServer.listeners(
            configuration, admin: .admin(metrics: metrics, consumer: nil, readiness: readiness, ingress: ingress), ingress: ingress, logger: logger)
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
        readiness.set(true)
        logger.info(
            "Webhook ingress started", metadata: ["http.listen": "\(configuration.webhooks.listen)", "http.admin": "\(configuration.metrics.listen)"])
        var services: [ServiceGroupConfiguration.ServiceConfiguration] = []
        for server in listeners {
            let announces = server.listenKey == "webhooks.listen"
            services.append(WorkerPart(server.listenKey) { try await server.run { port in if announces { onListening(port) } } }.inGroup)
        }
        let delivery = delivery
        services.append(WorkerPart("result topics") { await delivery.followResultTopics() }.inGroup)
        let group = ServiceGroup(configuration: ServiceGroupConfiguration(services: services, logger: logger))
        if parts.withLock({ parts in
            parts.group = group
            return parts.stopping
        }) {
            await group.triggerGracefulShutdown()
        }
        var failure: (any Error)?
        do {
            try await group.run()
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
        let group = parts.withLock { parts in
            parts.stopping = true
            return parts.group
        }
        await group?.triggerGracefulShutdown()
    }
}

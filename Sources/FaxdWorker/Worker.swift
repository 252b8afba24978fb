import FaxdCore
import FaxdHTTP
import FaxdKafka
import FaxdMintfax
import Foundation
public import Logging
public import ServiceLifecycle

/// A faxd worker: one consumer-group member, its producer, its HTTP client and its dispatcher, built
/// by the same function for the CLI and the tests.
///
/// A `Service`: `run()` runs its parts — the HTTP listeners, the result-topic reader, the reconciler,
/// the balance watch, the Kafka and tenants watches and, last, the dispatcher — in one
/// `ServiceGroup` until a graceful shutdown (its parent group's, on SIGTERM, or `shutdown()`). That
/// stops them in reverse order: the dispatcher drains its in-flight jobs within
/// `dispatch.drain_timeout_seconds`, commits and leaves the group first, the HTTP listeners
/// (`/healthz`) go last; then the producer is flushed and `run()` returns.
public final class Worker: Service, Sendable {
    public let configuration: WorkerConfiguration
    public let tenants: TenantDirectory
    private let consumer: KafkaConsumer
    private let producer: KafkaProducer
    private let http: HTTPClient
    private let dispatcher: Dispatcher
    private let ledger: JobLedgerStore
    private let delivery: DeliveryTracking
    private let reconciler: Reconciler
    private let balanceWatch: BalanceWatch
    private let admin: KafkaAdmin
    private let metrics: WorkerMetrics
    private let readiness = WorkerHTTPServer.Readiness()
    private let logger: Logger
    private let parts = PartsGroup()

    /// - Parameter metrics: where the worker's metrics are registered (the executable owns the registry).
    public init(configuration: WorkerConfiguration, tenants: TenantDirectory, metrics: WorkerMetrics, logger: Logger) throws {
        self.configuration = configuration
        self.metrics = metrics
        self.tenants = tenants
        self.logger = logger
        let kafka = configuration.kafka
        var consumerConfiguration = KafkaConsumerConfiguration(
            bootstrapServers: kafka.bootstrapServers,
            groupID: kafka.groupID,
            properties: kafka.consumerProperties
        )
        consumerConfiguration.groupInstanceID = kafka.groupInstanceID
        consumerConfiguration.revokeTimeout = .seconds(configuration.dispatch.drainTimeoutSeconds + 5)
        consumerConfiguration.maxBufferedRecords = 1_000
        consumer = try KafkaConsumer(configuration: consumerConfiguration, logger: logger)
        producer = try KafkaProducer(
            configuration: KafkaProducerConfiguration(bootstrapServers: kafka.bootstrapServers, properties: kafka.properties),
            logger: logger
        )
        http = try HTTPClient(configuration: configuration.httpClient, logger: logger)
        let namespace = UUIDv5(configuration.dispatch.idempotencyNamespace) ?? IdempotencyKey.defaultNamespace
        let events = EventFactory(
            namespace: namespace,
            source: .worker,
            environment: configuration.mintfax.environment == "live" ? .live : .sandbox
        )
        let publisher = EventPublisher(producer: producer, topics: kafka.topics, metrics: metrics, logger: logger)
        ledger = JobLedgerStore(
            kafka: KafkaClientConfiguration(bootstrapServers: kafka.bootstrapServers, properties: kafka.consumerProperties),
            topic: kafka.topics.ledger,
            publisher: publisher,
            namespace: namespace,
            logger: logger
        )
        let mintfax = MintfaxClient(baseURL: configuration.mintfax.baseURL, http: http, logger: logger)
        dispatcher = Dispatcher(
            Dispatcher.Dependencies(
                consumer: consumer,
                publisher: publisher,
                ledger: ledger,
                mintfax: mintfax,
                tenants: tenants,
                documents: DocumentFetcher(http: http, rules: configuration.dispatch.documents),
                events: events,
                configuration: configuration,
                metrics: metrics,
                logger: logger
            )
        )
        delivery = DeliveryTracking(
            configuration: configuration,
            tenants: tenants,
            publisher: publisher,
            events: events,
            jobLedger: ledger,
            metrics: metrics,
            logger: logger
        )
        admin = try KafkaAdmin(
            configuration: KafkaClientConfiguration(bootstrapServers: kafka.bootstrapServers, properties: kafka.properties),
            logger: logger
        )
        let duties = TenantDuties(consumer: consumer, admin: admin, jobsTopic: kafka.topics.jobs)
        var reconcilerEvents = events
        reconcilerEvents.source = .reconciler
        reconciler = Reconciler(
            tracker: delivery.tracker,
            ledger: ledger,
            dispatcher: dispatcher,
            mintfax: mintfax,
            tenants: tenants,
            events: reconcilerEvents,
            configuration: configuration.delivery,
            metrics: metrics,
            logger: logger
        )
        balanceWatch = BalanceWatch(
            tracker: delivery.tracker,
            dispatcher: dispatcher,
            duties: duties,
            mintfax: mintfax,
            tenants: tenants,
            events: events,
            configuration: configuration.balance,
            metrics: metrics,
            logger: logger
        )
    }

    /// The console's routes, when `console.token` is set.
    private func console() -> ConsoleRoutes? {
        guard !configuration.console.token.isEmpty else { return nil }
        let (consumer, dispatcher, readiness, recent) = (consumer, dispatcher, readiness, metrics.recent)
        let (group, jobsTopic) = (configuration.kafka.groupID, configuration.kafka.topics.jobs)
        let kafka = configuration.kafka
        return ConsoleRoutes(
            token: configuration.console.token,
            sources: .init(
                snapshot: {
                    ConsoleSnapshot(
                        view: await dispatcher.view(),
                        lag: consumer.lag(),
                        recent: recent.counts(),
                        group: group,
                        topic: jobsTopic,
                        ready: readiness.isReady,
                        now: Date()
                    )
                },
                cluster: KafkaClientConfiguration(bootstrapServers: kafka.bootstrapServers, properties: kafka.properties),
                topics: kafka.topics,
                logger: logger
            )
        )
    }

    /// Joins the group and dispatches until a graceful shutdown; then flushes the producer. Meanwhile
    /// serves `/healthz`, `/readyz` and `/metrics` on `metrics.listen` and the webhook ingress on
    /// `webhooks.listen`, follows the result topics, reconciles overdue faxes and watches balances.
    ///
    /// - Throws: `ConfigurationError` for an unusable `metrics.listen` or `webhooks.listen`, or naming
    ///   the `kafka.topics` key of a topic the cluster does not have (checked first; see
    ///   `ConfiguredTopics`); the error of a part that failed, after the others stopped (the
    ///   dispatcher leaving the group cleanly).
    public func run() async throws {
        let (consumer, dispatcher, ledger, tracker, metrics) = (consumer, dispatcher, ledger, delivery.tracker, metrics)
        let jobsTopic = configuration.kafka.topics.jobs
        let refresh: @Sendable () async -> Void = {
            metrics.recordLag(consumer.lag())
            metrics.recordDispatch(await dispatcher.view(), topic: jobsTopic, now: Date())
            metrics.setLedgerRestoring(await ledger.restoringCount)
            metrics.setResultTopicsCaughtUp(await tracker.isCaughtUp)
        }
        let listeners = try WorkerHTTPServer.listeners(
            configuration,
            admin: .admin(metrics: metrics, refresh: refresh, readiness: readiness, ingress: delivery.ingress, console: console()),
            ingress: delivery.ingress,
            logger: logger
        )
        let topics = configuration.kafka.topics
        let partitionCounts = try await ConfiguredTopics.requireExisting(
            [
                ("kafka.topics.jobs", topics.jobs), ("kafka.topics.status", topics.status), ("kafka.topics.usage", topics.usage),
                ("kafka.topics.dead_letters", topics.deadLetters), ("kafka.topics.ledger", topics.ledger),
            ],
            partitionedLike: (jobs: ("kafka.topics.jobs", topics.jobs), ledger: ("kafka.topics.ledger", topics.ledger)),
            admin: admin,
            bootstrapServers: configuration.kafka.bootstrapServers,
            logger: logger
        )
        if let partitions = partitionCounts[topics.jobs] { await dispatcher.watchPlacement(partitions: partitions) }
        // The producer learns its topics' leaders now, not on the first record of each (up to a
        // second apiece, which the first jobs after a start waited).
        do {
            try await producer.loadMetadata()
        } catch {
            logger.notice(
                "The producer could not load topic metadata; its first record of each topic waits for a lookup",
                metadata: ["error": "\(error)"]
            )
        }
        try consumer.subscribe(topics: [configuration.kafka.topics.jobs], listener: dispatcher)
        readiness.set(true)
        logger.info(
            "Worker started",
            metadata: ["kafka.group_id": "\(configuration.kafka.groupID)", "kafka.topic": "\(configuration.kafka.topics.jobs)"]
        )
        // Stopped in reverse: the dispatcher first, the HTTP listeners (liveness) last.
        let services =
            listeners.map { server in WorkerPart(server.listenKey) { try await server.run() }.inGroup } + [
                WorkerPart("result topics") { [delivery] in await delivery.followResultTopics() }.inGroup,
                WorkerPart("reconciler") { [reconciler] in await reconciler.run() }.inGroup,
                WorkerPart("balance watch") { [balanceWatch] in await balanceWatch.run() }.inGroup,
                WorkerPart("kafka watch") { await self.watchKafka() }.inGroup,
                WorkerPart("tenants watch") { await self.watchTenantsDirectory() }.inGroup,
                .init(
                    service: DispatchService(dispatcher: dispatcher, leave: { await self.leave() }),
                    successTerminationBehavior: .gracefullyShutdownGroup,
                    failureTerminationBehavior: .gracefullyShutdownGroup
                ),
            ]
        var failure: (any Error)?
        do {
            try await parts.run(services, logger: logger)
        } catch {
            failure = error
            logger.error(
                "Worker failed; its other parts were stopped (the dispatcher leaving the group first)",
                metadata: ["error": "\(error)"]
            )
        }
        await admin.close()
        await producer.close(timeout: .seconds(10))
        http.shutdown()
        if let failure { throw failure }
        logger.info("Worker stopped")
    }

    /// Asks the cluster for the jobs topic's metadata every 5 s until cancelled: `/readyz` answers 503
    /// while it does not answer within 3 s (all brokers down, say). Jobs wait meanwhile, as in any
    /// outage: librdkafka reconnects, publishing retries, offsets hold.
    private func watchKafka() async {
        let topic = configuration.kafka.topics.jobs
        while !Task.isCancelled {
            let reachable = (try? await admin.partitionCount(topic: topic, timeout: .seconds(3))) != nil
            if readiness.setKafkaReachable(reachable) {
                if reachable {
                    logger.notice("Kafka answers again; ready")
                } else {
                    logger.error("Kafka does not answer; not ready until it does (jobs wait, nothing is lost)")
                }
            }
            try? await Task.sleep(for: .seconds(5))
        }
    }

    /// Every `tenants.watch_interval_seconds`, reads the tenants directory again when a file in it
    /// changed (new tenants' jobs go out with their keys, removed tenants' new jobs are parked) and
    /// reports the tenants listed (`faxd_tenants_listed_count`, after a SIGHUP too).
    private func watchTenantsDirectory() async {
        while !Task.isCancelled {
            tenants.refreshDirectory()
            metrics.setListedTenants(tenants.listedTenantIDs.count)
            try? await Task.sleep(for: .seconds(configuration.tenants.watchIntervalSeconds))
        }
    }

    /// Shuts the worker down gracefully, as SIGTERM does: `run()` returns once the in-flight jobs
    /// finished (bounded), their offsets are committed and the group left.
    public func shutdown() async {
        readiness.set(false)
        await parts.stop()
    }

    /// The dispatcher's part of a graceful shutdown: no new jobs, the in-flight ones finish, offsets
    /// are committed, the group is left. Bounded by `dispatch.shutdown_timeout_seconds`.
    private func leave() async {
        readiness.set(false)
        logger.info("Stopping: finishing the jobs in flight, then leaving the group")
        await dispatcher.stop(by: ContinuousClock.now.advanced(by: .seconds(configuration.dispatch.shutdownTimeoutSeconds)))
        do {
            try await consumer.close(timeout: .seconds(configuration.dispatch.shutdownTimeoutSeconds))
        } catch {
            logger.error("Consumer close did not finish in time", metadata: ["error": "\(error)"])
        }
    }
}

extension WorkerConfiguration {
    /// The worker's HTTP client, for mintfax and document fetches: a connection to mintfax for every
    /// `dispatch.max_in_flight` slot, so that a slot's request never waits for one (with the client's
    /// default of 64 under 256 slots, three requests in four waited: issue #16, docs/benchmarks.md).
    var httpClient: HTTPClientConfiguration {
        HTTPClientConfiguration(
            connectTimeout: .milliseconds(mintfax.connectTimeoutMS),
            totalTimeout: .milliseconds(mintfax.requestTimeoutMS),
            maxConnectionsPerHost: max(HTTPClientConfiguration.defaultMaxConnectionsPerHost, dispatch.maxInFlight),
            maxResponseBodyBytes: dispatch.documents.maxBytes + 1
        )
    }
}

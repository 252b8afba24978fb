import FaxdKafka
import HTTPTypes
import Hummingbird
import Logging
import ServiceLifecycle
import Synchronization

/// One of a worker's two HTTP listeners. The admin listener (`metrics.listen`): `/healthz` (the
/// process answers), `/readyz` (subscribed and not draining, and with the ingress, the result topics
/// read), `/metrics` (Prometheus text) and, with `console.token`, the console. The webhook listener
/// (`webhooks.listen`), the one meant for the internet: `POST /webhooks/mintfax/{tenant}` and
/// `POST /webhooks/mintfax`, nothing else.
struct WorkerHTTPServer: Sendable {
    enum Routes: Sendable {
        /// `refresh` brings the gauges read from other parts (lag, the dispatch, restores) up to date
        /// before each scrape; `ingress`, for readiness.
        case admin(
            metrics: WorkerMetrics,
            refresh: @Sendable () async -> Void,
            readiness: Readiness,
            ingress: WebhookIngress?,
            console: ConsoleRoutes?
        )
        case webhooks(WebhookIngress)
    }

    let listen: HostPort
    /// The configuration key of `listen`, for errors.
    let listenKey: String
    let routes: Routes
    let logger: Logger

    /// Flags shared with handlers: whether the worker takes work (set once subscribed, cleared when
    /// draining), or whether the listener is up; and whether Kafka answered the last probe.
    final class Readiness: Sendable {
        private let state = Mutex((taking: false, kafkaReachable: true))
        var isReady: Bool { state.withLock { $0.taking && $0.kafkaReachable } }
        func set(_ value: Bool) { state.withLock { $0.taking = value } }
        /// - Returns: whether this changed it.
        func setKafkaReachable(_ value: Bool) -> Bool {
            state.withLock { state in
                defer { state.kafkaReachable = value }
                return state.kafkaReachable != value
            }
        }
    }

    /// The admin listener on `metrics.listen` and, with an ingress, the webhook listener on
    /// `webhooks.listen`, which must differ. - Throws: `ConfigurationError` naming the key of an
    /// address that is not `host:port`.
    static func listeners(
        _ configuration: WorkerConfiguration,
        admin: Routes,
        ingress: WebhookIngress?,
        logger: Logger
    ) throws(ConfigurationError) -> [WorkerHTTPServer] {
        func address(_ key: String, _ value: String) throws(ConfigurationError) -> HostPort {
            guard let address = HostPort(value) else {
                throw ConfigurationError(source: "configuration", path: key, reason: "must be host:port")
            }
            return address
        }
        var servers = [
            WorkerHTTPServer(
                listen: try address("metrics.listen", configuration.metrics.listen),
                listenKey: "metrics.listen",
                routes: admin,
                logger: logger
            )
        ]
        if let ingress {
            let listen = try address("webhooks.listen", configuration.webhooks.listen)
            if listen == servers[0].listen, listen.port != 0 {
                throw ConfigurationError(
                    source: "configuration",
                    path: "webhooks.listen",
                    reason:
                        "must differ from metrics.listen (\(configuration.metrics.listen)): the webhook ingress faces the internet, /metrics must not"
                )
            }
            servers.append(WorkerHTTPServer(listen: listen, listenKey: "webhooks.listen", routes: .webhooks(ingress), logger: logger))
        }
        return servers
    }

    /// Serves until the calling task is cancelled. `onListening` gets the bound port (for port 0).
    func run(onListening: @escaping @Sendable (Int) -> Void = { _ in }) async throws {
        let router = Router()
        // Requests per route and status, through swift-metrics (bootstrapped by the command).
        router.middlewares.add(MetricsMiddleware())
        var console: ConsoleRoutes?
        switch routes {
        case .admin(let metrics, let refresh, let readiness, let ingress, let consoleRoutes):
            console = consoleRoutes
            consoleRoutes?.register(on: router)
            router.get("healthz") { _, _ in "ok\n" }
            router.get("readyz") { _, _ -> Response in
                // With the webhook ingress, ready also means the ledger has read the result topics.
                let caughtUp = if let ingress { await ingress.tracker.isCaughtUp } else { true }
                return readiness.isReady && caughtUp
                    ? Response(status: .ok, body: .init(byteBuffer: ByteBuffer(string: "ready\n"))) : Response(status: .serviceUnavailable)
            }
            router.get("metrics") { _, _ -> Response in
                await refresh()
                var headers = HTTPFields()
                headers[.contentType] = "text/plain; version=0.0.4"
                return Response(status: .ok, headers: headers, body: .init(byteBuffer: ByteBuffer(bytes: metrics.render())))
            }
        case .webhooks(let ingress):
            router.post("webhooks/mintfax/:tenant") { request, context in
                await Self.deliver(request, tenant: context.parameters.get("tenant"), to: ingress)
            }
            router.post("webhooks/mintfax") { request, _ in
                await Self.deliver(request, tenant: nil, to: ingress)
            }
        }
        var serverLogger = logger
        serverLogger.logLevel = .warning
        let listening = Readiness()
        let application = Application(
            router: router,
            configuration: ApplicationConfiguration(address: .hostname(listen.host, port: listen.port)),
            onServerRunning: { channel in
                listening.set(true)
                onListening(channel.localAddress?.port ?? 0)
            },
            logger: serverLogger
        )
        // Signals are the command's to handle (SIGTERM drains the worker first).
        let services = ServiceGroup(configuration: .init(services: [application], gracefulShutdownSignals: [], logger: serverLogger))
        // Cancelling the group's own task would abort open connections; it runs apart, and the
        // cancellation of this task becomes a graceful shutdown.
        let running = Task { try await services.run() }
        do {
            try await withTaskCancellationHandler {
                try await running.value
            } onCancel: { [console] in
                // Open event streams would hold the graceful shutdown up.
                console?.close()
                Task { await services.triggerGracefulShutdown() }
            }
        } catch  where !listening.isReady {
            throw ConfigurationError(
                source: "configuration",
                path: listenKey,
                reason: "cannot listen on \(listen.host):\(listen.port) (\(error))"
            )
        }
    }

    /// Reads a delivery (at most the ingress's body limit) and answers with the ingress's verdict.
    private static func deliver(_ request: Request, tenant: String?, to ingress: WebhookIngress) async -> Response {
        let answer: WebhookIngress.Answer
        do {
            let buffer = try await request.body.collect(upTo: ingress.maxBodyBytes)
            answer = await ingress.handle(
                tenant: tenant,
                id: request.headers[webhookID],
                timestamp: request.headers[webhookTimestamp],
                signature: request.headers[webhookSignature],
                body: Array(buffer: buffer)
            )
        } catch {
            answer = ingress.oversized()
        }
        var headers = HTTPFields()
        headers[.contentType] = "text/plain; charset=utf-8"
        if answer.status == 503 { headers[.retryAfter] = "5" }
        return Response(
            status: .init(code: answer.status),
            headers: headers,
            body: .init(byteBuffer: ByteBuffer(string: answer.reason + "\n"))
        )
    }

    private static let webhookID = HTTPField.Name("webhook-id")!
    private static let webhookTimestamp = HTTPField.Name("webhook-timestamp")!
    private static let webhookSignature = HTTPField.Name("webhook-signature")!
}

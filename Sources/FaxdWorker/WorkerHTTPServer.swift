import FaxdKafka
import HTTPTypes
import Hummingbird
import Logging
import ServiceLifecycle
import Synchronization

/// `/healthz` (the process answers), `/readyz` (subscribed and not draining, and with the ingress,
/// the result topics read), `/metrics`
/// (Prometheus text) on `metrics.listen`, and the webhook ingress (`POST /webhooks/mintfax/{tenant}`,
/// `POST /webhooks/mintfax`) when given one.
struct WorkerHTTPServer: Sendable {
    let listen: HostPort
    let metrics: WorkerMetrics
    /// The jobs consumer, for lag; nil in `faxd webhooks`.
    let consumer: KafkaConsumer?
    let readiness: Readiness
    let ingress: WebhookIngress?
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

    /// Serves until the calling task is cancelled. `onListening` gets the bound port (for port 0).
    func run(onListening: @escaping @Sendable (Int) -> Void = { _ in }) async throws {
        let router = Router()
        router.get("healthz") { _, _ in "ok\n" }
        router.get("readyz") { [readiness, ingress] _, _ -> Response in
            // With the webhook ingress, ready also means the ledger has read the result topics.
            let caughtUp = if let ingress { await ingress.tracker.isCaughtUp } else { true }
            return readiness.isReady && caughtUp
                ? Response(status: .ok, body: .init(byteBuffer: ByteBuffer(string: "ready\n"))) : Response(status: .serviceUnavailable)
        }
        router.get("metrics") { [metrics, consumer] _, _ -> Response in
            if let consumer { metrics.recordLag(consumer.lag()) }
            var headers = HTTPFields()
            headers[.contentType] = "text/plain; version=0.0.4"
            return Response(status: .ok, headers: headers, body: .init(byteBuffer: ByteBuffer(bytes: metrics.render())))
        }
        if let ingress {
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
            logger: serverLogger)
        // Signals are the command's to handle (SIGTERM drains the worker first).
        let services = ServiceGroup(configuration: .init(services: [application], gracefulShutdownSignals: [], logger: serverLogger))
        // Cancelling the group's own task would abort open connections; it runs apart, and the
        // cancellation of this task becomes a graceful shutdown.
        let running = Task { try await services.run() }
        do {
            try await withTaskCancellationHandler {
                try await running.value
            } onCancel: {
                Task { await services.triggerGracefulShutdown() }
            }
        } catch where !listening.isReady {
            throw ConfigurationError(source: "configuration", path: "metrics.listen", reason: "cannot listen on \(listen.host):\(listen.port) (\(error))")
        }
    }

    /// Reads a delivery (at most the ingress's body limit) and answers with the ingress's verdict.
    private static func deliver(_ request: Request, tenant: String?, to ingress: WebhookIngress) async -> Response {
        let answer: WebhookIngress.Answer
        do {
            let buffer = try await request.body.collect(upTo: ingress.maxBodyBytes)
            answer = await ingress.handle(
                tenant: tenant, id: request.headers[webhookID], timestamp: request.headers[webhookTimestamp],
                signature: request.headers[webhookSignature], body: Array(buffer: buffer))
        } catch {
            answer = ingress.oversized()
        }
        var headers = HTTPFields()
        headers[.contentType] = "text/plain; charset=utf-8"
        if answer.status == 503 { headers[.retryAfter] = "5" }
        return Response(
            status: .init(code: answer.status), headers: headers, body: .init(byteBuffer: ByteBuffer(string: answer.reason + "\n")))
    }

    private static let webhookID = HTTPField.Name("webhook-id")!
    private static let webhookTimestamp = HTTPField.Name("webhook-timestamp")!
    private static let webhookSignature = HTTPField.Name("webhook-signature")!
}

import FaxdKafka
import Hummingbird
import Logging
import Synchronization

/// `/healthz` (the process answers), `/readyz` (subscribed and not draining) and `/metrics`
/// (Prometheus text) on `metrics.listen`.
struct WorkerHTTPServer: Sendable {
    let listen: HostPort
    let metrics: WorkerMetrics
    let consumer: KafkaConsumer
    let readiness: Readiness
    let logger: Logger

    /// Whether the worker takes work: set once subscribed, cleared when draining.
    final class Readiness: Sendable {
        private let ready = Mutex(false)
        var isReady: Bool { ready.withLock { $0 } }
        func set(_ value: Bool) { ready.withLock { $0 = value } }
    }

    /// Serves until the calling task is cancelled. `onListening` gets the bound port (for port 0).
    func run(onListening: @escaping @Sendable (Int) -> Void = { _ in }) async throws {
        let router = Router()
        router.get("healthz") { _, _ in "ok\n" }
        router.get("readyz") { [readiness] _, _ -> Response in
            readiness.isReady ? Response(status: .ok, body: .init(byteBuffer: ByteBuffer(string: "ready\n"))) : Response(status: .serviceUnavailable)
        }
        router.get("metrics") { [metrics, consumer] _, _ -> Response in
            metrics.recordLag(consumer.lag())
            var headers = HTTPFields()
            headers[.contentType] = "text/plain; version=0.0.4"
            return Response(status: .ok, headers: headers, body: .init(byteBuffer: ByteBuffer(bytes: metrics.render())))
        }
        var serverLogger = logger
        serverLogger.logLevel = .warning
        let application = Application(
            router: router,
            configuration: ApplicationConfiguration(address: .hostname(listen.host, port: listen.port)),
            onServerRunning: { channel in onListening(channel.localAddress?.port ?? 0) },
            logger: serverLogger)
        try await application.runService()
    }
}

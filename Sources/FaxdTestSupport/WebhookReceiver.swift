import Hummingbird
import Logging
import Synchronization

/// An in-process webhook receiver on `127.0.0.1` and an ephemeral port, for tests: records every
/// `POST` it gets (any path) and answers `500` to the first ``failFirst`` of them, `204` after.
///
/// Use ``withReceiver(failFirst:_:)``, which runs the server only for the duration of its body.
public struct WebhookReceiver: Sendable {
    /// One request as received.
    public struct Delivery: Sendable {
        /// The request path, e.g. `/hooks/acme`.
        public let path: String
        /// Header fields by lower-cased name (the last value wins).
        public let headers: [String: String]
        /// The raw body.
        public let body: [UInt8]
        /// The status the receiver answered with.
        public let answeredStatus: Int
    }

    /// The port the receiver listens on.
    public let port: Int
    private let recorded: Recorded

    private final class Recorded: Sendable {
        let deliveries = Mutex<[Delivery]>([])
    }

    /// `http://127.0.0.1:<port><path>`; `path` starts with `/`.
    public func url(_ path: String) -> String { "http://127.0.0.1:\(port)\(path)" }

    /// Every request received so far, in arrival order.
    public var deliveries: [Delivery] { recorded.deliveries.withLock { $0 } }

    /// Starts a receiver, runs `body` with it, then stops it.
    ///
    /// - Parameter failFirst: how many requests (counted over all paths) get `500` before the
    ///   receiver starts answering `204`.
    public static func withReceiver<T: Sendable>(failFirst: Int = 0, _ body: (WebhookReceiver) async throws -> T) async throws -> T {
        let recorded = Recorded()
        let (ports, portContinuation) = AsyncStream.makeStream(of: Int.self)
        let router = Router()
        router.post("**") { request, _ -> Response in
            let buffer = try await request.body.collect(upTo: 16 * 1024 * 1024)
            var headers: [String: String] = [:]
            for field in request.headers { headers[field.name.canonicalName] = field.value }
            let status = recorded.deliveries.withLock { deliveries -> Int in
                let status = deliveries.count < failFirst ? 500 : 204
                deliveries.append(
                    Delivery(path: request.uri.path, headers: headers, body: Array(buffer.readableBytesView), answeredStatus: status)
                )
                return status
            }
            return Response(status: .init(code: status))
        }
        var logger = Logger(label: "faxd.test-webhook-receiver")
        logger.logLevel = .critical
        let application = Application(
            router: router,
            configuration: ApplicationConfiguration(address: .hostname("127.0.0.1", port: 0)),
            onServerRunning: { channel in
                portContinuation.yield(channel.localAddress?.port ?? 0)
                portContinuation.finish()
            },
            logger: logger
        )
        return try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask {
                defer { portContinuation.finish() }
                try await application.run()
            }
            var iterator = ports.makeAsyncIterator()
            guard let port = await iterator.next() else {
                try await group.next()
                throw TestHTTPServerError(reason: "the webhook receiver stopped before listening")
            }
            let result = try await body(WebhookReceiver(port: port, recorded: recorded))
            group.cancelAll()
            return result
        }
    }
}

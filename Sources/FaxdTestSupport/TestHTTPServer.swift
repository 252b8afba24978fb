import HTTPTypes
import Hummingbird
import Logging

/// An in-process HTTP/1.1 server on `127.0.0.1` and an ephemeral port, for tests and benchmarks.
///
/// Routes:
/// - `GET /hello` → `200`, body `hello`; `HEAD /hello` → `200` with no body.
/// - `POST /echo` → `200`, the request body unchanged and the request's `Content-Type`
///   (request bodies up to 64 MiB).
/// - `GET /n/{i}` → `200`, body `n=<i>`: lets many concurrent requests check they each got
///   their own response.
/// - `GET /slow/{ms}` → `200`, body `slow`, after `ms` milliseconds (0–10,000): requests that
///   overlap.
/// - `GET /never` → never answers: the handler reports its arrival on ``neverRequests`` and
///   sleeps until the server stops.
/// - `GET /status/{code}` → an empty response with that status (200–599; others give `400`).
/// - `GET`, `POST`, `PUT`, `PATCH`, `DELETE /method` → `200`, body `<method> <request body bytes>`:
///   what a request was sent as.
/// - `GET /headers` → `200` with `X-One: 1`, `X-Spaced: a b` and `X-Twice: first` then
///   `X-Twice: second`, for the client's reading of response headers.
///
/// Use ``withServer(_:)``, which runs the server only for the duration of its body.
public struct TestHTTPServer: Sendable {
    /// The port the server listens on, chosen by the kernel.
    public let port: Int
    /// One element per `GET /never` request that has reached its handler, so a test can wait
    /// until such a request is in flight. Single consumer.
    public let neverRequests: AsyncStream<Void>

    /// `http://127.0.0.1:<port>`, without a trailing slash.
    public var baseURL: String { "http://127.0.0.1:\(port)" }

    /// The URL of `path` on this server; `path` starts with `/`.
    public func url(_ path: String) -> String { baseURL + path }

    /// Starts a server, runs `body` with it, then stops the server (cancelling any handler still
    /// running, such as `/never`) and returns `body`'s result.
    ///
    /// The server runs in a child task of a task group, so it never outlives this call.
    ///
    /// - Throws: what `body` throws, or the server's error if it fails to start.
    public static func withServer<T: Sendable>(_ body: (TestHTTPServer) async throws -> T) async throws -> T {
        let (neverRequests, neverContinuation) = AsyncStream.makeStream(of: Void.self)
        let (ports, portContinuation) = AsyncStream.makeStream(of: Int.self)
        let application = makeApplication(
            onNever: { neverContinuation.yield() },
            onServerRunning: { port in
                portContinuation.yield(port)
                portContinuation.finish()
            }
        )
        return try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask {
                defer { portContinuation.finish() }
                try await application.run()
            }
            var portIterator = ports.makeAsyncIterator()
            guard let port = await portIterator.next() else {
                // The server stopped before listening: surface its error.
                try await group.next()
                throw TestHTTPServerError(reason: "the test HTTP server stopped before listening")
            }
            let result = try await body(TestHTTPServer(port: port, neverRequests: neverRequests))
            group.cancelAll()
            neverContinuation.finish()
            return result
        }
    }

    private static func makeApplication(
        onNever: @escaping @Sendable () -> Void,
        onServerRunning: @escaping @Sendable (Int) -> Void
    ) -> some ApplicationProtocol {
        let router = Router()
        router.get("hello") { _, _ in
            "hello"
        }
        router.head("hello") { _, _ in
            Response(status: .ok)
        }
        router.post("echo") { request, _ -> Response in
            let body = try await request.body.collect(upTo: 64 * 1024 * 1024)
            var headers = HTTPFields()
            if let contentType = request.headers[.contentType] {
                headers[.contentType] = contentType
            }
            return Response(status: .ok, headers: headers, body: ResponseBody(byteBuffer: body))
        }
        router.get("n/:i") { _, context -> String in
            let index = try context.parameters.require("i")
            return "n=\(index)"
        }
        router.get("slow/:ms") { _, context -> String in
            guard let milliseconds = context.parameters.get("ms", as: Int.self), (0...10_000).contains(milliseconds) else {
                throw HTTPError(.badRequest)
            }
            try await Task.sleep(for: .milliseconds(milliseconds))
            return "slow"
        }
        router.get("never") { _, _ -> String in
            onNever()
            try await Task.sleep(for: .seconds(24 * 60 * 60))
            return "never"
        }
        for method in [HTTPRequest.Method.get, .post, .put, .patch, .delete] {
            router.on("method", method: method) { request, _ -> String in
                let body = try await request.body.collect(upTo: 1024 * 1024)
                return "\(request.method) \(body.readableBytes)"
            }
        }
        // The request's header fields, one `name: value` line each, in order.
        router.post("request-headers") { request, _ -> String in
            request.headers.map { "\($0.name.rawName.lowercased()): \($0.value)\n" }.joined()
        }
        router.get("headers") { _, _ -> Response in
            var headers = HTTPFields()
            headers.append(HTTPField(name: HTTPField.Name("X-One")!, value: "1"))
            headers.append(HTTPField(name: HTTPField.Name("X-Spaced")!, value: "a b"))
            headers.append(HTTPField(name: HTTPField.Name("X-Twice")!, value: "first"))
            headers.append(HTTPField(name: HTTPField.Name("X-Twice")!, value: "second"))
            return Response(status: .ok, headers: headers)
        }
        router.get("status/:code") { _, context -> Response in
            guard let code = context.parameters.get("code", as: Int.self), (200...599).contains(code) else {
                return Response(status: .badRequest)
            }
            return Response(status: .init(code: code))
        }
        var logger = Logger(label: "faxd.test-http-server")
        // Stopping by cancellation makes Hummingbird log "Waiting on child channel:
        // CancellationError()" at error level on every teardown; failures show up in tests instead.
        logger.logLevel = .critical
        return Application(
            router: router,
            configuration: ApplicationConfiguration(address: .hostname("127.0.0.1", port: 0)),
            onServerRunning: { channel in
                onServerRunning(channel.localAddress?.port ?? 0)
            },
            logger: logger
        )
    }
}

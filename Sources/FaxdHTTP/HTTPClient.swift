internal import CLibcurl
public import Logging

/// An asynchronous HTTP/1.1 and HTTP/2 client over the libcurl multi interface.
///
/// One client multiplexes any number of concurrent requests over a shared connection cache:
/// connections are reused between requests, HTTP/2 is negotiated over TLS where the server
/// offers it (with multiplexing), and at most
/// ``HTTPClientConfiguration/maxConnectionsPerHost`` requests run at once per origin (further
/// requests wait in the client's first-come queue, their timeout running). Redirects are not followed: a 3xx is returned as a response.
/// Proxies come from the `http_proxy`/`https_proxy`/`no_proxy` environment variables, which
/// libcurl reads itself.
///
/// - Important: Threading. Each client owns one dedicated OS thread (not a Swift concurrency
///   thread) that drives the curl multi handle; all libcurl calls for in-flight requests happen
///   there. ``execute(_:timeout:)`` may be called from any task or thread concurrently.
///   ``shutdown()`` and `deinit` block the calling thread until that thread has stopped, which
///   takes at most one pass of the loop.
///
/// `curl_global_init` is called exactly once per process, the first time a client is created.
public final class HTTPClient: Sendable {
    /// The configuration the client was created with.
    public let configuration: HTTPClientConfiguration

    private let loop: CurlMultiLoop
    /// Easy handles of finished requests, for the next ones.
    let handles: EasyHandlePool
    private let logger: Logger?

    /// The result of the one `curl_global_init` call in this process: a lazily initialised
    /// static, so it runs once and is thread-safe.
    private static let globalInitResult: UInt32 = faxd_curl_global_init_default().rawValue

    /// Creates a client and starts its loop thread.
    ///
    /// - Parameters:
    ///   - configuration: timeouts, limits and TLS settings; see ``HTTPClientConfiguration``.
    ///   - logger: receives debug-level records per transfer (method, status or error code,
    ///     connection count). URLs, header values and bodies are never logged: they can carry
    ///     credentials.
    /// - Throws: ``HTTPClientError`` `.invalidRequest` if the user agent contains CR, LF or NUL;
    ///   `.transport` if libcurl cannot be initialised.
    public init(configuration: HTTPClientConfiguration = HTTPClientConfiguration(), logger: Logger? = nil) throws {
        guard Self.globalInitResult == CURLE_OK.rawValue else {
            throw HTTPClientError(code: .transport, reason: "curl_global_init failed")
        }
        guard RequestValidation.isSafeHeaderValue(configuration.userAgent) else {
            throw HTTPClientError(code: .invalidRequest, reason: "the user agent contains CR, LF or NUL")
        }
        self.configuration = configuration
        self.logger = logger
        self.loop = try CurlMultiLoop(
            maxConnectionsPerHost: configuration.maxConnectionsPerHost,
            logger: logger
        )
        // As many idle handles as requests may run at once to one origin.
        self.handles = EasyHandlePool(capacity: max(1, configuration.maxConnectionsPerHost), configuration: configuration)
        logger?.debug("HTTP client started")
    }

    deinit {
        loop.shutdownAndWait()
    }

    /// Sends `request` and returns the complete response.
    ///
    /// Any HTTP status is returned as a response; only transport-level failures throw.
    ///
    /// - Parameters:
    ///   - request: the request; validated before libcurl sees it.
    ///   - timeout: the total time allowed for this request, overriding
    ///     ``HTTPClientConfiguration/totalTimeout`` (default 30 seconds) when not `nil`.
    /// - Returns: the final response, after the whole body has arrived.
    /// - Throws: ``HTTPClientError``: `.badURL` or `.invalidRequest` for a bad request;
    ///   `.connect`, `.timeout`, `.tls`, `.responseTooLarge` or `.transport` from the transfer;
    ///   `.cancelled` when the calling task is cancelled (the transfer is aborted at once);
    ///   `.shutdown` when the client is or gets shut down.
    public func execute(_ request: HTTPRequest, timeout: Duration? = nil) async throws -> HTTPResponse {
        if Task.isCancelled {
            throw HTTPClientError(code: .cancelled, reason: "the task was cancelled before the request started")
        }
        let transfer = try Transfer(
            request: request,
            configuration: configuration,
            timeout: timeout ?? configuration.totalTimeout,
            pool: handles
        )
        let loop = self.loop
        return try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { continuation in
                if !loop.submit(.add(transfer, continuation)) {
                    continuation.resume(throwing: HTTPClientError(code: .shutdown, reason: "the client is shut down"))
                }
            }
        } onCancel: {
            transfer.cancelRequested.store(true, ordering: .sequentiallyConsistent)
            loop.submit(.cancel(transfer))
        }
    }

    /// Stops the client: fails every request in flight with ``HTTPClientError/Code/shutdown``,
    /// frees the curl multi handle and waits for the loop thread to finish. Later calls to
    /// ``execute(_:timeout:)`` throw `.shutdown`. Idempotent; `deinit` calls it too.
    ///
    /// - Important: Blocks the calling thread until the loop thread has stopped (one loop pass).
    public func shutdown() {
        loop.shutdownAndWait()
        logger?.debug("HTTP client shut down")
    }
}

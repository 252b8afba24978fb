internal import CLibcurl

/// The error thrown by ``HTTPClient/execute(_:timeout:)``.
///
/// Switch on ``code`` to decide what to do; ``reason`` is for humans and logs. The reason carries
/// libcurl's message for the failure (`curl_easy_strerror` plus the `CURLOPT_ERRORBUFFER` text),
/// which may name the host and port but never header values or bodies.
public struct HTTPClientError: Error, Sendable, CustomStringConvertible {
    /// The kind of failure. Compare with the static members, e.g. `error.code == .timeout`.
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        private let name: String

        private init(_ name: String) {
            self.name = name
        }

        /// The TCP connection could not be made: refused, host or proxy not resolvable.
        public static let connect = Code("connect")
        /// The connect timeout or the total timeout elapsed.
        public static let timeout = Code("timeout")
        /// TLS failed: handshake, certificate verification, CA bundle or client certificate.
        public static let tls = Code("tls")
        /// The calling task was cancelled; the transfer was aborted.
        public static let cancelled = Code("cancelled")
        /// The URL is empty, malformed, or not `http`/`https`.
        public static let badURL = Code("badURL")
        /// The request is invalid: a method that is not a token, a header name that is not a
        /// token, or a header value (or user agent) containing CR, LF or NUL.
        public static let invalidRequest = Code("invalidRequest")
        /// The response body exceeded ``HTTPClientConfiguration/maxResponseBodyBytes``.
        public static let responseTooLarge = Code("responseTooLarge")
        /// Any other transport failure reported by libcurl (reset connection, protocol error, ...).
        public static let transport = Code("transport")
        /// The client was shut down before the transfer finished, or before it started.
        public static let shutdown = Code("shutdown")

        public var description: String { name }
    }

    /// The kind of failure.
    public let code: Code
    /// A human-readable explanation, for logs; not stable across libcurl versions.
    public let reason: String

    /// Creates an error.
    public init(code: Code, reason: String) {
        self.code = code
        self.reason = reason
    }

    public var description: String { "HTTPClientError(\(code)): \(reason)" }

    /// Maps a failed transfer's result code to an error, once, on the loop thread.
    ///
    /// - Parameters:
    ///   - result: the `CURLcode` from the `CURLMSG_DONE` message; never `CURLE_OK`.
    ///   - detail: the text libcurl wrote to the transfer's error buffer (may be empty).
    ///   - bodyLimitExceeded: whether the write callback refused data because of the size cap,
    ///     which libcurl reports as `CURLE_WRITE_ERROR`.
    init(result: CURLcode, detail: String, bodyLimitExceeded: Bool) {
        let summary = String(cString: curl_easy_strerror(result))
        let reason = detail.isEmpty ? summary : "\(summary): \(detail)"
        let code: Code
        switch result {
        case CURLE_COULDNT_CONNECT, CURLE_COULDNT_RESOLVE_HOST, CURLE_COULDNT_RESOLVE_PROXY:
            code = .connect
        case CURLE_OPERATION_TIMEDOUT:
            code = .timeout
        case CURLE_SSL_CONNECT_ERROR, CURLE_SSL_ENGINE_NOTFOUND, CURLE_SSL_ENGINE_SETFAILED,
            CURLE_SSL_CERTPROBLEM, CURLE_SSL_CIPHER, CURLE_PEER_FAILED_VERIFICATION,
            CURLE_USE_SSL_FAILED, CURLE_SSL_ENGINE_INITFAILED, CURLE_SSL_CACERT_BADFILE,
            CURLE_SSL_SHUTDOWN_FAILED, CURLE_SSL_CRL_BADFILE, CURLE_SSL_ISSUER_ERROR,
            CURLE_SSL_PINNEDPUBKEYNOTMATCH, CURLE_SSL_INVALIDCERTSTATUS, CURLE_SSL_CLIENTCERT:
            code = .tls
        case CURLE_URL_MALFORMAT, CURLE_UNSUPPORTED_PROTOCOL:
            code = .badURL
        case CURLE_WRITE_ERROR where bodyLimitExceeded:
            code = .responseTooLarge
        default:
            code = .transport
        }
        self.init(code: code, reason: reason)
    }
}

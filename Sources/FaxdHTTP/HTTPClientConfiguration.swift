#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// Settings for an ``HTTPClient``, fixed when the client is created.
///
/// Proxies are not configured here: libcurl reads the standard `http_proxy`, `https_proxy`
/// (also `HTTPS_PROXY`), `all_proxy` and `no_proxy` environment variables for every transfer.
/// Note that libcurl ignores upper-case `HTTP_PROXY` (it may be set by CGI-style request input).
public struct HTTPClientConfiguration: Sendable {
    /// The longest time to establish a connection, TCP plus TLS handshake (`CURLOPT_CONNECTTIMEOUT_MS`).
    /// Default 10 seconds. Millisecond resolution; values below 1 ms count as 1 ms.
    public var connectTimeout: Duration
    /// The longest time for a whole transfer, from when the client hands it to libcurl until the
    /// last body byte, including time queued for a free connection (`CURLOPT_TIMEOUT_MS`).
    /// Default 30 seconds. Millisecond resolution; values below 1 ms count as 1 ms.
    /// ``HTTPClient/execute(_:timeout:)`` can override it per request.
    public var totalTimeout: Duration
    /// The most requests running at once to one origin (scheme, host and port), and so the most
    /// connections (also `CURLMOPT_MAX_HOST_CONNECTIONS`). Further requests wait in the client's
    /// queue, first come first served, with their timeout running. Default 64; values below 1
    /// count as 1.
    public var maxConnectionsPerHost: Int
    /// ``maxConnectionsPerHost``'s default: 64.
    public static let defaultMaxConnectionsPerHost = 64
    /// The largest response body accepted, in bytes. A larger body aborts the transfer with
    /// ``HTTPClientError/Code/responseTooLarge``. Default 16 MiB (16 × 1024 × 1024); values below
    /// 0 count as 0.
    public var maxResponseBodyBytes: Int
    /// The `User-Agent` header value sent with every request, unless a request sets its own.
    /// Default `"faxd"`. Must not contain CR, LF or NUL, or the client's init throws.
    public var userAgent: String
    /// The path of a PEM file of trusted CA certificates (`CURLOPT_CAINFO`), or `nil` for libcurl's
    /// built-in default. Defaults to the `CURL_CA_BUNDLE` environment variable if set and
    /// non-empty, else `SSL_CERT_FILE` if set and non-empty, else `nil`.
    public var caBundlePath: String?

    /// Creates a configuration; every parameter defaults as its property documents.
    public init(
        connectTimeout: Duration = .seconds(10),
        totalTimeout: Duration = .seconds(30),
        maxConnectionsPerHost: Int = defaultMaxConnectionsPerHost,
        maxResponseBodyBytes: Int = 16 * 1024 * 1024,
        userAgent: String = "faxd",
        caBundlePath: String? = HTTPClientConfiguration.caBundlePathFromEnvironment()
    ) {
        self.connectTimeout = connectTimeout
        self.totalTimeout = totalTimeout
        self.maxConnectionsPerHost = maxConnectionsPerHost
        self.maxResponseBodyBytes = maxResponseBodyBytes
        self.userAgent = userAgent
        self.caBundlePath = caBundlePath
    }

    /// The value of `CURL_CA_BUNDLE`, else of `SSL_CERT_FILE`, ignoring unset and empty variables.
    public static func caBundlePathFromEnvironment() -> String? {
        for name in ["CURL_CA_BUNDLE", "SSL_CERT_FILE"] {
            if let raw = getenv(name) {
                let value = String(cString: raw)
                if !value.isEmpty {
                    return value
                }
            }
        }
        return nil
    }
}

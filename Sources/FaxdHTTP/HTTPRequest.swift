/// An HTTP request for ``HTTPClient/execute(_:timeout:)``.
///
/// Validation happens in `execute`, before libcurl sees the request: the URL must be an absolute
/// `http` or `https` URL without control characters or spaces (else ``HTTPClientError/Code/badURL``);
/// header names must be RFC 9110 tokens and header values must not contain CR, LF or NUL
/// (else ``HTTPClientError/Code/invalidRequest``), so a value cannot inject extra header lines.
public struct HTTPRequest: Sendable {
    /// The request method. Default ``HTTPMethod/GET``.
    public var method: HTTPMethod
    /// The absolute `http://` or `https://` URL, percent-encoded as it should go on the wire.
    public var url: String
    /// Extra request headers, sent in order. A header with an empty value is sent empty
    /// (`Name:`), not dropped. libcurl adds `Host`, `User-Agent`, `Content-Length` and `Accept`
    /// itself unless they are given here.
    public var headers: HTTPHeaders
    /// The request body, or `nil` for none. It is copied into libcurl when the transfer is
    /// created, so the array may be released as soon as `execute` is called.
    public var body: [UInt8]?

    /// Creates a request.
    public init(method: HTTPMethod = .GET, url: String, headers: HTTPHeaders = [:], body: [UInt8]? = nil) {
        self.method = method
        self.url = url
        self.headers = headers
        self.body = body
    }
}

/// A complete HTTP response returned by ``HTTPClient/execute(_:timeout:)``.
///
/// Any status is a response, not an error: a 404 or 503 is returned here, not thrown.
public struct HTTPResponse: Sendable {
    /// The HTTP status code of the final response, e.g. `200`.
    public var status: Int
    /// The header fields of the final response only: when redirects or `100 Continue` interim
    /// responses came first, their headers are discarded.
    public var headers: HTTPHeaders
    /// The response body, at most ``HTTPClientConfiguration/maxResponseBodyBytes`` bytes.
    public var body: [UInt8]
    /// The number of new connections libcurl opened for this transfer (`CURLINFO_NUM_CONNECTS`):
    /// `0` when a cached connection was reused.
    public var newConnections: Int

    /// Creates a response.
    public init(status: Int, headers: HTTPHeaders = [:], body: [UInt8] = [], newConnections: Int = 0) {
        self.status = status
        self.headers = headers
        self.body = body
        self.newConnections = newConnections
    }

    /// The body decoded as UTF-8; invalid sequences become U+FFFD.
    public var bodyString: String {
        String(decoding: body, as: UTF8.self)
    }
}

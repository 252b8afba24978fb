/// An HTTP request method such as `GET` or `POST`.
///
/// Any RFC 9110 token is accepted as a method; a method that is not a token (empty, or containing
/// spaces, CR/LF or other separators) makes ``HTTPClient/execute(_:timeout:)`` throw
/// ``HTTPClientError/Code/invalidRequest`` before libcurl sees it.
public struct HTTPMethod: RawRepresentable, Hashable, Sendable, CustomStringConvertible {
    /// The method name exactly as it is sent on the wire (case-sensitive).
    public let rawValue: String

    /// Creates a method from its wire name, e.g. `HTTPMethod(rawValue: "OPTIONS")`.
    public init(rawValue: String) {
        self.rawValue = rawValue
    }

    /// `GET`: no request body is sent unless ``HTTPRequest/body`` is set.
    public static let GET = HTTPMethod(rawValue: "GET")
    /// `POST`: sends ``HTTPRequest/body``, or an empty body with `Content-Length: 0`.
    public static let POST = HTTPMethod(rawValue: "POST")
    /// `PUT`: sends ``HTTPRequest/body``, or an empty body with `Content-Length: 0`.
    public static let PUT = HTTPMethod(rawValue: "PUT")
    /// `DELETE`: sends ``HTTPRequest/body`` only when it is set.
    public static let DELETE = HTTPMethod(rawValue: "DELETE")
    /// `PATCH`: sends ``HTTPRequest/body``, or an empty body with `Content-Length: 0`.
    public static let PATCH = HTTPMethod(rawValue: "PATCH")
    /// `HEAD`: never sends a request body; the response carries status and headers only, and its
    /// body is always empty.
    public static let HEAD = HTTPMethod(rawValue: "HEAD")

    public var description: String { rawValue }
}

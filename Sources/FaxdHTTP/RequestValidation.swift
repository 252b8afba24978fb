internal import CLibcurl
import Synchronization

/// Checks a request before libcurl sees it, so that bad input becomes a typed error instead of
/// a crash, a silently truncated C string, or an injected header line.
enum RequestValidation {
    /// Throws `.badURL` or `.invalidRequest` for the first problem found in `request`.
    /// Reasons never quote the URL or header values, which can carry credentials.
    ///
    /// - Returns: the URL's origin, `scheme://host:port` in lower case with the port explicit.
    static func validate(_ request: HTTPRequest) throws(HTTPClientError) -> String {
        guard isToken(request.method.rawValue) else {
            throw HTTPClientError(code: .invalidRequest, reason: "the request method is not an HTTP token")
        }
        let origin = try validateURL(request.url)
        for field in request.headers {
            guard isToken(field.name) else {
                throw HTTPClientError(code: .invalidRequest, reason: "a header name is not an HTTP token")
            }
            guard isSafeHeaderValue(field.value) else {
                throw HTTPClientError(
                    code: .invalidRequest,
                    reason: "the value of header \(field.name) contains CR, LF or NUL"
                )
            }
        }
        return origin
    }

    /// Whether `value` can be sent as one header line: no CR, LF or NUL.
    static func isSafeHeaderValue(_ value: String) -> Bool {
        !value.utf8.contains { $0 == 0x0D || $0 == 0x0A || $0 == 0x00 }
    }

    /// Whether `text` is a non-empty RFC 9110 token (method or header name).
    static func isToken(_ text: String) -> Bool {
        !text.isEmpty && text.utf8.allSatisfy(isTokenCharacter)
    }

    private static func isTokenCharacter(_ byte: UInt8) -> Bool {
        switch byte {
        case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"),
            UInt8(ascii: "0")...UInt8(ascii: "9"):
            return true
        default:
            return "!#$%&'*+-.^_`|~".utf8.contains(byte)
        }
    }

    /// URLs that passed `validateURL`, with their origins: a client sends most of its requests to a
    /// few URLs, and parsing one with libcurl's URL API was a dozen allocations a request
    /// (docs/benchmarks.md). At most `maxRemembered`; forgotten all at once when full.
    private static let validated = Mutex<[String: String]>([:])
    private static let maxRemembered = 256

    /// Requires an absolute `http` or `https` URL that libcurl's URL parser accepts, with no
    /// spaces or control characters (a NUL would silently cut the C string short), and returns
    /// its origin.
    private static func validateURL(_ url: String) throws(HTTPClientError) -> String {
        if let origin = validated.withLock({ $0[url] }) { return origin }
        let origin = try parseURL(url)
        validated.withLock { remembered in
            if remembered.count >= maxRemembered { remembered.removeAll(keepingCapacity: true) }
            remembered[url] = origin
        }
        return origin
    }

    private static func parseURL(_ url: String) throws(HTTPClientError) -> String {
        guard !url.isEmpty else {
            throw HTTPClientError(code: .badURL, reason: "the URL is empty")
        }
        guard url.utf8.allSatisfy({ $0 > 0x20 && $0 != 0x7F }) else {
            throw HTTPClientError(code: .badURL, reason: "the URL contains spaces or control characters")
        }
        guard let handle = curl_url() else {
            throw HTTPClientError(code: .transport, reason: "curl_url failed")
        }
        defer { curl_url_cleanup(handle) }
        let parsed = curl_url_set(handle, CURLUPART_URL, url, 0)
        guard parsed == CURLUE_OK else {
            throw HTTPClientError(
                code: .badURL,
                reason: "the URL is malformed: \(String(cString: curl_url_strerror(parsed)))"
            )
        }
        guard let scheme = part(CURLUPART_SCHEME, of: handle, flags: 0)?.lowercased() else {
            throw HTTPClientError(code: .badURL, reason: "the URL has no scheme")
        }
        guard scheme == "http" || scheme == "https" else {
            throw HTTPClientError(code: .badURL, reason: "the URL scheme is not http or https")
        }
        let host = part(CURLUPART_HOST, of: handle, flags: 0) ?? ""
        let port = part(CURLUPART_PORT, of: handle, flags: UInt32(CURLU_DEFAULT_PORT)) ?? ""
        return "\(scheme)://\(host.lowercased()):\(port)"
    }

    /// One part of a parsed URL, or `nil` when it has none.
    private static func part(_ part: CURLUPart, of handle: OpaquePointer, flags: UInt32) -> String? {
        var pointer: UnsafeMutablePointer<CChar>?
        guard curl_url_get(handle, part, &pointer, flags) == CURLUE_OK, let pointer else { return nil }
        defer { curl_free(pointer) }
        return String(cString: pointer)
    }
}

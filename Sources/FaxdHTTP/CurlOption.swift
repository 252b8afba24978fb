internal import CLibcurl

/// Setting easy-handle options, a refusal as an ``HTTPClientError``.
enum CurlOption {
    static func set(_ easy: UnsafeMutableRawPointer, _ option: CURLoption, _ value: Int) throws(HTTPClientError) {
        try check(faxd_curl_easy_setopt_long(easy, option, value), option)
    }

    /// Sets a string option; libcurl copies the string.
    static func set(_ easy: UnsafeMutableRawPointer, _ option: CURLoption, _ value: String) throws(HTTPClientError) {
        let code = value.withCString { faxd_curl_easy_setopt_ptr(easy, option, $0) }
        try check(code, option)
    }

    static func check(_ code: CURLcode, _ option: CURLoption) throws(HTTPClientError) {
        guard code == CURLE_OK else {
            throw HTTPClientError(
                code: .transport,
                reason: "curl_easy_setopt(\(option.rawValue)) failed: \(String(cString: curl_easy_strerror(code)))"
            )
        }
    }
}

extension Duration {
    /// This duration in whole milliseconds for libcurl's `*_MS` options: rounded up, at least 1
    /// (0 would mean "no timeout" to libcurl) and at most `Int32.max`.
    var curlMilliseconds: Int {
        let (seconds, attoseconds) = components
        let milliseconds = (Double(seconds) * 1_000 + Double(attoseconds) / 1e15).rounded(.up)
        return Int(min(max(milliseconds, 1), Double(Int32.max)))
    }
}

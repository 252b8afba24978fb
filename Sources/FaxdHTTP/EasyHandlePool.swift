internal import CLibcurl
import Synchronization

/// An easy handle (`CURL *`) and the `CURLOPT_ERRORBUFFER` buffer libcurl writes its messages into,
/// configured with a client's fixed options: used by one transfer at a time.
struct EasyHandle: @unchecked Sendable {
    let easy: UnsafeMutableRawPointer
    /// `CURL_ERROR_SIZE` bytes, set as the handle's error buffer for its whole life.
    let errorBuffer: UnsafeMutablePointer<CChar>
}

/// The easy handles of a client, each configured once with the options that every request of the
/// client shares, kept between requests: `curl_easy_init` and `curl_easy_cleanup` allocate and free
/// a handle and its buffers every time, and `curl_easy_reset` and setting the same options again
/// were more than a fifth of faxd's own request set-up (docs/benchmarks.md).
///
/// The fixed options are set here and nowhere else: the protocols, no signals, no redirects, HTTP/2
/// over TLS, the connect timeout, the CA bundle, the error buffer and the body and header
/// callbacks. Every other option is the request's, and a ``Transfer`` sets each of them for every
/// request it configures, so nothing of one request reaches the next; ``giveBack(_:)`` clears the
/// pointers into a finished transfer (its header list, its callbacks' context) before the
/// transfer frees what they point at.
///
/// A handle is given back only after its transfer's handle left the multi handle (``Transfer``'s
/// `deinit`), so it holds no connection: those stay in the multi handle's cache.
final class EasyHandlePool: Sendable {
    /// Idle handles, at most `capacity`.
    private let idle: Mutex<[EasyHandle]>
    private let capacity: Int
    private let configuration: HTTPClientConfiguration

    /// - Parameters:
    ///   - capacity: the most idle handles kept; more are freed when given back.
    ///   - configuration: the client's; its fixed options are set on every new handle.
    init(capacity: Int, configuration: HTTPClientConfiguration) {
        self.capacity = max(0, capacity)
        self.configuration = configuration
        self.idle = Mutex([])
    }

    deinit {
        idle.withLock { handles in
            for handle in handles { Self.free(handle) }
            handles.removeAll()
        }
    }

    /// An idle handle, or a new one with the fixed options set; its error buffer empty.
    /// - Throws: ``HTTPClientError`` `.transport` when libcurl cannot allocate a handle or refuses
    ///   an option.
    func take() throws(HTTPClientError) -> EasyHandle {
        let handle: EasyHandle
        if let kept = idle.withLock({ $0.popLast() }) { handle = kept } else { handle = try make() }
        handle.errorBuffer[0] = 0
        return handle
    }

    /// Clears `handle`'s pointers into the finished transfer and keeps it for a later request, or
    /// frees it when enough are idle.
    /// - Important: `handle` must not be in a multi handle.
    func giveBack(_ handle: EasyHandle) {
        // Options that cannot fail: a null list and null contexts.
        _ = faxd_curl_easy_setopt_ptr(handle.easy, CURLOPT_HTTPHEADER, nil)
        _ = faxd_curl_easy_setopt_ptr(handle.easy, CURLOPT_WRITEDATA, nil)
        _ = faxd_curl_easy_setopt_ptr(handle.easy, CURLOPT_HEADERDATA, nil)
        let kept = idle.withLock { handles in
            guard handles.count < capacity else { return false }
            handles.append(handle)
            return true
        }
        if !kept { Self.free(handle) }
    }

    /// Idle handles now.
    var idleCount: Int { idle.withLock { $0.count } }

    /// A new handle with the fixed options set.
    private func make() throws(HTTPClientError) -> EasyHandle {
        guard let easy = curl_easy_init() else {
            throw HTTPClientError(code: .transport, reason: "curl_easy_init failed")
        }
        let errorBuffer = UnsafeMutablePointer<CChar>.allocate(capacity: Int(CURL_ERROR_SIZE))
        errorBuffer.initialize(repeating: 0, count: Int(CURL_ERROR_SIZE))
        let handle = EasyHandle(easy: easy, errorBuffer: errorBuffer)
        do {
            try configure(handle)
        } catch {
            Self.free(handle)
            throw error
        }
        return handle
    }

    private func configure(_ handle: EasyHandle) throws(HTTPClientError) {
        let easy = handle.easy
        try CurlOption.set(easy, CURLOPT_PROTOCOLS_STR, "http,https")
        try CurlOption.set(easy, CURLOPT_REDIR_PROTOCOLS_STR, "http,https")
        try CurlOption.set(easy, CURLOPT_NOSIGNAL, 1)
        try CurlOption.set(easy, CURLOPT_FOLLOWLOCATION, 0)
        try CurlOption.set(easy, CURLOPT_HTTP_VERSION, Int(CURL_HTTP_VERSION_2TLS))
        try CurlOption.set(easy, CURLOPT_CONNECTTIMEOUT_MS, configuration.connectTimeout.curlMilliseconds)
        if let caBundlePath = configuration.caBundlePath {
            try CurlOption.set(easy, CURLOPT_CAINFO, caBundlePath)
        }
        try CurlOption.check(faxd_curl_easy_setopt_ptr(easy, CURLOPT_ERRORBUFFER, handle.errorBuffer), CURLOPT_ERRORBUFFER)
        // The callbacks' context is the transfer, set per request (CURLOPT_WRITEDATA, _HEADERDATA).
        let body = faxd_curl_easy_setopt_write_cb(easy, CURLOPT_WRITEFUNCTION) { data, size, count, context in
            guard let context else { return 0 }
            let transfer = Unmanaged<Transfer>.fromOpaque(context).takeUnretainedValue()
            return transfer.receiveBody(UnsafeRawBufferPointer(start: data, count: size * count))
        }
        try CurlOption.check(body, CURLOPT_WRITEFUNCTION)
        let header = faxd_curl_easy_setopt_write_cb(easy, CURLOPT_HEADERFUNCTION) { data, size, count, context in
            guard let context else { return 0 }
            let transfer = Unmanaged<Transfer>.fromOpaque(context).takeUnretainedValue()
            return transfer.receiveHeader(UnsafeRawBufferPointer(start: data, count: size * count))
        }
        try CurlOption.check(header, CURLOPT_HEADERFUNCTION)
    }

    private static func free(_ handle: EasyHandle) {
        curl_easy_cleanup(handle.easy)
        handle.errorBuffer.deallocate()
    }
}

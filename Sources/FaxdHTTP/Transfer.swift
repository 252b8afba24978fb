internal import CLibcurl
import Logging
import Synchronization

/// One request in flight: its libcurl easy handle and the response its callbacks collect.
///
/// - Important: ``HTTPClient/execute(_:timeout:)`` creates and configures a transfer on the
///   calling thread, then hands it to the loop thread through ``CurlMultiLoop/submit(_:)``.
///   From then on only the loop thread touches it (the libcurl callbacks run on that thread
///   inside `curl_multi_socket_action`), except ``cancelRequested``, which any thread may set.
///
/// Ownership of C resources: the transfer holds an easy handle and its error buffer (taken from
/// and given back to the client's ``EasyHandlePool``) and owns its request-header list
/// (``HeaderList``), and releases both in `deinit` on every path (success, failure, cancellation,
/// shutdown, or an init that throws part-way). `deinit` can only run after
/// the loop has removed the easy handle from the multi handle, because the loop's table of
/// active transfers keeps the transfer alive for as long as its handle is added. The callbacks
/// receive an unretained pointer to the transfer, valid for the same reason.
final class Transfer: @unchecked Sendable {
    private let handle: EasyHandle
    /// The easy handle (`CURL *`), from `pool`; given back to it in `deinit`.
    var easy: UnsafeMutableRawPointer { handle.easy }
    private let pool: EasyHandlePool
    /// Set by the task's cancellation handler on any thread; read by the loop when it adds the
    /// transfer, so a cancellation that races ahead of the add is not lost.
    let cancelRequested = Atomic<Bool>(false)
    /// The continuation of the waiting `execute` call; set and cleared on the loop thread only.
    var continuation: CheckedContinuation<HTTPResponse, any Error>?
    /// `scheme://host:port` of the request, the unit of ``CurlMultiLoop``'s connection limit.
    let origin: String
    /// When the request's total timeout ends, counted from creation: time spent waiting for a
    /// free connection counts too.
    let deadline: ContinuousClock.Instant

    private let method: HTTPMethod
    private let maxBodyBytes: Int
    /// The request headers; libcurl reads but does not copy this list, so it lives until the
    /// handle is given back. Freed in `deinit`.
    private var headerList: HeaderList?
    private var body: [UInt8] = []
    private var responseHeaders = HTTPHeaders.Received()
    private var bodyLimitExceeded = false

    /// Validates `request` and sets the request's options on one of the client's easy handles.
    ///
    /// - Parameter timeout: the total timeout for this transfer, from now.
    /// - Throws: ``HTTPClientError`` with `.badURL` or `.invalidRequest` for an invalid request,
    ///   `.transport` if libcurl cannot allocate or rejects an option.
    init(request: HTTPRequest, configuration: HTTPClientConfiguration, timeout: Duration, pool: EasyHandlePool) throws(HTTPClientError) {
        self.origin = try RequestValidation.validate(request)
        self.deadline = .now + timeout
        self.handle = try pool.take()
        self.pool = pool
        self.method = request.method
        self.maxBodyBytes = max(0, configuration.maxResponseBodyBytes)
        // Fully initialised from here: if configuring throws, deinit gives the handle back.
        try configure(request: request, userAgent: configuration.userAgent)
    }

    deinit {
        // The handle's pointer to the header list is cleared before the list is freed.
        pool.giveBack(handle)
        headerList?.deallocate()
    }

    /// Resumes the waiting caller with `result` and forgets the continuation, so that no path
    /// can resume it twice. Loop thread only.
    func resume(_ result: Result<HTTPResponse, HTTPClientError>) {
        continuation?.resume(with: result)
        continuation = nil
    }

    /// Sets libcurl's total timeout to what is left of the deadline, just before the transfer is
    /// added to the multi handle. Loop thread only.
    ///
    /// - Returns: `false` when the deadline has passed (the transfer must not start).
    func setRemainingTimeout(now: ContinuousClock.Instant) -> Bool {
        let remaining = deadline - now
        guard remaining > .zero else { return false }
        // A long option with a value in range (curlMilliseconds clamps it): libcurl cannot refuse it.
        _ = faxd_curl_easy_setopt_long(easy, CURLOPT_TIMEOUT_MS, remaining.curlMilliseconds)
        return true
    }

    /// Turns libcurl's result for this finished transfer into a response or an error, resumes
    /// the caller, and logs the outcome without URL, header values or body. Loop thread only,
    /// after the handle has been removed from the multi handle.
    func complete(result: CURLcode, logger: Logger?) {
        guard result == CURLE_OK else {
            let detail = String(decoding: Self.trimmed(String(cString: handle.errorBuffer).utf8), as: UTF8.self)
            let error = HTTPClientError(result: result, detail: detail, bodyLimitExceeded: bodyLimitExceeded)
            logger?.debug(
                "HTTP transfer failed",
                metadata: ["http.method": "\(method)", "http.error": "\(error.code)"]
            )
            resume(.failure(error))
            return
        }
        var status = 0
        var newConnections = 0
        _ = faxd_curl_easy_getinfo_long(easy, CURLINFO_RESPONSE_CODE, &status)
        _ = faxd_curl_easy_getinfo_long(easy, CURLINFO_NUM_CONNECTS, &newConnections)
        logger?.debug(
            "HTTP transfer finished",
            metadata: [
                "http.method": "\(method)", "http.status": "\(status)",
                "http.new_connections": "\(newConnections)", "http.body_bytes": "\(body.count)",
            ]
        )
        resume(
            .success(
                HTTPResponse(
                    status: status,
                    headers: HTTPHeaders(responseHeaders),
                    body: body,
                    newConnections: newConnections
                )
            )
        )
    }

    // MARK: - Callbacks (loop thread, inside curl_multi_socket_action)

    /// Appends a body chunk, or refuses it (returning 0, which libcurl turns into
    /// `CURLE_WRITE_ERROR`) when it would exceed the size cap.
    func receiveBody(_ chunk: UnsafeRawBufferPointer) -> Int {
        guard chunk.count <= maxBodyBytes - body.count else {
            bodyLimitExceeded = true
            return 0
        }
        body.append(contentsOf: chunk)
        return chunk.count
    }

    /// Records one header line. A status line starts a new response, dropping the headers of
    /// any redirect or `1xx` response before it.
    func receiveHeader(_ chunk: UnsafeRawBufferPointer) -> Int {
        // By bytes: `Character` comparisons (grapheme clusters) cost more than the rest of the
        // transfer's callbacks together (issue #16).
        if chunk.starts(with: Self.statusLinePrefix) {
            responseHeaders.removeAll()
        } else if let first = chunk.first, first == UInt8(ascii: " ") || first == UInt8(ascii: "\t") {
            // Obsolete line folding: the line continues the previous field's value.
            responseHeaders.continueLastValue(Self.trimmed(chunk[...]))
        } else if let colon = chunk.firstIndex(of: UInt8(ascii: ":")) {
            let name = Self.trimmed(chunk[..<colon])
            if !name.isEmpty {
                responseHeaders.append(name: name, value: Self.trimmed(chunk[(colon + 1)...]))
            }
        }
        return chunk.count
    }

    private static let statusLinePrefix = Array("HTTP/".utf8)

    /// `bytes` without leading and trailing spaces, tabs, CRs and LFs.
    private static func trimmed<Bytes: BidirectionalCollection<UInt8>>(_ bytes: Bytes) -> Bytes.SubSequence {
        let isWhitespace = { (byte: UInt8) in
            byte == UInt8(ascii: " ") || byte == UInt8(ascii: "\t") || byte == UInt8(ascii: "\r") || byte == UInt8(ascii: "\n")
        }
        guard let start = bytes.firstIndex(where: { !isWhitespace($0) }), let end = bytes.lastIndex(where: { !isWhitespace($0) })
        else { return bytes[bytes.endIndex...] }
        return bytes[start...end]
    }

    // MARK: - Configuration

    /// Sets every option of the request but the total timeout, which ``setRemainingTimeout(now:)``
    /// sets when the transfer starts. The handle keeps the options of the request before: each of
    /// these is set for every request (the pool set the client's fixed ones).
    private func configure(request: HTTPRequest, userAgent: String) throws(HTTPClientError) {
        try CurlOption.set(easy, CURLOPT_URL, request.url)
        let context = Unmanaged.passUnretained(self).toOpaque()
        try CurlOption.check(faxd_curl_easy_setopt_ptr(easy, CURLOPT_WRITEDATA, context), CURLOPT_WRITEDATA)
        try CurlOption.check(faxd_curl_easy_setopt_ptr(easy, CURLOPT_HEADERDATA, context), CURLOPT_HEADERDATA)
        let sendsBody = try configureMethodAndBody(request)
        try configureHeaders(request.headers, userAgent: userAgent, sendsBody: sendsBody)
    }

    /// Sets the method and body options; returns whether a request body is sent.
    private func configureMethodAndBody(_ request: HTTPRequest) throws(HTTPClientError) -> Bool {
        // GET with no body expected to be left out, no upload and no custom method: what the
        // request before may have changed.
        try CurlOption.set(easy, CURLOPT_HTTPGET, 1)
        try CurlOption.check(faxd_curl_easy_setopt_ptr(easy, CURLOPT_CUSTOMREQUEST, nil), CURLOPT_CUSTOMREQUEST)
        if request.method == .HEAD {
            try CurlOption.set(easy, CURLOPT_NOBODY, 1)
            return false
        }
        let bodyRequired = request.method == .POST || request.method == .PUT || request.method == .PATCH
        guard let body = request.body ?? (bodyRequired ? [] : nil) else {
            if request.method != .GET {
                try CurlOption.set(easy, CURLOPT_CUSTOMREQUEST, request.method.rawValue)
            }
            return false
        }
        // The size must be set before COPYPOSTFIELDS, which then copies exactly that many bytes
        // (binary-safe). COPYPOSTFIELDS also switches the handle to POST.
        try CurlOption.check(
            faxd_curl_easy_setopt_off(easy, CURLOPT_POSTFIELDSIZE_LARGE, curl_off_t(body.count)),
            CURLOPT_POSTFIELDSIZE_LARGE
        )
        // An empty array may have no storage; libcurl needs a non-NULL pointer even for 0 bytes.
        let storage = body.isEmpty ? [0] : body
        let code = storage.withUnsafeBytes { bytes in
            faxd_curl_easy_setopt_ptr(easy, CURLOPT_COPYPOSTFIELDS, bytes.baseAddress)
        }
        try CurlOption.check(code, CURLOPT_COPYPOSTFIELDS)
        if request.method != .POST {
            try CurlOption.set(easy, CURLOPT_CUSTOMREQUEST, request.method.rawValue)
        }
        return true
    }

    /// Builds the request-header list, with the client's user agent unless the request names its
    /// own (a header line of the list, where `CURLOPT_USERAGENT` made libcurl format a line of its
    /// own per request). Headers were validated, so no line can be split.
    private func configureHeaders(_ headers: HTTPHeaders, userAgent: String, sendsBody: Bool) throws(HTTPClientError) {
        // Suppress libcurl's automatic "Expect: 100-continue", which costs a round trip (or a
        // one-second wait on servers that ignore it).
        let suppressExpect = sendsBody && headers["expect"] == nil
        let addedUserAgent = userAgent.isEmpty || headers["user-agent"] != nil ? nil : userAgent
        guard headers.count > 0 || suppressExpect || addedUserAgent != nil else { return }
        let list = HeaderList(headers, userAgent: addedUserAgent, suppressingExpect: suppressExpect)
        headerList = list
        try CurlOption.check(faxd_curl_easy_setopt_ptr(easy, CURLOPT_HTTPHEADER, list.first), CURLOPT_HTTPHEADER)
    }
}

/// A request's header lines as libcurl's `curl_slist`, nodes and text in one allocation: libcurl
/// only reads the list it is given (`CURLOPT_HTTPHEADER`), and `curl_slist_append` made two
/// allocations a line and the line's `String` a third (docs/benchmarks.md).
///
/// A field is `Name: value`; one with an empty value is `Name;` (libcurl drops a header given as
/// `Name:`, and sends `Name;` with an empty value).
private struct HeaderList {
    private let block: UnsafeMutableRawPointer

    /// The list's head, for `CURLOPT_HTTPHEADER`.
    var first: UnsafeMutablePointer<curl_slist> { block.assumingMemoryBound(to: curl_slist.self) }

    /// - Parameter userAgent: a `User-Agent` line's value to add after `headers`.
    init(_ headers: HTTPHeaders, userAgent: String?, suppressingExpect: Bool) {
        let expect = "Expect:"
        let userAgentName = "User-Agent"
        var count = 0
        var textBytes = 0
        for field in headers {
            count += 1
            textBytes += field.name.utf8.count + (field.value.isEmpty ? 1 : 2 + field.value.utf8.count) + 1
        }
        if let userAgent {
            count += 1
            textBytes += userAgentName.utf8.count + 2 + userAgent.utf8.count + 1
        }
        if suppressingExpect {
            count += 1
            textBytes += expect.utf8.count + 1
        }
        let nodesBytes = count * MemoryLayout<curl_slist>.stride
        block = .allocate(byteCount: nodesBytes + textBytes, alignment: MemoryLayout<curl_slist>.alignment)
        let nodes = block.bindMemory(to: curl_slist.self, capacity: count)
        let text = (block + nodesBytes).bindMemory(to: CChar.self, capacity: textBytes)
        var offset = 0
        var index = 0
        func copy(_ part: String) {
            for byte in part.utf8 {
                text[offset] = CChar(bitPattern: byte)
                offset += 1
            }
        }
        func add(_ name: String, _ separator: String, _ value: String = "") {
            let start = text + offset
            copy(name)
            copy(separator)
            copy(value)
            text[offset] = 0
            offset += 1
            nodes[index] = curl_slist(data: start, next: index + 1 < count ? nodes + index + 1 : nil)
            index += 1
        }
        for field in headers {
            if field.value.isEmpty { add(field.name, ";") } else { add(field.name, ": ", field.value) }
        }
        if let userAgent { add(userAgentName, ": ", userAgent) }
        if suppressingExpect { add(expect, "") }
    }

    func deallocate() { block.deallocate() }
}

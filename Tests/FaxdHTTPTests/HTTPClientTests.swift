import FaxdTestSupport
import Testing

@testable import FaxdHTTP

@Suite("HTTPClient against the in-process test server")
struct HTTPClientTests {
    private let clock = ContinuousClock()

    @Test("1,000 concurrent requests each complete with their own body")
    func concurrentRequests() async throws {
        try await TestHTTPServer.withServer { server in
            let client = try HTTPClient()
            defer { client.shutdown() }
            let count = 1_000
            let bodies = try await withThrowingTaskGroup(of: (Int, Int, String).self) { group in
                for index in 0..<count {
                    group.addTask {
                        let response = try await client.execute(HTTPRequest(url: server.url("/n/\(index)")))
                        return (index, response.status, response.bodyString)
                    }
                }
                var bodies: [Int: (status: Int, body: String)] = [:]
                for try await (index, status, body) in group {
                    bodies[index] = (status, body)
                }
                return bodies
            }
            #expect(bodies.count == count)
            let wrong = bodies.filter { index, response in response.status != 200 || response.body != "n=\(index)" }
            #expect(wrong.isEmpty, "\(wrong.count) responses had the wrong status or body")
        }
    }

    @Test("a non-2xx status is a response, not an error")
    func statusIsReturned() async throws {
        try await TestHTTPServer.withServer { server in
            let client = try HTTPClient()
            defer { client.shutdown() }
            let response = try await client.execute(HTTPRequest(url: server.url("/status/503")))
            #expect(response.status == 503)
        }
    }

    @Test("response headers keep their names, values, order and repeats; a status line starts them afresh")
    func responseHeaders() async throws {
        try await TestHTTPServer.withServer { server in
            let client = try HTTPClient()
            defer { client.shutdown() }
            let response = try await client.execute(HTTPRequest(url: server.url("/headers")))
            let custom = response.headers.filter { $0.name.lowercased().hasPrefix("x-") }
            #expect(
                custom.map(\.name) == ["X-One", "X-Spaced", "X-Twice", "X-Twice"]
                    || custom.map(\.name) == ["x-one", "x-spaced", "x-twice", "x-twice"]
            )
            #expect(custom.map(\.value) == ["1", "a b", "first", "second"])
            #expect(response.headers["x-twice"] == "first")
            #expect(response.headers.values(forName: "X-TWICE") == ["first", "second"])
            #expect(!response.headers.contains { $0.name.hasPrefix("HTTP/") })
        }
    }

    @Test("request headers arrive in order, an empty value as empty, and no Expect on a body")
    func requestHeaders() async throws {
        try await TestHTTPServer.withServer { server in
            let client = try HTTPClient()
            defer { client.shutdown() }
            let long = String(repeating: "v", count: 3_000)
            let headers: HTTPHeaders = ["X-First": "1", "X-Empty": "", "X-Long": long]
            for _ in 0..<2 {
                let response = try await client.execute(
                    HTTPRequest(method: .POST, url: server.url("/request-headers"), headers: headers, body: Array("body".utf8))
                )
                let lines = String(decoding: response.body, as: UTF8.self).split(separator: "\n").map(String.init)
                #expect(lines.filter { $0.hasPrefix("x-") } == ["x-first: 1", "x-empty: ", "x-long: \(long)"])
                #expect(!lines.contains { $0.hasPrefix("expect:") })
            }
        }
    }

    @Test("the client's user agent goes with every request, once, unless the request names its own; an empty one is not sent")
    func userAgent() async throws {
        try await TestHTTPServer.withServer { server in
            func userAgents(_ client: HTTPClient, _ headers: HTTPHeaders = [:]) async throws -> [String] {
                let response = try await client.execute(HTTPRequest(method: .POST, url: server.url("/request-headers"), headers: headers))
                return String(decoding: response.body, as: UTF8.self).split(separator: "\n").filter { $0.hasPrefix("user-agent:") }.map(
                    String.init
                )
            }
            let client = try HTTPClient(configuration: HTTPClientConfiguration(userAgent: "faxd-test/1"))
            defer { client.shutdown() }
            #expect(try await userAgents(client) == ["user-agent: faxd-test/1"])
            #expect(try await userAgents(client, ["user-agent": "own/2"]) == ["user-agent: own/2"])
            #expect(try await userAgents(client) == ["user-agent: faxd-test/1"])
            let anonymous = try HTTPClient(configuration: HTTPClientConfiguration(userAgent: ""))
            defer { anonymous.shutdown() }
            #expect(try await userAgents(anonymous) == [])
        }
    }

    @Test("a multipart body round-trips byte-exactly through POST /echo")
    func multipartEcho() async throws {
        try await TestHTTPServer.withServer { server in
            let client = try HTTPClient()
            defer { client.shutdown() }
            var form = MultipartFormData()
            form.addField(name: "to", value: "+15551234567")
            let file = (0..<70_000).map { UInt8(truncatingIfNeeded: $0 &* 31) }
            form.addFile(name: "document", filename: "fax.bin", contentType: "application/octet-stream", bytes: file)
            let body = try form.encode()
            let response = try await client.execute(
                HTTPRequest(method: .POST, url: server.url("/echo"), headers: ["Content-Type": form.contentType], body: body)
            )
            #expect(response.status == 200)
            #expect(response.headers["content-type"] == form.contentType)
            #expect(response.headers["CONTENT-TYPE"] == form.contentType)
            #expect(response.body == body)
        }
    }

    @Test("/never with a 300 ms timeout throws .timeout within a bounded time")
    func totalTimeout() async throws {
        try await TestHTTPServer.withServer { server in
            let client = try HTTPClient()
            defer { client.shutdown() }
            let start = clock.now
            let error = await #expect(throws: HTTPClientError.self) {
                try await client.execute(HTTPRequest(url: server.url("/never")), timeout: .milliseconds(300))
            }
            let elapsed = clock.now - start
            #expect(error?.code == .timeout)
            #expect(elapsed >= .milliseconds(250))
            #expect(elapsed < .seconds(5))
        }
    }

    @Test("cancelling the task aborts an in-flight request promptly; the client keeps working")
    func cancellationInFlight() async throws {
        try await TestHTTPServer.withServer { server in
            let client = try HTTPClient()
            defer { client.shutdown() }
            var arrivals = server.neverRequests.makeAsyncIterator()
            let task = Task {
                try await client.execute(HTTPRequest(url: server.url("/never")))
            }
            await arrivals.next()  // the request is now waiting inside the server
            let start = clock.now
            task.cancel()
            let result = await task.result
            #expect(clock.now - start < .seconds(2))
            #expect(Self.errorCode(of: result) == .cancelled)

            let hello = try await client.execute(HTTPRequest(url: server.url("/hello")))
            #expect(hello.status == 200)
            #expect(hello.bodyString == "hello")
        }
    }

    @Test("a task cancelled before its request starts throws .cancelled")
    func cancellationBeforeStart() async throws {
        try await TestHTTPServer.withServer { server in
            let client = try HTTPClient()
            defer { client.shutdown() }
            let task = Task {
                try await client.execute(HTTPRequest(url: server.url("/never")))
            }
            task.cancel()
            #expect(Self.errorCode(of: await task.result) == .cancelled)
        }
    }

    @Test(
        "beyond the connection limit a request waits: its timeout runs while it waits, cancelling it answers at once, a freed slot starts it"
    )
    func waitingForAConnection() async throws {
        try await TestHTTPServer.withServer { server in
            let client = try HTTPClient(configuration: HTTPClientConfiguration(maxConnectionsPerHost: 1))
            defer { client.shutdown() }
            var arrivals = server.neverRequests.makeAsyncIterator()
            let holder = Task { try await client.execute(HTTPRequest(url: server.url("/never"))) }
            await arrivals.next()  // the only slot is taken

            let start = clock.now
            let timedOut = await #expect(throws: HTTPClientError.self) {
                try await client.execute(HTTPRequest(url: server.url("/hello")), timeout: .milliseconds(300))
            }
            #expect(timedOut?.code == .timeout)
            #expect(clock.now - start >= .milliseconds(250))
            #expect(clock.now - start < .seconds(5))

            let waiting = Task { try await client.execute(HTTPRequest(url: server.url("/hello"))) }
            try await Task.sleep(for: .milliseconds(200))  // let it reach the queue; the assertion is on the answer
            let cancelledAt = clock.now
            waiting.cancel()
            #expect(Self.errorCode(of: await waiting.result) == .cancelled)
            #expect(clock.now - cancelledAt < .seconds(2))

            let queued = Task { try await client.execute(HTTPRequest(url: server.url("/hello"))) }
            holder.cancel()
            #expect(Self.errorCode(of: await holder.result) == .cancelled)
            let hello = try await queued.value
            #expect(hello.status == 200)
            #expect(hello.bodyString == "hello")
        }
    }

    @Test("shutdown fails in-flight requests and later ones with .shutdown")
    func shutdownFailsRequests() async throws {
        try await TestHTTPServer.withServer { server in
            let client = try HTTPClient()
            var arrivals = server.neverRequests.makeAsyncIterator()
            let task = Task {
                try await client.execute(HTTPRequest(url: server.url("/never")))
            }
            await arrivals.next()
            client.shutdown()
            #expect(Self.errorCode(of: await task.result) == .shutdown)
            let error = await #expect(throws: HTTPClientError.self) {
                try await client.execute(HTTPRequest(url: server.url("/hello")))
            }
            #expect(error?.code == .shutdown)
            client.shutdown()  // idempotent
        }
    }

    @Test("a client released without shutdown() stops its thread and is freed")
    func releaseWithoutShutdown() async throws {
        try await TestHTTPServer.withServer { server in
            weak var released: HTTPClient?
            do {
                let client = try HTTPClient()
                released = client
                let response = try await client.execute(HTTPRequest(url: server.url("/hello")))
                #expect(response.status == 200)
            }
            // The loop thread holds no reference to the client, so dropping the last one runs
            // deinit, which shuts the loop down.
            #expect(released == nil)
        }
    }

    @Test("connecting to a closed local port throws .connect")
    func connectionRefused() async throws {
        let client = try HTTPClient()
        defer { client.shutdown() }
        let error = await #expect(throws: HTTPClientError.self) {
            try await client.execute(HTTPRequest(url: "http://127.0.0.1:\(closedLocalPort())/hello"))
        }
        #expect(error?.code == .connect)
    }

    @Test(
        "malformed URLs throw .badURL before reaching libcurl",
        arguments: [
            "", "not a url", "http://", "http://exa mple.com/", "ftp://127.0.0.1/file",
            "file:///etc/passwd", "http://127.0.0.1/\u{0}hidden", "http://[::1", "://nohost",
        ]
    )
    func badURL(url: String) async throws {
        let client = try HTTPClient()
        defer { client.shutdown() }
        let error = await #expect(throws: HTTPClientError.self) {
            try await client.execute(HTTPRequest(url: url))
        }
        #expect(error?.code == .badURL)
    }

    @Test(
        "header names and values that could inject lines are rejected",
        arguments: [
            ("X-Test", "a\r\nInjected: yes"), ("X-Test", "a\nb"), ("X-Test", "a\u{0}b"),
            ("X Test", "value"), ("X-Test:", "value"), ("", "value"),
        ]
    )
    func invalidHeader(name: String, value: String) async throws {
        let client = try HTTPClient()
        defer { client.shutdown() }
        let error = await #expect(throws: HTTPClientError.self) {
            try await client.execute(HTTPRequest(url: "http://127.0.0.1:1/", headers: HTTPHeaders([(name, value)])))
        }
        #expect(error?.code == .invalidRequest)
    }

    @Test("a user agent with CR/LF is rejected when the client is created")
    func invalidUserAgent() {
        let error = #expect(throws: HTTPClientError.self) {
            try HTTPClient(configuration: HTTPClientConfiguration(userAgent: "faxd\r\nX-Evil: 1"))
        }
        #expect(error?.code == .invalidRequest)
    }

    @Test("a body over maxResponseBodyBytes throws .responseTooLarge; one at the limit succeeds")
    func responseTooLarge() async throws {
        try await TestHTTPServer.withServer { server in
            let limit = 16 * 1024
            let client = try HTTPClient(configuration: HTTPClientConfiguration(maxResponseBodyBytes: limit))
            defer { client.shutdown() }
            let atLimit = try await client.execute(
                HTTPRequest(method: .POST, url: server.url("/echo"), body: [UInt8](repeating: 7, count: limit))
            )
            #expect(atLimit.status == 200)
            #expect(atLimit.body.count == limit)

            let error = await #expect(throws: HTTPClientError.self) {
                try await client.execute(
                    HTTPRequest(method: .POST, url: server.url("/echo"), body: [UInt8](repeating: 7, count: 100 * 1024))
                )
            }
            #expect(error?.code == .responseTooLarge)
        }
    }

    @Test("sequential requests reuse connections")
    func connectionReuse() async throws {
        try await TestHTTPServer.withServer { server in
            let client = try HTTPClient()
            defer { client.shutdown() }
            let requests = 20
            var newConnections = 0
            for _ in 0..<requests {
                let response = try await client.execute(HTTPRequest(url: server.url("/hello")))
                #expect(response.status == 200)
                newConnections += response.newConnections
            }
            #expect(newConnections >= 1)
            #expect(newConnections < requests)
        }
    }

    @Test("idle connections are kept when fewer requests run: a client opens at most maxConnectionsPerHost to one host")
    func idleConnectionsAreKept() async throws {
        try await TestHTTPServer.withServer { server in
            let client = try HTTPClient(configuration: HTTPClientConfiguration(maxConnectionsPerHost: 16))
            defer { client.shutdown() }
            func overlapping() async throws -> Int {
                try await withThrowingTaskGroup(of: Int.self) { group in
                    for _ in 0..<16 {
                        group.addTask { try await client.execute(HTTPRequest(url: server.url("/slow/300"))).newConnections }
                    }
                    return try await group.reduce(0, +)
                }
            }
            var opened = try await overlapping()
            // One at a time: libcurl's default cache (four per running request) closed an idle
            // connection at the end of each of these.
            for _ in 0..<16 { opened += try await client.execute(HTTPRequest(url: server.url("/hello"))).newConnections }
            opened += try await overlapping()
            #expect(opened >= 1)
            #expect(opened <= 16, "connections were closed while idle and opened again")
        }
    }

    @Test("a request on a reused easy handle carries nothing of the one before: method, body, headers, HEAD, custom methods")
    func reusedHandles() async throws {
        try await TestHTTPServer.withServer { server in
            let client = try HTTPClient()
            defer { client.shutdown() }
            // Each request starts once the one before gave its handle back (the loop thread drops
            // the transfer just after answering), so all of them run on that one handle.
            func handleGivenBack() async throws {
                try await Eventually.wait(for: "the easy handle given back") { client.handles.idleCount == 1 }
            }
            let typed = try await client.execute(
                HTTPRequest(method: .POST, url: server.url("/echo"), headers: ["Content-Type": "text/x-first"], body: Array("abc".utf8))
            )
            #expect(typed.status == 200 && typed.body == Array("abc".utf8) && typed.headers["content-type"] == "text/x-first")
            try await handleGivenBack()
            let get = try await client.execute(HTTPRequest(url: server.url("/hello")))
            #expect(get.status == 200 && get.body == Array("hello".utf8))
            try await handleGivenBack()
            let head = try await client.execute(HTTPRequest(method: .HEAD, url: server.url("/hello")))
            #expect(head.status == 200 && head.body.isEmpty)
            try await handleGivenBack()
            let afterHead = try await client.execute(HTTPRequest(url: server.url("/hello")))
            #expect(afterHead.body == Array("hello".utf8))
            try await handleGivenBack()
            let untyped = try await client.execute(HTTPRequest(method: .POST, url: server.url("/echo"), body: Array("de".utf8)))
            #expect(untyped.body == Array("de".utf8) && untyped.headers["content-type"] != "text/x-first")
            try await handleGivenBack()
            func sentAs(_ method: HTTPMethod, _ body: [UInt8]? = nil) async throws -> String {
                let response = try await client.execute(HTTPRequest(method: method, url: server.url("/method"), body: body))
                try await handleGivenBack()
                return String(decoding: response.body, as: UTF8.self)
            }
            #expect(try await sentAs(.PUT, Array("fgh".utf8)) == "PUT 3")
            #expect(try await sentAs(.DELETE) == "DELETE 0")
            #expect(try await sentAs(.GET) == "GET 0")
            #expect(try await sentAs(.PATCH, Array("ij".utf8)) == "PATCH 2")
            #expect(try await sentAs(.POST) == "POST 0")
            #expect(try await sentAs(.GET) == "GET 0")
        }
    }

    @Test("the idle easy handles are at most maxConnectionsPerHost, however many requests ran at once")
    func idleHandlesAreBounded() async throws {
        try await TestHTTPServer.withServer { server in
            var configuration = HTTPClientConfiguration()
            configuration.maxConnectionsPerHost = 4
            let client = try HTTPClient(configuration: configuration)
            defer { client.shutdown() }
            // 32 transfers at once, a handle each (none is answered before its timeout), given back
            // as they end: 4 are kept, 28 freed.
            await withTaskGroup(of: HTTPClientError.Code?.self) { group in
                for _ in 0..<32 {
                    group.addTask {
                        do {
                            _ = try await client.execute(HTTPRequest(url: server.url("/never")), timeout: .milliseconds(300))
                            return nil
                        } catch {
                            return (error as? HTTPClientError)?.code
                        }
                    }
                }
                for await code in group { #expect(code == .timeout) }
            }
            try await Eventually.wait(for: "four idle handles") { client.handles.idleCount == 4 }
            let again = try await client.execute(HTTPRequest(url: server.url("/n/again")))
            #expect(again.body == Array("n=again".utf8))
            try await Eventually.wait(for: "the handle given back") { client.handles.idleCount == 4 }
        }
    }

    @Test("methods without a body and HEAD are sent correctly")
    func methods() async throws {
        try await TestHTTPServer.withServer { server in
            let client = try HTTPClient()
            defer { client.shutdown() }
            let head = try await client.execute(HTTPRequest(method: .HEAD, url: server.url("/hello")))
            #expect(head.status == 200)
            #expect(head.body.isEmpty)
            let emptyPost = try await client.execute(HTTPRequest(method: .POST, url: server.url("/echo")))
            #expect(emptyPost.status == 200)
            #expect(emptyPost.body.isEmpty)
            let invalid = await #expect(throws: HTTPClientError.self) {
                try await client.execute(HTTPRequest(method: HTTPMethod(rawValue: "GET /x"), url: server.url("/hello")))
            }
            #expect(invalid?.code == .invalidRequest)
        }
    }

    private static func errorCode(of result: Result<HTTPResponse, any Error>) -> HTTPClientError.Code? {
        guard case .failure(let error) = result else {
            return nil
        }
        return (error as? HTTPClientError)?.code
    }
}

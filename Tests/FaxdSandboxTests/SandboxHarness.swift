import FaxdHTTP
import FaxdSandbox
import FaxdTestSupport
import Foundation
import Logging
import Testing

/// A sandbox started in-process on `127.0.0.1:0` for one test, with our HTTP client pointed at it.
struct SandboxHarness: Sendable {
    static let acmeKey = "mfx_test_demoacme0000000000000001"
    static let globexKey = "mfx_test_demoglobex00000000000002"
    static let pdf = Array("%PDF-1.4\n% faxd sandbox test document\n".utf8)

    let baseURL: String
    let client: HTTPClient

    /// The demo configuration at test speed (a lifecycle step takes a millisecond), with rate
    /// limits high enough for polling.
    static func configuration(timeScale: Double = 0.001, _ change: (inout SandboxConfiguration) -> Void = { _ in }) -> SandboxConfiguration
    {
        var configuration = SandboxConfiguration(port: 0, timeScale: timeScale, unauthenticatedRateLimitPerMinute: 100_000)
        for index in configuration.environments.indices { configuration.environments[index].rateLimitPerMinute = 100_000 }
        change(&configuration)
        return configuration
    }

    /// Runs `body` against a fresh sandbox, then stops it.
    static func with<T: Sendable>(
        _ configuration: SandboxConfiguration = configuration(),
        clock: SandboxClock = .system,
        _ body: (SandboxHarness) async throws -> T
    ) async throws -> T {
        var logger = Logger(label: "test.sandbox")
        logger.logLevel = ProcessInfo.processInfo.environment["FAXD_TEST_LOG"].flatMap(Logger.Level.init(rawValue:)) ?? .critical
        let client = try HTTPClient()
        defer { client.shutdown() }
        return try await SandboxApplication.withRunning(configuration: configuration, clock: clock, logger: logger) { port in
            try await body(SandboxHarness(baseURL: "http://127.0.0.1:\(port)", client: client))
        }
    }

    // MARK: Requests

    /// `POST /v1/faxes` with `to`, a PDF `file` and any further text fields.
    func submit(
        key: String? = acmeKey,
        to: String?,
        fields: [(String, String)] = [],
        file: [UInt8]? = pdf,
        filename: String = "fax.pdf",
        contentType: String = "application/pdf",
        idempotencyKey: String? = nil
    ) async throws -> HTTPResponse {
        var form = MultipartFormData(maximumSize: 32 * 1024 * 1024)
        if let to { form.addField(name: "to", value: to) }
        for (name, value) in fields { form.addField(name: name, value: value) }
        if let file { form.addFile(name: "file", filename: filename, contentType: contentType, bytes: file) }
        var headers = HTTPHeaders([("Content-Type", form.contentType)])
        if let key { headers.add(name: "Authorization", value: "Bearer \(key)") }
        if let idempotencyKey { headers.add(name: "Idempotency-Key", value: idempotencyKey) }
        return try await client.execute(HTTPRequest(method: .POST, url: baseURL + "/v1/faxes", headers: headers, body: try form.encode()))
    }

    /// A `GET` with the key as bearer token.
    func get(_ path: String, key: String? = acmeKey) async throws -> HTTPResponse {
        var headers = HTTPHeaders()
        if let key { headers.add(name: "Authorization", value: "Bearer \(key)") }
        return try await client.execute(HTTPRequest(method: .GET, url: baseURL + path, headers: headers))
    }

    /// A `POST` of a JSON body.
    func post(_ path: String, key: String? = acmeKey, json: Any?, idempotencyKey: String? = nil) async throws -> HTTPResponse {
        var headers = HTTPHeaders([("Content-Type", "application/json")])
        if let key { headers.add(name: "Authorization", value: "Bearer \(key)") }
        if let idempotencyKey { headers.add(name: "Idempotency-Key", value: idempotencyKey) }
        let body = try json.map { Array(try JSONSerialization.data(withJSONObject: $0)) }
        return try await client.execute(HTTPRequest(method: .POST, url: baseURL + path, headers: headers, body: body))
    }

    // MARK: Reading answers

    /// `GET /v1/faxes/{id}` as an object.
    func fax(_ id: String, key: String = acmeKey) async throws -> [String: Any] {
        try Self.object(try await get("/v1/faxes/\(id)", key: key))
    }

    /// `GET /v1/environment/balance` as `(available, held)`.
    func balance(key: String = acmeKey) async throws -> (available: Int, held: Int) {
        let object = try Self.object(try await get("/v1/environment/balance", key: key))
        return (try #require(object["available"] as? Int), try #require(object["held"] as? Int))
    }

    /// The `data` array of an introspection endpoint, e.g. `faxes`.
    func introspect(_ name: String) async throws -> [[String: Any]] {
        let object = try Self.object(try await get("/_sandbox/\(name)", key: nil))
        return try #require(object["data"] as? [[String: Any]])
    }

    /// Waits until the fax is `delivered` or `failed`, then returns it.
    func terminalFax(_ id: String, key: String = acmeKey) async throws -> [String: Any] {
        try await Eventually.wait(for: "fax \(id) to finish", timeout: .seconds(20), interval: .milliseconds(10)) {
            let status = try await fax(id, key: key)["status"] as? String
            return status == "delivered" || status == "failed"
        }
        return try await fax(id, key: key)
    }

    /// A response body as a JSON object.
    static func object(_ response: HTTPResponse) throws -> [String: Any] {
        let value = try JSONSerialization.jsonObject(with: Data(response.body))
        return try #require(value as? [String: Any], "not an object: \(response.bodyString)")
    }

    /// The `error` code and `context.errors` of an error answer.
    static func error(_ response: HTTPResponse) throws -> (code: String, errors: [String: [String]]) {
        let object = try object(response)
        let errors = (object["context"] as? [String: Any])?["errors"] as? [String: [String]] ?? [:]
        return (try #require(object["error"] as? String), errors)
    }
}

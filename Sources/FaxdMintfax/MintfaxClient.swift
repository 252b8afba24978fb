public import FaxdCore
public import FaxdHTTP
import Foundation
public import Logging
import Tracing

/// The mintfax REST API (Gen C) over `FaxdHTTP`: submit, fetch and list faxes, read the balance.
///
/// Every call takes the tenant's own key. Transport failures throw `HTTPClientError`. Lookups come
/// back decoded (`MintfaxAnswer`: the fax snapshot, the fax list, the balance, or mintfax's error
/// envelope, with the rate-limit headers); a submission's answer comes back as the
/// `MintfaxResponse` that `SubmissionClassifier` classifies.
public struct MintfaxClient: Sendable {
    /// `https://api.mintfax.com/v1` or a sandbox's `http://127.0.0.1:8089/v1`, without a trailing slash.
    public let baseURL: String
    /// `baseURL`'s host, for the spans' `server.address`: parsed once, not per request.
    private let serverAddress: String
    /// `POST /faxes`'s URL, built once.
    private let submitURL: String
    private let http: HTTPClient
    private let logger: Logger

    public init(baseURL: String, http: HTTPClient, logger: Logger) {
        self.baseURL = baseURL.hasSuffix("/") ? String(baseURL.dropLast()) : baseURL
        self.serverAddress = URL(string: self.baseURL)?.host ?? ""
        self.submitURL = self.baseURL + "/faxes"
        self.http = http
        self.logger = logger
    }

    /// `POST /faxes` with `Idempotency-Key`.
    public func submit(
        _ submission: FaxSubmission,
        key: MintfaxAPIKey,
        idempotencyKey: String,
        timeout: Duration? = nil
    ) async throws -> MintfaxResponse {
        var form = MultipartFormData()
        form.addField(name: "to", value: submission.to)
        if let webhookURL = submission.webhookURL { form.addField(name: "webhook_url", value: webhookURL) }
        if let maxAttempts = submission.maxAttempts { form.addField(name: "max_attempts", value: String(maxAttempts)) }
        if let csid = submission.csid { form.addField(name: "csid", value: csid) }
        if let pageSize = submission.pageSize { form.addField(name: "page_size", value: pageSize) }
        if let resolution = submission.resolution { form.addField(name: "resolution", value: resolution) }
        if let optimizeFor = submission.optimizeFor { form.addField(name: "optimize_for", value: optimizeFor) }
        for (name, value) in submission.tags.sorted(by: { $0.key < $1.key }) {
            form.addField(name: "tag[\(name)]", value: value)
        }
        form.addFile(name: "file", filename: submission.filename, contentType: submission.contentType, bytes: submission.document)
        let body = try form.encode()
        let headers: HTTPHeaders = [
            "Authorization": key.bearerValue, "Idempotency-Key": idempotencyKey, "Content-Type": form.contentType,
            "Accept": "application/json",
        ]
        let request = HTTPRequest(method: .POST, url: submitURL, headers: headers, body: body)
        // Without a tracer bootstrapped, no span: a no-op one still set its context as a task-local
        // value per request (docs/benchmarks.md).
        if InstrumentationSystem.tracer is NoOpTracer { return Self.response(try await http.execute(request, timeout: timeout)) }
        // A client span, its context sent on as `traceparent`.
        return try await withSpan("POST /faxes", ofKind: .client) { span in
            span.attributes["http.request.method"] = "POST"
            span.attributes["server.address"] = serverAddress
            var traced = request
            InstrumentationSystem.instrument.inject(span.context, into: &traced.headers, using: HTTPHeadersInjector())
            let response = try await http.execute(traced, timeout: timeout)
            span.attributes["http.response.status_code"] = response.status
            if response.status >= 500 { span.setStatus(SpanStatus(code: .error)) }
            return Self.response(response)
        }
    }

    /// `GET /faxes/{id}`: the fax's snapshot (for a zero-footprint fax after it finished, only its id,
    /// status and timestamps).
    public func fax(id: String, key: MintfaxAPIKey) async throws -> MintfaxAnswer<FaxSnapshot> {
        let escaped = id.addingPercentEncoding(withAllowedCharacters: .urlPathAllowed.subtracting(["/"])) ?? id
        return .decoding(try await get("/faxes/\(escaped)", key: key)) { Self.decode(FaxSnapshot.self, $0) }
    }

    /// `GET /faxes?tag[KEY]=VALUE…` (ANDed), first page, up to `perPage` faxes.
    public func faxes(taggedWith tags: [String: String], key: MintfaxAPIKey, perPage: Int = 10) async throws -> MintfaxAnswer<FaxList> {
        var components = URLComponents()
        components.queryItems =
            tags.sorted(by: { $0.key < $1.key }).map { URLQueryItem(name: "tag[\($0.key)]", value: $0.value) }
            + [URLQueryItem(name: "per_page", value: String(perPage))]
        let query = components.percentEncodedQuery?.replacingOccurrences(of: "+", with: "%2B") ?? ""
        return .decoding(try await get("/faxes?\(query)", key: key)) { Self.decode(FaxList.self, $0) }
    }

    /// `GET /environment/balance`.
    public func balance(key: MintfaxAPIKey) async throws -> MintfaxAnswer<MintfaxBalance> {
        .decoding(try await get("/environment/balance", key: key)) { Self.decode(MintfaxBalance.self, $0) }
    }

    private static func decode<Value: Decodable>(_ type: Value.Type, _ body: [UInt8]) -> Value? {
        try? JSONDecoder().decode(type, from: Data(body))
    }

    private func get(_ path: String, key: MintfaxAPIKey) async throws -> MintfaxResponse {
        let request = HTTPRequest(
            method: .GET,
            url: baseURL + path,
            headers: ["Authorization": key.bearerValue, "Accept": "application/json"]
        )
        return Self.response(try await http.execute(request))
    }

    static func response(_ response: HTTPResponse) -> MintfaxResponse {
        MintfaxResponse(
            status: response.status,
            body: response.body,
            retryAfterSeconds: response.headers["retry-after"].flatMap { Int($0.trimmingCharacters(in: .whitespaces)) },
            rateLimitRemaining: response.headers["x-ratelimit-remaining"].flatMap { Int($0) },
            rateLimitResetSeconds: response.headers["x-ratelimit-reset"].flatMap { Int($0) },
            requestID: response.headers["x-request-id"],
            replayed: response.headers["idempotent-replayed"]?.lowercased() == "true"
        )
    }
}

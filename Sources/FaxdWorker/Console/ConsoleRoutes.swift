import FaxdCore
import FaxdKafka
import Foundation
import HTTPTypes
import Hummingbird
import Logging
import Synchronization

/// The live console on the admin listener (docs/worker.md, "The console"): a page, the worker's state
/// as JSON and as server-sent events, a job's events, and the dead-letter topic with its redrive.
///
/// Everything under `/console` asks for `console.token`: as `Authorization: Bearer …`, or the cookie
/// that `GET /console?token=…` sets (HttpOnly, SameSite=Strict) before it redirects to `/console`.
/// Without it: 401.
final class ConsoleRoutes: Sendable {
    /// What the console needs of its worker.
    struct Sources: Sendable {
        var snapshot: @Sendable () async -> ConsoleSnapshot
        var cluster: KafkaClientConfiguration
        var topics: TopicNames
        var logger: Logger
    }

    /// The console's cookie.
    static let cookieName = "faxd_console"
    /// How often the event stream sends the state.
    static let interval: Duration = .seconds(1)
    /// How long one event stream lasts; the browser's `EventSource` reconnects (`retry: 1000`).
    static let streamLifetime: Duration = .seconds(30)

    private let token: [UInt8]
    private let sources: Sources
    private let closed = Atomic(false)

    init(token: String, sources: Sources) {
        self.token = Array(token.utf8)
        self.sources = sources
    }

    /// Ends the open event streams within ``interval`` (the listener is shutting down).
    func close() { closed.store(true, ordering: .relaxed) }

    func register<Context: RequestContext>(on router: Router<Context>) {
        let console = router.group("console")
        console.get { [self] request, _ in page(request) }
        console.get("api/state") { [self] request, _ in
            guard authorized(request) else { return refusal() }
            return try json(await sources.snapshot())
        }
        console.get("events") { [self] request, _ in
            guard authorized(request) else { return refusal() }
            return events()
        }
        console.get("api/job") { [self] request, _ in
            guard authorized(request) else { return refusal() }
            return await job(request)
        }
        console.get("api/dead-letters") { [self] request, _ in
            guard authorized(request) else { return refusal() }
            return await deadLetters()
        }
        console.post("api/redrive") { [self] request, context in
            guard authorized(request) else { return refusal() }
            return await redrive(request, context: context)
        }
    }

    // MARK: Access

    private func authorized(_ request: Request) -> Bool {
        if let header = request.headers[.authorization], header.hasPrefix("Bearer ") {
            return matches(header.dropFirst("Bearer ".count))
        }
        if let cookie = request.cookies[Self.cookieName] {
            return matches(Substring(cookie.value))
        }
        return false
    }

    /// Compares in time independent of where the first difference is.
    private func matches(_ candidate: Substring) -> Bool {
        let bytes = Array(candidate.utf8)
        guard bytes.count == token.count else { return false }
        var difference: UInt8 = 0
        for (a, b) in zip(bytes, token) { difference |= a ^ b }
        return difference == 0
    }

    private func refusal() -> Response {
        text(
            .unauthorized,
            "faxd console: this needs the console's token (console.token): open /console?token=…\n",
            contentType: "text/plain; charset=utf-8"
        )
    }

    // MARK: Handlers

    private func page(_ request: Request) -> Response {
        if let offered = request.uri.queryParameters.get("token") {
            guard matches(Substring(offered)) else { return refusal() }
            // The token leaves the address bar for an HttpOnly cookie the page's requests carry.
            var headers = HTTPFields()
            headers[.location] = "/console"
            headers[.setCookie] =
                Cookie(name: Self.cookieName, value: offered, path: "/console", httpOnly: true, sameSite: .strict).description
            return Response(status: .seeOther, headers: headers)
        }
        guard authorized(request) else { return refusal() }
        return text(.ok, ConsolePage.html, contentType: "text/html; charset=utf-8")
    }

    /// `text/event-stream`: the state every ``interval`` for ``streamLifetime``.
    private func events() -> Response {
        var headers = HTTPFields()
        headers[.contentType] = "text/event-stream"
        headers[.cacheControl] = "no-store"
        let snapshot = sources.snapshot
        return Response(
            status: .ok,
            headers: headers,
            body: ResponseBody { [self] writer in
                try await writer.write(ByteBuffer(string: "retry: 1000\n\n"))
                let ends = ContinuousClock.now + Self.streamLifetime
                while ContinuousClock.now < ends, !closed.load(ordering: .relaxed), !Task.isCancelled {
                    let data = try Self.encoder.encode(await snapshot())
                    try await writer.write(ByteBuffer(string: "data: " + String(decoding: data, as: UTF8.self) + "\n\n"))
                    try await Task.sleep(for: Self.interval)
                }
                try await writer.finish(nil)
            }
        )
    }

    private func job(_ request: Request) async -> Response {
        let query = request.uri.queryParameters
        guard let tenant = query.get("tenant"), !tenant.isEmpty, let jobID = query.get("job"), !jobID.isEmpty else {
            return text(.badRequest, "tenant and job are required\n", contentType: "text/plain; charset=utf-8")
        }
        let lookup = JobEventsLookup(
            cluster: sources.cluster,
            topics: [sources.topics.status, sources.topics.usage],
            logger: sources.logger
        )
        do {
            let found = try await lookup.events(tenant: tenant, jobID: jobID)
            let events: [[String: Any]] = found.map { event in
                var entry: [String: Any] = ["topic": event.topic, "partition": Int(event.partition), "offset": Int(event.offset)]
                if let timestamp = event.timestamp { entry["timestamp"] = Int(timestamp) }
                entry["event"] = (try? JSONSerialization.jsonObject(with: Data(event.value))) ?? NSNull()
                return entry
            }
            let body = try JSONSerialization.data(
                withJSONObject: ["tenant": tenant, "job": jobID, "events": events],
                options: [.sortedKeys]
            )
            return bytes(.ok, Array(body), contentType: "application/json")
        } catch {
            return text(.serviceUnavailable, "cannot read the result topics: \(error)\n", contentType: "text/plain; charset=utf-8")
        }
    }

    /// Every dead letter counted by tenant and error code (a dry run over the whole topic).
    private func deadLetters() async -> Response {
        await runRedrive(DeadLetterSelection(includeRejected: true), dryRun: true)
    }

    private struct RedriveRequest: Decodable {
        var tenant: String
        var errorCode: String
        /// false (the default): a dry run; true re-publishes.
        var confirm: Bool?
        enum CodingKeys: String, CodingKey {
            case tenant, confirm
            case errorCode = "error_code"
        }
    }

    private func redrive<Context: RequestContext>(_ request: Request, context: Context) async -> Response {
        let asked: RedriveRequest
        do {
            let body = try await request.body.collect(upTo: 4096)
            asked = try JSONDecoder().decode(RedriveRequest.self, from: Data(buffer: body))
        } catch {
            return text(
                .badRequest,
                #"the body must be JSON: {"tenant": …, "error_code": …, "confirm": false|true}"# + "\n",
                contentType: "text/plain; charset=utf-8"
            )
        }
        let selection = DeadLetterSelection(tenants: [asked.tenant], errorCodes: [asked.errorCode])
        return await runRedrive(selection, dryRun: asked.confirm != true)
    }

    private func runRedrive(_ selection: DeadLetterSelection, dryRun: Bool) async -> Response {
        let outcome: DeadLetterRedrive.Outcome
        do {
            outcome = try await DeadLetterRedrive(
                cluster: sources.cluster,
                deadLetterTopic: sources.topics.deadLetters,
                jobsTopic: sources.topics.jobs,
                selection: selection,
                readTimeout: .seconds(10),
                logger: sources.logger
            ).run(dryRun: dryRun)
        } catch {
            return text(
                .serviceUnavailable,
                "cannot read \(sources.topics.deadLetters): \(error)\n",
                contentType: "text/plain; charset=utf-8"
            )
        }
        let rows = outcome.selected.sorted { $0.key < $1.key }.map { row, count -> [String: Any] in
            ["tenant": row.tenant, "error_code": row.errorCode, "count": count, "rejected": DeadLetterSelection.isRejection(row.errorCode)]
        }
        var answer: [String: Any] = [
            "dry_run": dryRun, "read": outcome.readCount, "selected": outcome.selectedCount, "published": outcome.published,
            "skipped_truncated": outcome.skippedTruncated, "skipped_rejected": outcome.skippedRejected, "rows": rows,
        ]
        if let stopped = outcome.stopped { answer["stopped"] = stopped }
        if let failure = outcome.failure { answer["failure"] = "\(failure)" }
        guard let body = try? JSONSerialization.data(withJSONObject: answer, options: [.sortedKeys]) else {
            return Response(status: .internalServerError)
        }
        return bytes(
            outcome.stopped == nil && outcome.failure == nil ? .ok : .serviceUnavailable,
            Array(body),
            contentType: "application/json"
        )
    }

    // MARK: Answers

    private static let encoder: JSONEncoder = {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        return encoder
    }()

    private func json(_ value: some Encodable) throws -> Response {
        bytes(.ok, Array(try Self.encoder.encode(value)), contentType: "application/json")
    }

    private func text(_ status: HTTPResponse.Status, _ body: String, contentType: String) -> Response {
        bytes(status, Array(body.utf8), contentType: contentType)
    }

    private func bytes(_ status: HTTPResponse.Status, _ body: [UInt8], contentType: String) -> Response {
        var headers = HTTPFields()
        headers[.contentType] = contentType
        headers[.cacheControl] = "no-store"
        return Response(status: status, headers: headers, body: .init(byteBuffer: ByteBuffer(bytes: body)))
    }
}

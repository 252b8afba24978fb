import Foundation
import HTTPTypes
import Hummingbird

/// The outermost layer: gives every request its `X-Request-Id`, turns every error into the
/// Gen C envelope, adds the headers the inner layers asked for (`X-RateLimit-*`, `Retry-After`,
/// `X-Idempotency-Key`, `Idempotent-Replayed`) and records every submission for introspection.
struct ResponseMiddleware: RouterMiddleware {
    typealias Context = SandboxRequestContext

    let store: SandboxStore

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        let receivedAt = store.clock.now()
        let requestID = Identifier.request(at: receivedAt)
        let traceparent = request.headers[.traceparent]
        context.trace.update {
            $0.requestID = requestID
            $0.traceparent = traceparent
        }
        let path = request.uri.path
        let isSubmission = request.method == .post && Self.isSubmissionPath(path)
        var response: Response
        var errorCode: String?
        do {
            response = try await next(request, context)
        } catch let error as SandboxAPIError {
            errorCode = error.code
            response = Self.render(error, requestID: requestID)
        } catch is ConnectionDropped {
            if isSubmission { record(path: path, receivedAt: receivedAt, status: nil, error: nil, trace: context.trace.snapshot) }
            throw ConnectionDropped()
        } catch let error as HTTPError {
            let apiError: SandboxAPIError =
                switch error.status.code {
                case 404: .notFound("The route \(request.method.rawValue) \(path)")
                default:
                    SandboxAPIError(
                        status: error.status.code,
                        code: "bad_request",
                        message: error.body ?? "The request is invalid.",
                        action: "fix_request"
                    )
                }
            errorCode = apiError.code
            response = Self.render(apiError, requestID: requestID)
        } catch {
            store.logger.error("Request failed", metadata: ["http.path": "\(path)", "error": "\(error)"])
            let apiError = SandboxAPIError.serverError(status: 500)
            errorCode = apiError.code
            response = Self.render(apiError, requestID: requestID)
        }
        let trace = context.trace.snapshot
        response.headers[.requestID] = requestID
        if let decision = trace.rateLimit {
            response.headers[.rateLimitLimit] = String(decision.limit)
            response.headers[.rateLimitRemaining] = String(decision.remaining)
            response.headers[.rateLimitReset] = String(decision.resetSeconds)
        }
        if let key = trace.idempotencyKey {
            response.headers[.idempotencyKeyEcho] = key
        }
        if trace.replayed {
            response.headers[.idempotentReplayed] = "true"
        }
        if isSubmission {
            record(path: path, receivedAt: receivedAt, status: response.status.code, error: errorCode, trace: trace)
        }
        return response
    }

    /// `POST /v1/faxes` and `POST /v1/faxes/{id}/resend`.
    static func isSubmissionPath(_ path: String) -> Bool {
        if path == "/v1/faxes" { return true }
        let pieces = path.split(separator: "/")
        return pieces.count == 4 && pieces[0] == "v1" && pieces[1] == "faxes" && pieces[3] == "resend"
    }

    /// The envelope `{error, message, action, docs, request_id, context}` (`context` only when set).
    static func render(_ error: SandboxAPIError, requestID: String) -> Response {
        var members: [String: JSONValue] = [
            "error": .string(error.code), "message": .string(error.message), "action": .string(error.action),
            "docs": .string(error.docs), "request_id": .string(requestID),
        ]
        if let context = error.context { members["context"] = context }
        let bytes = (try? JSONBody.encode(JSONValue.object(members))) ?? Array("{}".utf8)
        var response = Response.json(status: error.status, bytes: bytes)
        if let retryAfter = error.retryAfterSeconds {
            response.headers[.retryAfter] = String(retryAfter)
        }
        return response
    }

    private func record(path: String, receivedAt: Date, status: Int?, error: String?, trace: RequestTrace.Values) {
        store.recordSubmission(
            SubmissionRecord(
                environment: trace.environment?.name,
                keySuffix: trace.environment?.keySuffix ?? trace.tokenSuffix,
                path: path,
                idempotencyKey: trace.idempotencyKey,
                tags: trace.tags,
                bodyHash: trace.bodyHash,
                receivedAt: receivedAt,
                status: status,
                outcome: status == nil ? "dropped" : "answered",
                error: error,
                faxID: trace.faxID,
                replayed: trace.replayed,
                traceparent: trace.traceparent
            )
        )
    }
}

import Foundation

/// An error answer in the mintfax Gen C envelope (API.md §7):
/// `{error, message, action, docs, request_id, context}`.
///
/// Handlers and middleware throw it; ``ResponseMiddleware`` turns it into the response, adding
/// the request id. Codes and actions the docs leave open are the sandbox's choices, listed in
/// `docs/sandbox.md`.
struct SandboxAPIError: Error, Sendable {
    /// The HTTP status.
    let status: Int
    /// The stable machine code, e.g. `validation_failed`.
    let code: String
    /// Human text.
    let message: String
    /// The programmatic next step, e.g. `fix_request`.
    let action: String
    /// Extra detail, or `nil`.
    let context: JSONValue?
    /// `Retry-After` in whole seconds, for 429 answers.
    let retryAfterSeconds: Int?

    init(status: Int, code: String, message: String, action: String, context: JSONValue? = nil, retryAfterSeconds: Int? = nil) {
        self.status = status
        self.code = code
        self.message = message
        self.action = action
        self.context = context
        self.retryAfterSeconds = retryAfterSeconds
    }

    /// `https://mintfax.com/docs/errors/<code with hyphens>`.
    var docs: String { "https://mintfax.com/docs/errors/" + code.replacingOccurrences(of: "_", with: "-") }

    /// 422 `validation_failed` with the per-field messages in `context.errors`.
    static func validation(_ errors: FieldErrors) -> SandboxAPIError {
        let context: JSONValue = .object(["errors": errors.jsonValue])
        return SandboxAPIError(status: 422, code: "validation_failed", message: errors.summary, action: "fix_request", context: context)
    }

    /// 401 `unauthenticated`: the bearer token is missing or not a known key.
    static let unauthenticated = SandboxAPIError(
        status: 401,
        code: "unauthenticated",
        message: "Missing or invalid API key. Send Authorization: Bearer <key>.",
        action: "check_api_key"
    )

    /// 402 `insufficient_balance` with `context.available` and `context.required` (cents).
    static func insufficientBalance(available: Int, required: Int) -> SandboxAPIError {
        SandboxAPIError(
            status: 402,
            code: "insufficient_balance",
            message: "Insufficient balance for this operation.",
            action: "top_up_balance",
            context: .object(["available": .int(available), "required": .int(required)])
        )
    }

    /// 409 `idempotency_key_reuse`: the key was used for a different request.
    static let idempotencyKeyReuse = SandboxAPIError(
        status: 409,
        code: "idempotency_key_reuse",
        message: "This Idempotency-Key was already used with a different request.",
        action: "use_new_idempotency_key"
    )

    /// 409 `idempotency_key_in_progress`: the first request with the key is still running.
    static let idempotencyKeyInProgress = SandboxAPIError(
        status: 409,
        code: "idempotency_key_in_progress",
        message: "A request with this Idempotency-Key is still being processed.",
        action: "wait_and_retry"
    )

    /// 429 `rate_limit_exceeded` with `Retry-After`.
    static func rateLimitExceeded(retryAfterSeconds: Int) -> SandboxAPIError {
        SandboxAPIError(
            status: 429,
            code: "rate_limit_exceeded",
            message: "Too many requests. Retry after \(retryAfterSeconds) seconds.",
            action: "wait_and_retry",
            retryAfterSeconds: retryAfterSeconds
        )
    }

    /// 404 `not_found` for an unknown resource, route, or method on a route.
    static func notFound(_ what: String) -> SandboxAPIError {
        SandboxAPIError(status: 404, code: "not_found", message: "\(what) was not found.", action: "fix_request")
    }

    /// 410 `gone`: the resource's content was deleted (zero-footprint retention).
    static func gone(_ what: String) -> SandboxAPIError {
        SandboxAPIError(
            status: 410,
            code: "gone",
            message: "\(what) no longer has its content (zero-footprint retention).",
            action: "fix_request"
        )
    }

    /// 500 `internal_error` or 503 `service_unavailable` (any other 5xx: `server_error`).
    static func serverError(status: Int) -> SandboxAPIError {
        let code = status == 500 ? "internal_error" : status == 503 ? "service_unavailable" : "server_error"
        return SandboxAPIError(
            status: status,
            code: code,
            message: "The server could not handle the request. Retry with the same Idempotency-Key.",
            action: "retry_with_backoff"
        )
    }
}

import HTTPTypes

extension HTTPField.Name {
    /// `X-Request-Id`: `req_` + a ULID, on every response.
    static let requestID = HTTPField.Name("X-Request-Id")!
    /// `X-RateLimit-Limit`: requests allowed per minute.
    static let rateLimitLimit = HTTPField.Name("X-RateLimit-Limit")!
    /// `X-RateLimit-Remaining`: requests left in the current window.
    static let rateLimitRemaining = HTTPField.Name("X-RateLimit-Remaining")!
    /// `X-RateLimit-Reset`: seconds until the window frees a slot.
    static let rateLimitReset = HTTPField.Name("X-RateLimit-Reset")!
    /// `Idempotency-Key`, on requests.
    static let idempotencyKey = HTTPField.Name("Idempotency-Key")!
    /// `X-Idempotency-Key`: the request's key, echoed.
    static let idempotencyKeyEcho = HTTPField.Name("X-Idempotency-Key")!
    /// `Idempotent-Replayed: true` on replays (the name mintfax uses is not documented).
    static let idempotentReplayed = HTTPField.Name("Idempotent-Replayed")!
    /// `traceparent` (W3C Trace Context), recorded for `GET /_sandbox/submissions`.
    static let traceparent = HTTPField.Name("traceparent")!
}

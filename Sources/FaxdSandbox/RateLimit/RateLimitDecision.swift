/// The answer of a rate limiter for one request, with the values of its response headers.
struct RateLimitDecision: Sendable, Equatable {
    /// Whether the request may proceed.
    var allowed: Bool
    /// `X-RateLimit-Limit`: requests allowed per window.
    var limit: Int
    /// `X-RateLimit-Remaining`: requests still allowed in the current window, after this one.
    var remaining: Int
    /// `X-RateLimit-Reset`: whole seconds until the window frees a slot (0 when it is empty).
    var resetSeconds: Int
    /// `Retry-After` for a rejected request, in whole seconds (at least 1); `nil` when allowed.
    var retryAfterSeconds: Int?
}

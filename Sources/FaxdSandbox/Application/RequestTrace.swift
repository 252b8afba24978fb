import Synchronization

/// What the layers of one request learn about it, shared by reference through the request
/// context (which is copied between middleware): the outermost ``ResponseMiddleware`` turns it
/// into response headers and, for submissions, an introspection record.
final class RequestTrace: Sendable {
    /// The values gathered so far.
    struct Values: Sendable {
        /// `X-Request-Id`.
        var requestID = ""
        /// The rate-limit decision, for `X-RateLimit-*` (absent outside `/v1`).
        var rateLimit: RateLimitDecision?
        /// The environment of the bearer token, when known.
        var environment: EnvironmentHandle?
        /// The last four characters of the bearer token presented.
        var tokenSuffix: String?
        /// The `Idempotency-Key` sent, echoed as `X-Idempotency-Key`.
        var idempotencyKey: String?
        /// Whether the answer is an idempotent replay (`Idempotent-Replayed: true`).
        var replayed = false
        /// Tags of a submission, once its body was read.
        var tags: [String: String]?
        /// The canonical request hash of a submission, once its body was read.
        var bodyHash: String?
        /// The fax created or replayed.
        var faxID: String?
        /// The W3C `traceparent` sent, if any.
        var traceparent: String?
    }

    private let values = Mutex(Values())

    init() {}

    /// A copy of the values.
    var snapshot: Values {
        values.withLock { $0 }
    }

    /// Changes the values.
    func update(_ body: (inout Values) -> Void) {
        values.withLock { body(&$0) }
    }
}

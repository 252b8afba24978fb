/// A mintfax answer as it came: status, the headers faxd acts on, and the body.
///
/// Classifying it (submitted, retry, rejected, park) is the domain core's job.
public struct MintfaxResponse: Sendable {
    public var status: Int
    public var body: [UInt8]
    /// `Retry-After`, whole seconds (429).
    public var retryAfterSeconds: Int?
    /// `X-RateLimit-Remaining`.
    public var rateLimitRemaining: Int?
    /// `X-RateLimit-Reset`: seconds until the window frees a slot (not an epoch).
    public var rateLimitResetSeconds: Int?
    /// `X-Request-Id`, for support tickets.
    public var requestID: String?
    /// True when mintfax answered from its idempotency store (`Idempotent-Replayed: true`).
    public var replayed: Bool

    public init(
        status: Int,
        body: [UInt8],
        retryAfterSeconds: Int? = nil,
        rateLimitRemaining: Int? = nil,
        rateLimitResetSeconds: Int? = nil,
        requestID: String? = nil,
        replayed: Bool = false
    ) {
        self.status = status
        self.body = body
        self.retryAfterSeconds = retryAfterSeconds
        self.rateLimitRemaining = rateLimitRemaining
        self.rateLimitResetSeconds = rateLimitResetSeconds
        self.requestID = requestID
        self.replayed = replayed
    }
}

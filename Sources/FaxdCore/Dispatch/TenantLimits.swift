/// How hard faxd may push one tenant's mintfax key (DESIGN §6 step 2, §7).
public struct TenantLimits: Sendable, Hashable {
    /// Jobs of the tenant in flight at once. Default 8.
    public var maxInFlight: Int
    /// Submissions per minute, refilled continuously (mintfax limits each key per minute). Default 60.
    public var ratePerMinute: Double
    /// Submissions that may start back to back after a quiet spell (the token bucket's size). Default 10.
    public var burst: Int

    /// - Precondition: `maxInFlight` ≥ 1, `ratePerMinute` > 0, `burst` ≥ 1.
    public init(maxInFlight: Int = 8, ratePerMinute: Double = 60, burst: Int = 10) {
        precondition(maxInFlight >= 1, "maxInFlight must be at least 1")
        precondition(ratePerMinute > 0, "ratePerMinute must be positive")
        precondition(burst >= 1, "burst must be at least 1")
        self.maxInFlight = maxInFlight
        self.ratePerMinute = ratePerMinute
        self.burst = burst
    }
}

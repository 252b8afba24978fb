/// One tenant's jobs in a `TenantScheduler` and what holds its queued ones back, for an operator's view.
public struct TenantActivity: Sendable, Equatable {
    public var queued: Int
    public var inFlight: Int
    /// Jobs are queued and the tenant's budget may not start one now: no token yet, or mintfax's
    /// feedback (`Retry-After`, `X-RateLimit-Remaining: 0`) blocks it. Not while its circuit is open.
    public var throttled: Bool
    /// Its key's circuit is open.
    public var circuitOpen: Bool

    public init(queued: Int, inFlight: Int, throttled: Bool, circuitOpen: Bool) {
        self.queued = queued
        self.inFlight = inFlight
        self.throttled = throttled
        self.circuitOpen = circuitOpen
    }
}

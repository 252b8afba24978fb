/// The limits `TenantScheduler` enforces.
public struct TenantSchedulerConfiguration: Sendable, Hashable {
    /// Jobs in flight at once across all tenants. Default 64.
    public var maxInFlight: Int
    /// The limits of a tenant without an entry in `tenantLimits`. Default `TenantLimits()`: 8 in flight,
    /// 60 per minute, bursts of 10.
    public var defaultLimits: TenantLimits
    /// Limits per tenant id, from `tenants.yaml` (`max_in_flight`, `rate_limit_per_minute`).
    public var tenantLimits: [String: TenantLimits]

    /// - Precondition: `maxInFlight` ≥ 1.
    public init(
        maxInFlight: Int = 64,
        defaultLimits: TenantLimits = TenantLimits(),
        tenantLimits: [String: TenantLimits] = [:]
    ) {
        precondition(maxInFlight >= 1, "maxInFlight must be at least 1")
        self.maxInFlight = maxInFlight
        self.defaultLimits = defaultLimits
        self.tenantLimits = tenantLimits
    }

    /// The limits that apply to `tenant`.
    public func limits(for tenant: String) -> TenantLimits {
        tenantLimits[tenant] ?? defaultLimits
    }
}

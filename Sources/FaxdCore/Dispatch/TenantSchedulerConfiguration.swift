/// The limits `TenantScheduler` enforces.
public struct TenantSchedulerConfiguration: Sendable, Hashable {
    /// Jobs in flight at once across all tenants. Default 64.
    public var maxInFlight: Int
    /// The limits of a tenant without an entry in `tenantLimits`. Default `TenantLimits()`: 8 in flight,
    /// 60 per minute, bursts of 10.
    public var defaultLimits: TenantLimits
    /// Limits per tenant id, from `tenants.yaml` (`max_in_flight`, `rate_limit_per_minute`).
    public var tenantLimits: [String: TenantLimits]
    /// The mintfax key each tenant sends with, by the key's fingerprint: tenants of one key share its
    /// budget (`keyBudgets`), its mintfax feedback and its circuit. A tenant without an entry is a key
    /// of its own, budgeted by its `TenantLimits`.
    public var tenantKeys: [String: String]
    /// This worker's share of each key's rate, by fingerprint (see `KeyBudget.share`).
    public var keyBudgets: [String: KeyBudget]

    /// - Precondition: `maxInFlight` ≥ 1.
    public init(
        maxInFlight: Int = 64,
        defaultLimits: TenantLimits = TenantLimits(),
        tenantLimits: [String: TenantLimits] = [:],
        tenantKeys: [String: String] = [:],
        keyBudgets: [String: KeyBudget] = [:]
    ) {
        precondition(maxInFlight >= 1, "maxInFlight must be at least 1")
        self.maxInFlight = maxInFlight
        self.defaultLimits = defaultLimits
        self.tenantLimits = tenantLimits
        self.tenantKeys = tenantKeys
        self.keyBudgets = keyBudgets
    }

    /// The limits that apply to `tenant`.
    public func limits(for tenant: String) -> TenantLimits {
        tenantLimits[tenant] ?? defaultLimits
    }

    /// The budget `tenant`'s starts draw on: its key's fingerprint, or the tenant's own id.
    public func budget(of tenant: String) -> String {
        tenantKeys[tenant] ?? tenant
    }
}

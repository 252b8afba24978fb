public import Foundation

/// What a `UsageLedger` has counted so far: per tenant and environment, the faxes held, captured and
/// released and the latest balance, plus what happened to the records read.
///
/// Encodes as one JSON object with snake_case keys (encode it with `.sortedKeys` for a stable order):
/// `since` (RFC 3339 or null), `tenants` (sorted by tenant id, then environment), `totals` and
/// `records`. Every count is a number, never null; `balance` is null where none was seen.
public struct UsageReport: Sendable, Hashable, Encodable {
    /// The numbers of one tenant and environment, or their sum over all of them.
    public struct Counts: Sendable, Hashable, Encodable {
        /// `usage.hold` events counted: faxes that got a hold.
        public var held = 0
        /// Faxes with a hold and neither a capture nor a release.
        public var openHolds = 0
        /// `usage.capture` events counted: faxes charged.
        public var captured = 0
        /// Pages of the captures (a capture without pages adds none).
        public var pagesCaptured = 0
        /// `usage.release` events counted: faxes not charged.
        public var released = 0
        /// Pages of the releases that carry them (a release may not know its pages).
        public var pagesReleased = 0

        public init() {}

        public static func + (lhs: Counts, rhs: Counts) -> Counts {
            var sum = lhs
            sum.held += rhs.held
            sum.openHolds += rhs.openHolds
            sum.captured += rhs.captured
            sum.pagesCaptured += rhs.pagesCaptured
            sum.released += rhs.released
            sum.pagesReleased += rhs.pagesReleased
            return sum
        }

        enum CodingKeys: String, CodingKey {
            case held
            case openHolds = "open_holds"
            case captured
            case pagesCaptured = "pages_captured"
            case released
            case pagesReleased = "pages_released"
        }
    }

    /// A `usage.balance`: the tenant's mintfax balance when it crossed its threshold.
    public struct Balance: Sendable, Hashable, Encodable {
        /// Available balance, in cents.
        public var available: Int
        /// Amount held for faxes in progress, in cents.
        public var held: Int
        /// When the balance was observed (the event's `occurred_at`).
        public var occurredAt: Date

        public init(available: Int, held: Int, occurredAt: Date) {
            self.available = available
            self.held = held
            self.occurredAt = occurredAt
        }

        enum CodingKeys: String, CodingKey {
            case available, held
            case occurredAt = "occurred_at"
        }

        public func encode(to encoder: any Encoder) throws {
            var container = encoder.container(keyedBy: CodingKeys.self)
            try container.encode(available, forKey: .available)
            try container.encode(held, forKey: .held)
            try container.encode(RFC3339Timestamp.format(wholeSeconds: occurredAt), forKey: .occurredAt)
        }
    }

    /// One tenant in one mintfax environment.
    public struct Tenant: Sendable, Hashable, Encodable {
        public var tenantID: String
        public var environment: UsageEvent.Environment
        public var counts: Counts
        /// The latest `usage.balance` by `occurred_at`; nil when none was counted.
        public var balance: Balance?

        public init(tenantID: String, environment: UsageEvent.Environment, counts: Counts, balance: Balance?) {
            self.tenantID = tenantID
            self.environment = environment
            self.counts = counts
            self.balance = balance
        }

        enum CodingKeys: String, CodingKey {
            case tenantID = "tenant_id"
            case environment, balance
        }

        /// The counts sit next to `tenant_id` and `environment`, not in an object of their own.
        public func encode(to encoder: any Encoder) throws {
            var container = encoder.container(keyedBy: CodingKeys.self)
            try container.encode(tenantID, forKey: .tenantID)
            try container.encode(environment, forKey: .environment)
            try container.encode(balance, forKey: .balance)
            try counts.encode(to: encoder)
        }
    }

    /// What happened to the records read; `read` is the sum of the others.
    public struct Records: Sendable, Hashable, Encodable {
        /// Records given to the ledger.
        public var read = 0
        /// Usage events counted in the report.
        public var counted = 0
        /// Events whose `event_id` was already seen, dropped.
        public var duplicatesDropped = 0
        /// Events that occurred before `since`, left out.
        public var beforeSince = 0
        /// Usage events of a `type` this version does not know (DESIGN allows new ones), left out.
        public var unknownType = 0
        /// Records that are not a usage event v1 (not JSON, a field missing or of the wrong type, a
        /// hold, capture or release without `fax_id`, a balance without amounts), left out.
        public var skipped = 0

        public init() {}

        enum CodingKeys: String, CodingKey {
            case read, counted
            case duplicatesDropped = "duplicates_dropped"
            case beforeSince = "before_since"
            case unknownType = "unknown_type"
            case skipped
        }
    }

    /// Events before this instant were left out; nil counts everything.
    public var since: Date?
    /// Sorted by tenant id, then environment.
    public var tenants: [Tenant]
    public var records: Records

    public init(since: Date?, tenants: [Tenant], records: Records) {
        self.since = since
        self.tenants = tenants
        self.records = records
    }

    /// The sum of every tenant's counts.
    public var totals: Counts {
        tenants.reduce(Counts()) { $0 + $1.counts }
    }

    enum CodingKeys: String, CodingKey {
        case since, tenants, totals, records
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(since.map { RFC3339Timestamp.format(wholeSeconds: $0) }, forKey: .since)
        try container.encode(tenants, forKey: .tenants)
        try container.encode(totals, forKey: .totals)
        try container.encode(records, forKey: .records)
    }
}

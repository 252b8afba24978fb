public import Foundation

/// A usage event v1, the value of a `fax.usage` record (DESIGN §5), for billing.
///
/// Encodes `event_id`, `type`, `tenant_id`, `job_id`, `fax_id`, `pages`, `environment` and
/// `occurred_at` always (`null` when unknown: `usage.balance` has no job or fax), and `available` and
/// `held` (cents) only on `usage.balance`. Amounts per page are computed downstream. Build events with
/// `EventFactory`, which derives `event_id` deterministically.
public struct UsageEvent: Sendable, Hashable, Codable {
    /// The event `type`; new kinds may be added.
    public struct Kind: RawRepresentable, Sendable, Hashable, Codable, CustomStringConvertible {
        public let rawValue: String

        public init(rawValue: String) {
            self.rawValue = rawValue
        }

        /// mintfax placed a hold for the fax (with `fax.submitted`).
        public static let hold = Kind(rawValue: "usage.hold")
        /// The hold was captured for the pages actually sent (with `fax.delivered`).
        public static let capture = Kind(rawValue: "usage.capture")
        /// The hold was released (with `fax.failed`).
        public static let release = Kind(rawValue: "usage.release")
        /// A tenant's balance crossed its configured threshold.
        public static let balance = Kind(rawValue: "usage.balance")

        public var description: String { rawValue }
    }

    /// The mintfax environment billed (`environment`); new values may be added.
    public struct Environment: RawRepresentable, Sendable, Hashable, Codable, CustomStringConvertible {
        public let rawValue: String

        public init(rawValue: String) {
            self.rawValue = rawValue
        }

        /// `mfx_test_` keys.
        public static let sandbox = Environment(rawValue: "sandbox")
        /// `mfx_live_` keys.
        public static let live = Environment(rawValue: "live")

        public var description: String { rawValue }
    }

    /// See `EventFactory` for how it is derived.
    public var eventID: UUIDv5
    public var type: Kind
    public var tenantID: String
    /// Nil only on `usage.balance`.
    public var jobID: String?
    /// Nil only on `usage.balance`.
    public var faxID: String?
    /// Pages held, captured or released, when known.
    public var pages: Int?
    public var environment: Environment
    /// When it happened, in whole seconds (any fraction is dropped on construction).
    public var occurredAt: Date
    /// `usage.balance` only: the available balance, in cents.
    public var available: Int?
    /// `usage.balance` only: the amount held for faxes in progress, in cents.
    public var held: Int?

    public init(
        eventID: UUIDv5,
        type: Kind,
        tenantID: String,
        jobID: String?,
        faxID: String?,
        pages: Int?,
        environment: Environment,
        occurredAt: Date,
        available: Int? = nil,
        held: Int? = nil
    ) {
        self.eventID = eventID
        self.type = type
        self.tenantID = tenantID
        self.jobID = jobID
        self.faxID = faxID
        self.pages = pages
        self.environment = environment
        self.occurredAt = occurredAt.wholeSeconds
        self.available = available
        self.held = held
    }

    /// The record value: JSON with sorted keys, identical bytes for identical events.
    public func jsonBytes() -> [UInt8] {
        var json = JSONWriter()
        json.beginObject()
        if let available { json.field("available", available) }
        json.field("environment", environment.rawValue)
        json.field("event_id", eventID)
        json.field("fax_id", faxID)
        if let held { json.field("held", held) }
        json.field("job_id", jobID)
        json.field("occurred_at", wholeSeconds: occurredAt)
        json.field("pages", pages)
        json.field("tenant_id", tenantID)
        json.field("type", type.rawValue)
        json.endObject()
        return json.bytes
    }

    private enum CodingKeys: String, CodingKey {
        case eventID = "event_id"
        case type
        case tenantID = "tenant_id"
        case jobID = "job_id"
        case faxID = "fax_id"
        case pages, environment
        case occurredAt = "occurred_at"
        case available, held
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        self.init(
            eventID: try container.decode(UUIDv5.self, forKey: .eventID),
            type: try container.decode(Kind.self, forKey: .type),
            tenantID: try container.decode(String.self, forKey: .tenantID),
            jobID: try container.decodeIfPresent(String.self, forKey: .jobID),
            faxID: try container.decodeIfPresent(String.self, forKey: .faxID),
            pages: try container.decodeIfPresent(Int.self, forKey: .pages),
            environment: try container.decode(Environment.self, forKey: .environment),
            occurredAt: try container.decodeTimestamp(forKey: .occurredAt),
            available: try container.decodeIfPresent(Int.self, forKey: .available),
            held: try container.decodeIfPresent(Int.self, forKey: .held)
        )
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(eventID, forKey: .eventID)
        try container.encode(type, forKey: .type)
        try container.encode(tenantID, forKey: .tenantID)
        try container.encode(jobID, forKey: .jobID)
        try container.encode(faxID, forKey: .faxID)
        try container.encode(pages, forKey: .pages)
        try container.encode(environment, forKey: .environment)
        try container.encode(RFC3339Timestamp.format(wholeSeconds: occurredAt), forKey: .occurredAt)
        try container.encodeIfPresent(available, forKey: .available)
        try container.encodeIfPresent(held, forKey: .held)
    }
}

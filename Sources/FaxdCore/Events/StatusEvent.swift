public import Foundation

/// A status event v1, the value of a `fax.status` record (DESIGN §5).
///
/// Encodes as:
/// ```json
/// {"attempt":1,"error":null,"event_id":"…","fax_id":"fax_…","idempotency_key":"…","job_id":"inv-1",
///  "occurred_at":"2026-11-27T10:30:05Z","pages":null,"source":"worker","tenant_id":"acme",
///  "type":"fax.submitted"}
/// ```
/// Every documented field is always present (`null` when unknown); `next_attempt_at` is present only on
/// `fax.retrying`. Build events with `EventFactory`, which derives `event_id` deterministically.
public struct StatusEvent: Sendable, Hashable, Codable {
    /// The event `type`; new kinds may be added.
    public struct Kind: RawRepresentable, Sendable, Hashable, Codable, CustomStringConvertible {
        public let rawValue: String

        public init(rawValue: String) {
            self.rawValue = rawValue
        }

        /// mintfax accepted the fax: a 201, or an idempotent replay of it.
        public static let submitted = Kind(rawValue: "fax.submitted")
        /// A transient failure; `error` says which, `next_attempt_at` when faxd tries again.
        public static let retrying = Kind(rawValue: "fax.retrying")
        /// A permanent failure: an invalid job, a 4xx such as 422 or 409 `idempotency_key_reuse`.
        public static let rejected = Kind(rawValue: "fax.rejected")
        /// Parked on the dead-letter topic: credentials, balance, or the retry budget spent.
        public static let deadLettered = Kind(rawValue: "fax.dead_lettered")
        /// The job's deadline passed before it was submitted.
        public static let expired = Kind(rawValue: "fax.expired")
        /// A record repeated a job that mintfax already has (a re-send or a redrive); not sent again.
        /// `fax_id` is the job's fax, `error.code` is `already_submitted`.
        public static let duplicate = Kind(rawValue: "fax.duplicate")
        /// mintfax queued the fax (its lifecycle, from a webhook or the reconciler).
        public static let queued = Kind(rawValue: "fax.queued")
        /// mintfax is dialling; one per delivery attempt.
        public static let sending = Kind(rawValue: "fax.sending")
        /// The fax was delivered; `pages` were sent.
        public static let delivered = Kind(rawValue: "fax.delivered")
        /// Every delivery attempt failed; `error` has mintfax's failure code.
        public static let failed = Kind(rawValue: "fax.failed")

        public var description: String { rawValue }
    }

    /// Who observed the event (`source`); new sources may be added.
    public struct Source: RawRepresentable, Sendable, Hashable, Codable, CustomStringConvertible {
        public let rawValue: String

        public init(rawValue: String) {
            self.rawValue = rawValue
        }

        /// A worker, from a submission.
        public static let worker = Source(rawValue: "worker")
        /// The webhook ingress, from a mintfax webhook.
        public static let webhook = Source(rawValue: "webhook")
        /// The reconciler, from polling mintfax.
        public static let reconciler = Source(rawValue: "reconciler")

        public var description: String { rawValue }
    }

    /// `UUIDv5(namespace, idempotency_key + ":" + type + ":" + discriminator)`; see `EventFactory`.
    public var eventID: UUIDv5
    public var type: Kind
    public var tenantID: String
    public var jobID: String
    public var idempotencyKey: UUIDv5
    /// mintfax's fax id; nil before mintfax created the fax.
    public var faxID: String?
    /// When it happened, in whole seconds (any fraction is dropped on construction).
    public var occurredAt: Date
    /// The submission attempt (worker events) or mintfax's delivery attempt (`fax.sending`), from 1.
    public var attempt: Int?
    /// Pages sent, when known.
    public var pages: Int?
    public var error: ErrorInfo?
    /// When faxd submits again, in whole seconds; only on `fax.retrying`.
    public var nextAttemptAt: Date?
    public var source: Source

    public init(
        eventID: UUIDv5,
        type: Kind,
        tenantID: String,
        jobID: String,
        idempotencyKey: UUIDv5,
        faxID: String?,
        occurredAt: Date,
        attempt: Int?,
        pages: Int?,
        error: ErrorInfo?,
        nextAttemptAt: Date?,
        source: Source
    ) {
        self.eventID = eventID
        self.type = type
        self.tenantID = tenantID
        self.jobID = jobID
        self.idempotencyKey = idempotencyKey
        self.faxID = faxID
        self.occurredAt = occurredAt.wholeSeconds
        self.attempt = attempt
        self.pages = pages
        self.error = error
        self.nextAttemptAt = nextAttemptAt?.wholeSeconds
        self.source = source
    }

    /// The record value: JSON with sorted keys, identical bytes for identical events.
    public func jsonBytes() -> [UInt8] {
        var json = JSONWriter()
        json.beginObject()
        json.field("attempt", attempt)
        json.key("error")
        if let error { error.write(to: &json) } else { json.null() }
        json.field("event_id", eventID)
        json.field("fax_id", faxID)
        json.field("idempotency_key", idempotencyKey)
        json.field("job_id", jobID)
        if let nextAttemptAt { json.field("next_attempt_at", wholeSeconds: nextAttemptAt) }
        json.field("occurred_at", wholeSeconds: occurredAt)
        json.field("pages", pages)
        json.field("source", source.rawValue)
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
        case idempotencyKey = "idempotency_key"
        case faxID = "fax_id"
        case occurredAt = "occurred_at"
        case attempt, pages, error
        case nextAttemptAt = "next_attempt_at"
        case source
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        self.init(
            eventID: try container.decode(UUIDv5.self, forKey: .eventID),
            type: try container.decode(Kind.self, forKey: .type),
            tenantID: try container.decode(String.self, forKey: .tenantID),
            jobID: try container.decode(String.self, forKey: .jobID),
            idempotencyKey: try container.decode(UUIDv5.self, forKey: .idempotencyKey),
            faxID: try container.decodeIfPresent(String.self, forKey: .faxID),
            occurredAt: try container.decodeTimestamp(forKey: .occurredAt),
            attempt: try container.decodeIfPresent(Int.self, forKey: .attempt),
            pages: try container.decodeIfPresent(Int.self, forKey: .pages),
            error: try container.decodeIfPresent(ErrorInfo.self, forKey: .error),
            nextAttemptAt: try container.decodeTimestampIfPresent(forKey: .nextAttemptAt),
            source: try container.decode(Source.self, forKey: .source)
        )
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(eventID, forKey: .eventID)
        try container.encode(type, forKey: .type)
        try container.encode(tenantID, forKey: .tenantID)
        try container.encode(jobID, forKey: .jobID)
        try container.encode(idempotencyKey, forKey: .idempotencyKey)
        try container.encode(faxID, forKey: .faxID)
        try container.encode(RFC3339Timestamp.format(wholeSeconds: occurredAt), forKey: .occurredAt)
        try container.encode(attempt, forKey: .attempt)
        try container.encode(pages, forKey: .pages)
        try container.encode(error, forKey: .error)
        if let nextAttemptAt {
            try container.encode(RFC3339Timestamp.format(wholeSeconds: nextAttemptAt), forKey: .nextAttemptAt)
        }
        try container.encode(source, forKey: .source)
    }
}

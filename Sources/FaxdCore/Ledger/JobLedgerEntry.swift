public import Foundation

/// What faxd knows of one job's submission: the value of its `fax.ledger` record (key
/// `tenant_id/job_id`, see `JobLedgerEntry.recordKey`), written by the worker that ran it before the
/// job's offset may be committed.
///
/// Encodes as JSON with sorted keys and times in whole Unix seconds:
/// ```json
/// {"attempt":1,"fax_id":"fax_…","first_attempt_at":1795000000,"idempotency_key":"…","job_id":"inv-1",
///  "origin":{"offset":42,"partition":3},"pages":null,"state":"submitted","submitted_at":1795000001,
///  "tenant_id":"acme","v":1}
/// ```
public struct JobLedgerEntry: Sendable, Hashable, Codable {
    /// Where the job stands; new states may be added (an unknown one reads as `attempting`, the state
    /// that never lets a job be sent blind).
    public struct State: RawRepresentable, Sendable, Hashable, Codable, CustomStringConvertible {
        public let rawValue: String

        public init(rawValue: String) {
            self.rawValue = rawValue
        }

        /// A request for the job may have reached mintfax and its outcome is not known: written
        /// before the first request goes out, and kept when the job ended after an ambiguous answer
        /// (a timeout, a dropped connection, a 5xx, a 409 `idempotency_key_in_progress`).
        public static let attempting = State(rawValue: "attempting")
        /// mintfax created fax `fax_id` for the job, and faxd has not seen it finish.
        public static let submitted = State(rawValue: "submitted")
        /// Fax `fax_id` was delivered (`pages` sent) and its final events are on the result topics.
        public static let delivered = State(rawValue: "delivered")
        /// Fax `fax_id` failed and its final events are on the result topics.
        public static let failed = State(rawValue: "failed")

        /// Whether the job has fax `fax_id`: submitted, delivered or failed.
        public var hasFax: Bool { self == .submitted || self == .delivered || self == .failed }
        /// The job ended without a fax, and every request for it was answered with a refusal that
        /// creates none (4xx): a later record of the job may be sent.
        public static let notSent = State(rawValue: "not_sent")

        public var description: String { rawValue }
    }

    /// A record of the jobs topic.
    public struct Origin: Sendable, Hashable, Codable {
        public var partition: Int32
        public var offset: Int64

        public init(partition: Int32, offset: Int64) {
            self.partition = partition
            self.offset = offset
        }
    }

    public var tenantID: String
    public var jobID: String
    public var idempotencyKey: UUIDv5
    public var state: State
    /// mintfax's fax id, once known.
    public var faxID: String?
    /// When the first request that may have reached mintfax went out, in whole seconds: mintfax keeps
    /// the idempotency key for 24 hours from about then.
    public var firstAttemptAt: Date?
    /// When mintfax accepted the fax (`occurred_at` of `fax.submitted`), in whole seconds.
    public var submittedAt: Date?
    /// The submission attempt of `fax.submitted`.
    public var attempt: Int?
    /// Pages sent, once known.
    public var pages: Int?
    /// The jobs-topic record whose run wrote the entry first; a later record of the same job is a
    /// re-send (a producer, `faxd redrive`), the same record again is a replay.
    public var origin: Origin?

    public init(
        job: JobReference,
        idempotencyKey: UUIDv5,
        state: State,
        faxID: String? = nil,
        firstAttemptAt: Date? = nil,
        submittedAt: Date? = nil,
        attempt: Int? = nil,
        pages: Int? = nil,
        origin: Origin? = nil
    ) {
        tenantID = job.tenantID
        jobID = job.jobID
        self.idempotencyKey = idempotencyKey
        self.state = state
        self.faxID = faxID
        self.firstAttemptAt = firstAttemptAt?.wholeSeconds
        self.submittedAt = submittedAt?.wholeSeconds
        self.attempt = attempt
        self.pages = pages
        self.origin = origin
    }

    public var job: JobReference { JobReference(tenantID: tenantID, jobID: jobID) }

    /// The record key of a job's entry: `tenant_id/job_id` in UTF-8. A tenant id has no `/`, so the
    /// first one separates the two.
    public static func recordKey(_ job: JobReference) -> String { job.tenantID + "/" + job.jobID }

    /// The record value.
    public func jsonBytes() -> [UInt8] {
        var json = JSONWriter(capacity: 256)
        json.beginObject()
        json.field("attempt", attempt)
        json.field("fax_id", faxID)
        json.field("first_attempt_at", firstAttemptAt.map { Int64($0.timeIntervalSince1970) })
        json.field("idempotency_key", idempotencyKey)
        json.field("job_id", jobID)
        json.key("origin")
        if let origin {
            json.beginObject()
            json.field("offset", origin.offset)
            json.field("partition", origin.partition)
            json.endObject()
        } else {
            json.null()
        }
        json.field("pages", pages)
        json.field("state", state.rawValue)
        json.field("submitted_at", submittedAt.map { Int64($0.timeIntervalSince1970) })
        json.field("tenant_id", tenantID)
        json.field("v", 1)
        json.endObject()
        return json.bytes
    }

    private enum CodingKeys: String, CodingKey {
        case version = "v"
        case tenantID = "tenant_id"
        case jobID = "job_id"
        case idempotencyKey = "idempotency_key"
        case state
        case faxID = "fax_id"
        case firstAttemptAt = "first_attempt_at"
        case submittedAt = "submitted_at"
        case attempt, pages, origin
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        guard try container.decode(Int.self, forKey: .version) == 1 else {
            throw DecodingError.dataCorruptedError(forKey: .version, in: container, debugDescription: "Not a version 1 ledger entry.")
        }
        tenantID = try container.decode(String.self, forKey: .tenantID)
        jobID = try container.decode(String.self, forKey: .jobID)
        idempotencyKey = try container.decode(UUIDv5.self, forKey: .idempotencyKey)
        state = try container.decode(State.self, forKey: .state)
        faxID = try container.decodeIfPresent(String.self, forKey: .faxID)
        firstAttemptAt = try container.decodeIfPresent(Int64.self, forKey: .firstAttemptAt).map {
            Date(timeIntervalSince1970: TimeInterval($0))
        }
        submittedAt = try container.decodeIfPresent(Int64.self, forKey: .submittedAt).map { Date(timeIntervalSince1970: TimeInterval($0)) }
        attempt = try container.decodeIfPresent(Int.self, forKey: .attempt)
        pages = try container.decodeIfPresent(Int.self, forKey: .pages)
        origin = try container.decodeIfPresent(Origin.self, forKey: .origin)
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(1, forKey: .version)
        try container.encode(tenantID, forKey: .tenantID)
        try container.encode(jobID, forKey: .jobID)
        try container.encode(idempotencyKey, forKey: .idempotencyKey)
        try container.encode(state, forKey: .state)
        try container.encode(faxID, forKey: .faxID)
        try container.encode(firstAttemptAt.map { Int64($0.timeIntervalSince1970) }, forKey: .firstAttemptAt)
        try container.encode(submittedAt.map { Int64($0.timeIntervalSince1970) }, forKey: .submittedAt)
        try container.encode(attempt, forKey: .attempt)
        try container.encode(pages, forKey: .pages)
        try container.encode(origin, forKey: .origin)
    }
}

public import Foundation

/// What faxd reads of a mintfax fax resource (API.md §2.2): the body of `GET /v1/faxes/{id}` and the
/// `data.object` of a `fax.*` webhook. Unknown fields are ignored; timestamps are RFC 3339.
public struct FaxSnapshot: Sendable, Hashable, Decodable {
    /// mintfax's fax status; unknown values are kept as they came.
    public struct Status: RawRepresentable, Sendable, Hashable, Decodable, CustomStringConvertible {
        public let rawValue: String
        public init(rawValue: String) { self.rawValue = rawValue }

        public static let queued = Status(rawValue: "queued")
        public static let submitted = Status(rawValue: "submitted")
        public static let inProgress = Status(rawValue: "in_progress")
        public static let delivered = Status(rawValue: "delivered")
        public static let failed = Status(rawValue: "failed")

        /// `delivered` and `failed` never change again.
        public var isTerminal: Bool { self == .delivered || self == .failed }
        public var description: String { rawValue }
    }

    /// One delivery attempt; `startedAt` is set once it began, `completedAt` once it ended.
    public struct Attempt: Sendable, Hashable, Decodable {
        public var number: Int
        public var startedAt: Date?
        public var completedAt: Date?
        public var errorCode: String?

        public init(number: Int, startedAt: Date?, completedAt: Date? = nil, errorCode: String? = nil) {
            self.number = number
            self.startedAt = startedAt
            self.completedAt = completedAt
            self.errorCode = errorCode
        }

        enum CodingKeys: String, CodingKey {
            case number = "attempt_number"
            case startedAt = "started_at"
            case completedAt = "completed_at"
            case errorCode = "error_code"
        }

        public init(from decoder: any Decoder) throws {
            let container = try decoder.container(keyedBy: CodingKeys.self)
            number = try container.decode(Int.self, forKey: .number)
            startedAt = try container.decodeTimestampIfPresent(forKey: .startedAt)
            completedAt = try container.decodeTimestampIfPresent(forKey: .completedAt)
            errorCode = try container.decodeIfPresent(String.self, forKey: .errorCode)
        }
    }

    /// `fax_…`.
    public var id: String
    public var status: Status
    /// Pages transmitted on delivery; nil until known.
    public var pages: Int?
    public var errorCode: String?
    public var errorMessage: String?
    /// Chronological; empty before the first attempt.
    public var attempts: [Attempt]
    /// The submission's tags; faxd's own are `faxd_tenant` and `faxd_job`.
    public var tags: [String: String]
    public var createdAt: Date
    /// When the fax became terminal.
    public var completedAt: Date?
    public var updatedAt: Date?

    public init(
        id: String,
        status: Status,
        pages: Int? = nil,
        errorCode: String? = nil,
        errorMessage: String? = nil,
        attempts: [Attempt] = [],
        tags: [String: String] = [:],
        createdAt: Date,
        completedAt: Date? = nil,
        updatedAt: Date? = nil
    ) {
        self.id = id
        self.status = status
        self.pages = pages
        self.errorCode = errorCode
        self.errorMessage = errorMessage
        self.attempts = attempts
        self.tags = tags
        self.createdAt = createdAt
        self.completedAt = completedAt
        self.updatedAt = updatedAt
    }

    /// The job this fax was sent for, from the `faxd_tenant` and `faxd_job` tags faxd puts on every
    /// submission; nil for a fax faxd did not send.
    public var jobReference: JobReference? {
        guard let tenant = tags[Job.tenantTagKey], let job = tags[Job.jobTagKey], !tenant.isEmpty, !job.isEmpty else { return nil }
        return JobReference(tenantID: tenant, jobID: job)
    }

    enum CodingKeys: String, CodingKey {
        case id, status, pages, attempts, tags
        case errorCode = "error_code"
        case errorMessage = "error_message"
        case createdAt = "created_at"
        case completedAt = "completed_at"
        case updatedAt = "updated_at"
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        id = try container.decode(String.self, forKey: .id)
        status = try container.decode(Status.self, forKey: .status)
        pages = try container.decodeIfPresent(Int.self, forKey: .pages)
        errorCode = try container.decodeIfPresent(String.self, forKey: .errorCode)
        errorMessage = try container.decodeIfPresent(String.self, forKey: .errorMessage)
        attempts = try container.decodeIfPresent([Attempt].self, forKey: .attempts) ?? []
        tags = try container.decodeIfPresent([String: String].self, forKey: .tags) ?? [:]
        createdAt = try container.decodeTimestamp(forKey: .createdAt)
        completedAt = try container.decodeTimestampIfPresent(forKey: .completedAt)
        updatedAt = try container.decodeTimestampIfPresent(forKey: .updatedAt)
    }
}

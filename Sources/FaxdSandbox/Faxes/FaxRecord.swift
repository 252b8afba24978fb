import Foundation

/// A fax as the sandbox stores it. Encodes as the `FaxResource` of API.md §2.2 (the shape of
/// `GET /v1/faxes/{id}` and of webhook `data.object`), with explicit `null`s.
struct FaxRecord: Sendable {
    let id: String
    /// Position in its environment's creation order, for listing and cursors.
    let sequence: Int
    let to: String
    let scenario: FaxScenario
    let document: FaxDocument
    let options: FaxOptions
    let idempotencyKey: String?
    /// The fax this one was resent from, if any.
    let resentFrom: String?
    /// The cents held at submission.
    let holdCents: Int
    let createdAt: Date

    var status: FaxStatus = .queued
    var pages: Int?
    var errorCode: String?
    var errorSubcode: String?
    var errorMessage: String?
    var attempts: [FaxAttempt] = []
    var submittedAt: Date?
    var completedAt: Date?
    var updatedAt: Date

    init(
        id: String,
        sequence: Int,
        to: String,
        document: FaxDocument,
        options: FaxOptions,
        idempotencyKey: String?,
        resentFrom: String?,
        holdCents: Int,
        createdAt: Date
    ) {
        self.id = id
        self.sequence = sequence
        self.to = to
        self.scenario = FaxScenario(recipient: to)
        self.document = document
        self.options = options
        self.idempotencyKey = idempotencyKey
        self.resentFrom = resentFrom
        self.holdCents = holdCents
        self.createdAt = createdAt
        self.updatedAt = createdAt
    }
}

extension FaxRecord: Encodable {
    enum CodingKeys: String, CodingKey {
        case id, status, to, pages, attempts, tags, csid, resolution
        case errorCode = "error_code"
        case errorSubcode = "error_subcode"
        case errorMessage = "error_message"
        case maxAttempts = "max_attempts"
        case webhookURL = "webhook_url"
        case idempotencyKey = "idempotency_key"
        case pageSize = "page_size"
        case optimizeFor = "optimize_for"
        case submittedAt = "submitted_at"
        case completedAt = "completed_at"
        case createdAt = "created_at"
        case updatedAt = "updated_at"
    }

    func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(id, forKey: .id)
        try container.encode(status, forKey: .status)
        try container.encode(to, forKey: .to)
        try container.encode(pages, forKey: .pages)
        try container.encode(errorCode, forKey: .errorCode)
        try container.encode(errorSubcode, forKey: .errorSubcode)
        try container.encode(errorMessage, forKey: .errorMessage)
        try container.encode(options.maxAttempts, forKey: .maxAttempts)
        try container.encode(attempts, forKey: .attempts)
        try container.encode(options.webhookURL, forKey: .webhookURL)
        try container.encode(idempotencyKey, forKey: .idempotencyKey)
        try container.encode(options.tags, forKey: .tags)
        try container.encode(options.csid, forKey: .csid)
        try container.encode(options.pageSize, forKey: .pageSize)
        try container.encode(options.resolution, forKey: .resolution)
        try container.encode(options.optimizeFor, forKey: .optimizeFor)
        try container.encode(submittedAt.map(Timestamp.format), forKey: .submittedAt)
        try container.encode(completedAt.map(Timestamp.format), forKey: .completedAt)
        try container.encode(Timestamp.format(createdAt), forKey: .createdAt)
        try container.encode(Timestamp.format(updatedAt), forKey: .updatedAt)
    }
}

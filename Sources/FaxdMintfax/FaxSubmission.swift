/// What faxd sends as `POST /v1/faxes` (multipart/form-data, API.md §2.1).
public struct FaxSubmission: Sendable {
    /// The recipient, E.164.
    public var to: String
    /// The document's bytes; kept in memory only.
    public var document: [UInt8]
    public var filename: String
    public var contentType: String
    public var webhookURL: String?
    public var maxAttempts: Int?
    public var csid: String?
    public var pageSize: String?
    public var resolution: String?
    public var optimizeFor: String?
    /// Sent as `tag[KEY]=VALUE` parts; faxd's own `faxd_tenant`/`faxd_job` are among them.
    public var tags: [String: String]

    public init(
        to: String,
        document: [UInt8],
        filename: String,
        contentType: String,
        webhookURL: String? = nil,
        maxAttempts: Int? = nil,
        csid: String? = nil,
        pageSize: String? = nil,
        resolution: String? = nil,
        optimizeFor: String? = nil,
        tags: [String: String] = [:]
    ) {
        self.to = to
        self.document = document
        self.filename = filename
        self.contentType = contentType
        self.webhookURL = webhookURL
        self.maxAttempts = maxAttempts
        self.csid = csid
        self.pageSize = pageSize
        self.resolution = resolution
        self.optimizeFor = optimizeFor
        self.tags = tags
    }
}

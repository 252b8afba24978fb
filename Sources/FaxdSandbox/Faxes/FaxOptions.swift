/// The caller's choices for a fax, validated: everything of a submission except the recipient
/// and the file.
struct FaxOptions: Sendable, Equatable {
    /// Total attempts, 1–5 (default 3).
    var maxAttempts: Int = 3
    var webhookURL: String?
    var csid: String?
    var pageSize: String?
    var resolution: String?
    var optimizeFor: String?
    /// Caller metadata echoed back and filterable with `tag[KEY]=VALUE`.
    var tags: [String: String] = [:]
}

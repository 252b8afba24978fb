import Foundation

/// The `201` answer of a submission or resend (API.md §2.1):
/// `{id, status, to, tags, created_at}` plus `resent_from` on resends.
struct FaxSubmissionResource: Sendable, Encodable {
    let fax: FaxRecord

    enum CodingKeys: String, CodingKey {
        case id, status, to, tags
        case createdAt = "created_at"
        case resentFrom = "resent_from"
    }

    func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(fax.id, forKey: .id)
        try container.encode(fax.status, forKey: .status)
        try container.encode(fax.to, forKey: .to)
        try container.encode(fax.options.tags, forKey: .tags)
        try container.encode(Timestamp.format(fax.createdAt), forKey: .createdAt)
        try container.encodeIfPresent(fax.resentFrom, forKey: .resentFrom)
    }
}

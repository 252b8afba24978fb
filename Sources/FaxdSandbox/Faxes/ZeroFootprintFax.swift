import Foundation

/// What a zero-footprint environment keeps of a finished fax (API.md §10.2): its id, status and
/// timestamps, encoded as the `FaxResource` fields they are.
struct ZeroFootprintFax: Encodable {
    let id: String
    let status: FaxStatus
    let submittedAt: String?
    let completedAt: String?
    let createdAt: String
    let updatedAt: String

    init(_ fax: FaxRecord) {
        id = fax.id
        status = fax.status
        submittedAt = fax.submittedAt.map(Timestamp.format)
        completedAt = fax.completedAt.map(Timestamp.format)
        createdAt = Timestamp.format(fax.createdAt)
        updatedAt = Timestamp.format(fax.updatedAt)
    }

    enum CodingKeys: String, CodingKey {
        case id, status
        case submittedAt = "submitted_at"
        case completedAt = "completed_at"
        case createdAt = "created_at"
        case updatedAt = "updated_at"
    }
}

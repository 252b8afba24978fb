import Foundation

/// A Gen C webhook envelope: `{id: "evt_…", type, created (Unix seconds), data: {object: <FaxResource>}}`.
struct WebhookEvent: Sendable, Encodable {
    let id: String
    let type: WebhookEventType
    let created: Date
    /// The fax as it was when the event happened.
    let object: FaxRecord

    enum CodingKeys: String, CodingKey {
        case id, type, created, data
    }

    private enum DataKeys: String, CodingKey {
        case object
    }

    func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(id, forKey: .id)
        try container.encode(type.rawValue, forKey: .type)
        try container.encode(Int(created.timeIntervalSince1970), forKey: .created)
        var data = container.nestedContainer(keyedBy: DataKeys.self, forKey: .data)
        try data.encode(object, forKey: .object)
    }
}

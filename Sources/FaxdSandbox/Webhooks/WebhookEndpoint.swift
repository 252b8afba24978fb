import FaxdMintfax
import Foundation

/// A registered webhook endpoint of one environment. Encodes as the `data` object of the
/// `POST /v1/webhooks` answer (the secret is never part of it).
struct WebhookEndpoint: Sendable, Encodable {
    let id: String
    let url: String
    let secret: WebhookSecret
    /// Subscribed event types, or `nil` for all.
    let events: [String]?
    let description: String?
    let createdAt: Date

    /// Whether the endpoint receives events of `type`.
    func isSubscribed(to type: WebhookEventType) -> Bool {
        events?.contains(type.rawValue) ?? true
    }

    enum CodingKeys: String, CodingKey {
        case id, url, events, description
        case isActive = "is_active"
        case createdAt = "created_at"
        case updatedAt = "updated_at"
    }

    func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(id, forKey: .id)
        try container.encode(url, forKey: .url)
        try container.encode(true, forKey: .isActive)
        try container.encode(Timestamp.format(createdAt), forKey: .createdAt)
        try container.encode(Timestamp.format(createdAt), forKey: .updatedAt)
        try container.encode(events, forKey: .events)
        try container.encode(description, forKey: .description)
    }
}

import Foundation

/// One webhook delivery attempt, for `GET /_sandbox/webhook-deliveries` (the fields API.md §2.9
/// says mintfax records per attempt).
struct WebhookDeliveryRecord: Sendable, Encodable {
    var eventID: String
    var eventType: String
    var faxID: String
    var environment: String
    /// The registered endpoint's id, or `nil` for a fax's own `webhook_url`.
    var endpointID: String?
    var url: String
    /// 1 for the first attempt.
    var attempt: Int
    /// The `webhook-timestamp` sent.
    var webhookTimestamp: Int
    var sentAt: Date
    /// The receiver's status, or `nil` on a transport error or timeout.
    var responseStatus: Int?
    /// The transport error, if any.
    var error: String?
    /// `succeeded` (2xx) or `failed`.
    var outcome: String
    var durationMilliseconds: Int

    enum CodingKeys: String, CodingKey {
        case url, attempt, environment, error, outcome
        case eventID = "event_id"
        case eventType = "event_type"
        case faxID = "fax_id"
        case endpointID = "endpoint_id"
        case webhookTimestamp = "webhook_timestamp"
        case sentAt = "sent_at"
        case responseStatus = "response_status"
        case durationMilliseconds = "duration_ms"
    }

    func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(eventID, forKey: .eventID)
        try container.encode(eventType, forKey: .eventType)
        try container.encode(faxID, forKey: .faxID)
        try container.encode(environment, forKey: .environment)
        try container.encode(endpointID, forKey: .endpointID)
        try container.encode(url, forKey: .url)
        try container.encode(attempt, forKey: .attempt)
        try container.encode(webhookTimestamp, forKey: .webhookTimestamp)
        try container.encode(sentAt.formatted(Date.ISO8601FormatStyle(includingFractionalSeconds: true)), forKey: .sentAt)
        try container.encode(responseStatus, forKey: .responseStatus)
        try container.encode(error, forKey: .error)
        try container.encode(outcome, forKey: .outcome)
        try container.encode(durationMilliseconds, forKey: .durationMilliseconds)
    }
}

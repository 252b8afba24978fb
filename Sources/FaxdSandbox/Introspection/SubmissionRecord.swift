import Foundation

/// One `POST /v1/faxes` (or resend) as received, for `GET /_sandbox/submissions`.
struct SubmissionRecord: Sendable, Encodable {
    /// The environment's name, when the key was known.
    var environment: String?
    /// The last four characters of the bearer token presented, if any (never more of it).
    var keySuffix: String?
    var path: String
    var idempotencyKey: String?
    /// Tags as sent (`tag[KEY]` parts and the `tags` field), when the body was read.
    var tags: [String: String]?
    /// The canonical request hash (the idempotency fingerprint), when the body was read.
    var bodyHash: String?
    var receivedAt: Date
    /// The HTTP status answered, or `nil` when the connection was dropped.
    var status: Int?
    /// `answered` or `dropped`.
    var outcome: String
    /// The `error` code of an error answer.
    var error: String?
    /// The fax created or replayed, for 2xx answers.
    var faxID: String?
    /// Whether the answer was an idempotent replay.
    var replayed: Bool
    /// The W3C `traceparent` header sent, if any.
    var traceparent: String?

    enum CodingKeys: String, CodingKey {
        case environment, path, tags, status, outcome, error, replayed, traceparent
        case keySuffix = "key_last4"
        case idempotencyKey = "idempotency_key"
        case bodyHash = "body_hash"
        case receivedAt = "received_at"
        case faxID = "fax_id"
    }

    func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(environment, forKey: .environment)
        try container.encode(keySuffix, forKey: .keySuffix)
        try container.encode(path, forKey: .path)
        try container.encode(idempotencyKey, forKey: .idempotencyKey)
        try container.encode(tags, forKey: .tags)
        try container.encode(bodyHash, forKey: .bodyHash)
        try container.encode(receivedAt.formatted(Date.ISO8601FormatStyle(includingFractionalSeconds: true)), forKey: .receivedAt)
        try container.encode(status, forKey: .status)
        try container.encode(outcome, forKey: .outcome)
        try container.encode(error, forKey: .error)
        try container.encode(faxID, forKey: .faxID)
        try container.encode(replayed, forKey: .replayed)
        try container.encode(traceparent, forKey: .traceparent)
    }
}

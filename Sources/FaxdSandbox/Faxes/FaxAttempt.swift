import Foundation

/// One delivery attempt in a fax's `attempts[]`.
struct FaxAttempt: Sendable, Encodable {
    /// 1 for the first attempt.
    var attemptNumber: Int
    var startedAt: Date
    /// `nil` while the attempt runs.
    var completedAt: Date?
    var errorCode: String?
    var errorSubcode: String?
    var errorMessage: String?

    /// Milliseconds between start and completion; `nil` while running.
    var durationMilliseconds: Int? {
        completedAt.map { Int(($0.timeIntervalSince(startedAt) * 1000).rounded()) }
    }

    enum CodingKeys: String, CodingKey {
        case attemptNumber = "attempt_number"
        case startedAt = "started_at"
        case completedAt = "completed_at"
        case durationMilliseconds = "duration_ms"
        case errorCode = "error_code"
        case errorSubcode = "error_subcode"
        case errorMessage = "error_message"
    }

    func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(attemptNumber, forKey: .attemptNumber)
        try container.encode(Timestamp.format(startedAt), forKey: .startedAt)
        try container.encode(completedAt.map(Timestamp.format), forKey: .completedAt)
        try container.encode(durationMilliseconds, forKey: .durationMilliseconds)
        try container.encode(errorCode, forKey: .errorCode)
        try container.encode(errorSubcode, forKey: .errorSubcode)
        try container.encode(errorMessage, forKey: .errorMessage)
    }
}

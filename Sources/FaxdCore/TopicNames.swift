/// The topics faxd reads and writes (DESIGN §2); every name is configurable.
public struct TopicNames: Sendable, Hashable, Codable {
    /// Jobs from producers (key: tenant id, value: job v1).
    public var jobs = "fax.jobs"
    /// Status events (key: tenant id).
    public var status = "fax.status"
    /// Usage events for billing (key: tenant id).
    public var usage = "fax.usage"
    /// Jobs that could not be sent, bytes unchanged, with reason headers.
    public var deadLetters = "fax.jobs.dlq"

    public init() {}

    public var all: [String] { [jobs, status, usage, deadLetters] }

    enum CodingKeys: String, CodingKey {
        case jobs, status, usage
        case deadLetters = "dead_letters"
    }
}

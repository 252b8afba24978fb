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
    /// faxd's job ledger: one compacted record per job (key `tenant_id/job_id`), on the partition
    /// of the job's record in `jobs` — same partition count (see `JobLedgerEntry`).
    public var ledger = "fax.ledger"

    public init() {}

    public var all: [String] { [jobs, status, usage, deadLetters, ledger] }

    enum CodingKeys: String, CodingKey {
        case jobs, status, usage, ledger
        case deadLetters = "dead_letters"
    }
}

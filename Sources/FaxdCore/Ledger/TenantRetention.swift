/// How long mintfax keeps a tenant's fax metadata (API.md §10.2), which decides what faxd can learn
/// from mintfax about a job after the fact.
public enum TenantRetention: String, Sendable, Hashable, Codable {
    /// Metadata kept for the account's retention period: a tag search finds the job's fax.
    case standard
    /// Metadata deleted right after the terminal state: a tag search finds nothing and
    /// `GET /v1/faxes/{id}` keeps only id, status and timestamps. Only faxd's ledger knows the job.
    case zeroFootprint = "zero_footprint"
}

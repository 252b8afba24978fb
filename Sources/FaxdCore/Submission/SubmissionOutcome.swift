/// What to do with a job after a submission attempt (DESIGN §6 step 4).
public enum SubmissionOutcome: Sendable, Hashable {
    /// mintfax owns the fax now: emit `fax.submitted`. `replayed` when mintfax answered from its
    /// idempotency record (a 200, or the replay flag) rather than creating the fax just now.
    case submitted(faxID: String, replayed: Bool)
    /// A transient failure: try again under the same key, not before `notBefore` (mintfax's
    /// `Retry-After`) when given, while the retry budget lasts; emit `fax.retrying`.
    case retry(ErrorInfo, notBefore: Duration?)
    /// The job can never succeed as it is: emit `fax.rejected` and dead-letter it.
    case rejected(ErrorInfo)
    /// The job is fine but the tenant's account is not (credentials, balance): dead-letter it and emit
    /// `fax.dead_lettered`; when `tenantCircuit` is true, stop submitting for the tenant for a while.
    case park(ErrorInfo, tenantCircuit: Bool)

    /// The error of a failed attempt; nil for `submitted`.
    public var error: ErrorInfo? {
        switch self {
        case .submitted: nil
        case .retry(let error, _), .rejected(let error), .park(let error, _): error
        }
    }
}

public import Foundation

/// Which dead letters `faxd redrive` puts back on the jobs topic (DESIGN §8): those of the given
/// tenants and error codes, written within a time window, and — unless `includeRejected` — not the
/// jobs that were rejected as they are, which would only be rejected again.
public struct DeadLetterSelection: Sendable, Hashable {
    /// Tenants (record keys) to re-drive; empty selects every tenant.
    public var tenants: Set<String>
    /// Error codes (the `faxd.error.code` header) to re-drive; empty selects every code.
    public var errorCodes: Set<String>
    /// Only dead letters written at or after this instant; nil for no lower bound.
    public var since: Date?
    /// Only dead letters written before this instant; nil for no upper bound.
    public var until: Date?
    /// Re-drive rejected jobs too (see `isRejection(_:)`). Default false.
    public var includeRejected: Bool

    public init(
        tenants: Set<String> = [],
        errorCodes: Set<String> = [],
        since: Date? = nil,
        until: Date? = nil,
        includeRejected: Bool = false
    ) {
        self.tenants = tenants
        self.errorCodes = errorCodes
        self.since = since
        self.until = until
        self.includeRejected = includeRejected
    }

    /// What to do with one dead letter.
    public enum Verdict: Sendable, Hashable {
        /// Re-publish it.
        case redrive
        /// It matches the filters but its job was rejected as it is, and rejected jobs are not selected.
        case skipRejected
        /// It does not match the tenant, error code or time filters.
        case notSelected
    }

    /// The verdict for a dead letter of `tenant` (its record key; nil when it has none) parked with
    /// `errorCode` (nil when the header is missing) at `writtenAt` (nil when the record has no time).
    ///
    /// A dead letter without a key never matches a tenant filter, one without a code never matches an
    /// error-code filter, and one without a time never matches a time window.
    public func verdict(tenant: String?, errorCode: String?, writtenAt: Date?) -> Verdict {
        if !tenants.isEmpty, !(tenant.map(tenants.contains) ?? false) { return .notSelected }
        if !errorCodes.isEmpty, !(errorCode.map(errorCodes.contains) ?? false) { return .notSelected }
        if since != nil || until != nil {
            guard let writtenAt else { return .notSelected }
            if let since, writtenAt < since { return .notSelected }
            if let until, writtenAt >= until { return .notSelected }
        }
        if !includeRejected, let errorCode, Self.isRejection(errorCode) { return .skipRejected }
        return .redrive
    }

    /// Whether a dead letter with this `faxd.error.code` holds a job that was rejected as it is
    /// (`fax.rejected`): malformed (`JobRejection`), a document that can never be fetched, or a
    /// permanent answer from mintfax (`SubmissionClassifier`: 422 `validation_failed`, 409
    /// `idempotency_key_reuse`, other 4xx). Sent again unchanged, it is rejected again.
    ///
    /// Everything else was parked with a job that may go through once the cause is fixed:
    /// `unknown_tenant`, credentials (401/403: `unauthenticated`, `account_not_activated`), balance
    /// (402 `insufficient_balance`) and `retry_budget_exhausted`.
    public static func isRejection(_ errorCode: String) -> Bool {
        if rejectionCodes.contains(errorCode) { return true }
        // mintfax answered a 4xx without a readable error body (`MintfaxErrorEnvelope`): rejected
        // unless the status is one the classifier parks (401–403) or retries (408, 409, 429), and a
        // retried job reaches the dead-letter topic as `retry_budget_exhausted`.
        guard errorCode.hasPrefix("http_"), let status = Int(errorCode.dropFirst("http_".count)) else { return false }
        return (400..<500).contains(status) && ![401, 402, 403, 408, 409, 429].contains(status)
    }

    /// The codes of jobs rejected as they are: the job parser's, the worker's document fetcher's, and
    /// mintfax's permanent ones.
    public static let rejectionCodes: Set<String> = [
        JobRejection.Code.notJSON.rawValue,
        JobRejection.Code.notAnObject.rawValue,
        JobRejection.Code.missingField.rawValue,
        JobRejection.Code.invalidField.rawValue,
        JobRejection.Code.tenantKeyMismatch.rawValue,
        JobRejection.Code.documentTooLarge.rawValue,
        JobRejection.Code.unsupportedDocumentType.rawValue,
        "document_url_scheme",
        "document_host_not_allowed",
        "document_type_unsupported",
        "document_fetch_failed",
        "validation_failed",
        "idempotency_key_reuse",
    ]
}

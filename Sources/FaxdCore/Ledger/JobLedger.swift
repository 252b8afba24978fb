public import Foundation

/// faxd's own record of every job's submission, for the partitions one worker owns: what the
/// `fax.ledger` topic says, restored when a partition is assigned and kept up to date by the runs
/// that write to it. No I/O; the worker feeds it.
///
/// It answers the one question that makes a fax exactly once at any age — may this job be sent? —
/// from faxd's own records, not from the record's timestamp or from mintfax's memory: `decide` says
/// what to do before any request, `afterLookup` what to do with mintfax's answer where the ledger
/// alone cannot say. Whenever neither can tell whether the job was sent, the answer is never "send".
public struct JobLedger: Sendable {
    /// What to do with a job before any request for it.
    public enum Decision: Sendable, Hashable {
        /// No request for the job can have created a fax: send it (after recording the attempt).
        case submit
        /// A request may have reached mintfax within the key window: send again under the same
        /// idempotency key, which makes mintfax answer with the fax it has, if any.
        case resubmit(JobLedgerEntry)
        /// A request may have reached mintfax, longer ago than mintfax keeps keys: ask mintfax for
        /// the job's fax (tag search) before anything else, and decide with `afterLookup`.
        case lookUp(JobLedgerEntry)
        /// mintfax created a fax for the job: never send again; re-emit what the entry proves.
        case alreadySubmitted(JobLedgerEntry)
    }

    /// What mintfax's tag search answered.
    public enum LookupAnswer: Sendable, Hashable {
        case found(faxID: String)
        case nothing
        /// No usable answer (429, 5xx, a timeout, an unreadable body).
        case failed(ErrorInfo)
    }

    /// What to do after a lookup.
    public enum LookupDecision: Sendable, Hashable {
        /// The job has fax `faxID`: record it, re-emit, never send.
        case adopt(faxID: String)
        /// mintfax keeps the tenant's metadata and has no fax for the job: it was never created.
        case submit
        /// Ask again later; never send meanwhile.
        case askAgain(ErrorInfo)
        /// Nothing can tell: the tenant's retention leaves no metadata to search, and the key may have
        /// expired. The job ends without a request; an operator decides.
        case unknowable
    }

    private var entries: [String: JobLedgerEntry] = [:]
    /// The record keys of jobs in state `submitted`: faxes not yet seen finished.
    private var unfinishedKeys: Set<String> = []
    /// Record keys by fax id.
    private var faxes: [String: String] = [:]

    public init() {}

    /// Jobs the ledger has an entry for.
    public var count: Int { entries.count }

    /// The entry of `job`, if any.
    public func entry(_ job: JobReference) -> JobLedgerEntry? { entries[JobLedgerEntry.recordKey(job)] }

    /// Takes a record read from (or written to) the ledger topic: the latest record of a key wins; a
    /// value that is not an entry (a tombstone, another version, bytes from elsewhere) removes it.
    public mutating func apply(key: [UInt8]?, value: [UInt8]) {
        guard let key, let text = String(validating: key, as: UTF8.self) else { return }
        set(text, JobLedgerEntry.parse(value).flatMap { JobLedgerEntry.recordKey($0.job) == text ? $0 : nil })
    }

    /// Records an entry this process wrote and Kafka acknowledged.
    public mutating func record(_ entry: JobLedgerEntry) {
        set(JobLedgerEntry.recordKey(entry.job), entry)
    }

    private mutating func set(_ key: String, _ entry: JobLedgerEntry?) {
        if let old = entries[key]?.faxID { faxes[old] = nil }
        entries[key] = entry
        if let faxID = entry?.faxID { faxes[faxID] = key }
        if entry?.state == .submitted && entry?.faxID != nil { unfinishedKeys.insert(key) } else { unfinishedKeys.remove(key) }
    }

    /// The entry of the job that has fax `faxID`, if any.
    public func entry(faxID: String) -> JobLedgerEntry? { faxes[faxID].flatMap { entries[$0] } }

    /// The jobs whose fax was submitted and not yet seen finished.
    public var unfinished: [JobLedgerEntry] { unfinishedKeys.compactMap { entries[$0] } }

    /// What to do with `job` at `now`. `keyWindow` is how long after a request mintfax surely still
    /// knows its idempotency key (a margin below its 24 hours).
    public func decide(_ job: JobReference, now: Date, keyWindow: TimeInterval) -> Decision {
        guard let entry = entry(job) else { return .submit }
        switch entry.state {
        case let state where state.hasFax && entry.faxID != nil:
            return .alreadySubmitted(entry)
        case .notSent:
            return .submit
        default:
            // `attempting`, a state this build does not know, or a submission without a fax id: a
            // request may have reached mintfax.
            guard let first = entry.firstAttemptAt, now.timeIntervalSince(first) < keyWindow else { return .lookUp(entry) }
            return .resubmit(entry)
        }
    }

    /// What to do with mintfax's answer to a lookup of a tenant with `retention`.
    public static func afterLookup(_ answer: LookupAnswer, retention: TenantRetention) -> LookupDecision {
        switch (answer, retention) {
        case (.found(let faxID), _): .adopt(faxID: faxID)
        case (.nothing, .standard): .submit
        case (.nothing, .zeroFootprint): .unknowable
        case (.failed(let error), _): .askAgain(error)
        }
    }
}

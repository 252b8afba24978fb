public import Foundation

/// faxd's own record of every job's submission, for the partitions one worker owns: what the
/// `fax.ledger` topic says, restored when a partition is assigned and kept up to date by the runs
/// that write to it. No I/O; the worker feeds it.
///
/// It answers the one question that makes a fax exactly once at any age — may this job be sent? —
/// from faxd's own records, not from the record's timestamp or from mintfax's memory: `decide` says
/// what to do before any request, `afterLookup` what to do with mintfax's answer where the ledger
/// alone cannot say. Whenever neither can tell whether the job was sent, the answer is never "send".
///
/// Sized for millions of jobs a worker: a job is a 64-bit hash of its record key (`tenant_id/job_id`)
/// with 40 bytes of state (a 32-bit check of a second hash, state, attempt, pages, times in whole
/// seconds, the origin record, and where its fax id sits in a shared byte arena), so a job costs
/// about 90 bytes with the dictionary's slack and its fax id. Entries are rebuilt from that with the
/// job reference the caller has; the whole entry is kept only while the fax is unfinished (the
/// reconciler needs the job of a fax id). Two jobs would have to agree on both hashes, 96 bits, to be
/// confused.
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

    /// One job in 40 bytes.
    private struct Compact {
        /// A second hash of the record key, to tell two keys with the same first hash apart.
        var check: UInt32
        var state: UInt8
        /// 0 for none.
        var attempt: UInt8
        /// `UInt16.max` for none.
        var pages: UInt16
        /// Whole seconds since the Unix epoch; 0 for none.
        var firstAttemptAt: UInt32
        var submittedAt: UInt32
        /// -1 for no origin.
        var originPartition: Int32
        var originOffset: Int64
        /// The fax id's bytes in `faxIDs`; length 0 for none.
        var faxIDStart: UInt32
        var faxIDLength: UInt8
    }

    private static let states: [JobLedgerEntry.State] = [.attempting, .submitted, .notSent, .delivered, .failed]

    private let namespace: UUIDv5
    private var jobs: [UInt64: Compact] = [:]
    /// Whole entries of the jobs whose fax was submitted and is not yet seen finished.
    private var unfinishedEntries: [UInt64: JobLedgerEntry] = [:]
    /// Every fax id's UTF-8 bytes, one after another; an id stays while its job keeps it.
    private var faxIDs: [UInt8] = []

    /// - Parameter namespace: the idempotency-key namespace, which rebuilds each entry's key.
    public init(namespace: UUIDv5 = IdempotencyKey.defaultNamespace) {
        self.namespace = namespace
    }

    /// Jobs the ledger has an entry for.
    public var count: Int { jobs.count }

    /// The entry of `job`, if any.
    public func entry(_ job: JobReference) -> JobLedgerEntry? {
        let key = JobLedgerEntry.recordKey(job)
        let hash = CompactKeys.hash(key)
        if let entry = unfinishedEntries[hash], entry.job == job { return entry }
        guard let compact = jobs[hash], compact.check == Self.check(key) else { return nil }
        return expand(compact, job: job)
    }

    /// The jobs whose fax was submitted and not yet seen finished.
    public var unfinished: [JobLedgerEntry] { Array(unfinishedEntries.values) }

    /// Takes a record read from (or written to) the ledger topic: the latest record of a key wins; a
    /// value that is not an entry (a tombstone, another version, bytes from elsewhere) removes it.
    public mutating func apply(key: [UInt8]?, value: [UInt8]) {
        guard let key, let text = String(validating: key, as: UTF8.self) else { return }
        let entry = JobLedgerEntry.parse(value).flatMap { JobLedgerEntry.recordKey($0.job) == text ? $0 : nil }
        set(text, entry)
    }

    /// Records an entry this process wrote and Kafka acknowledged.
    public mutating func record(_ entry: JobLedgerEntry) {
        set(JobLedgerEntry.recordKey(entry.job), entry)
    }

    private mutating func set(_ key: String, _ entry: JobLedgerEntry?) {
        let hash = CompactKeys.hash(key)
        guard let entry else {
            jobs[hash] = nil
            unfinishedEntries[hash] = nil
            return
        }
        if entry.state == .submitted, entry.faxID != nil { unfinishedEntries[hash] = entry } else { unfinishedEntries[hash] = nil }
        let old = jobs[hash]
        jobs[hash] = compact(entry, check: Self.check(key), reusing: old)
    }

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

    // MARK: Packing

    private mutating func compact(_ entry: JobLedgerEntry, check: UInt32, reusing old: Compact?) -> Compact {
        var start: UInt32 = 0
        var length: UInt8 = 0
        // mintfax's fax ids are about 26 bytes; one longer than 255 is not kept, and its job then
        // reads as one whose request may have reached mintfax (looked up, never sent blind).
        if let faxID = entry.faxID, faxID.utf8.count <= Int(UInt8.max) {
            let bytes = Array(faxID.utf8)
            if let old, old.faxIDLength == bytes.count, faxIDs[Int(old.faxIDStart)..<Int(old.faxIDStart) + bytes.count].elementsEqual(bytes)
            {
                start = old.faxIDStart
            } else {
                start = UInt32(faxIDs.count)
                faxIDs += bytes
            }
            length = UInt8(bytes.count)
        }
        return Compact(
            check: check,
            // A state this build does not know packs as `attempting`: a request may have gone out.
            state: UInt8(Self.states.firstIndex(of: entry.state) ?? 0),
            attempt: UInt8(clamping: entry.attempt ?? 0),
            pages: entry.pages.map { UInt16(clamping: $0) } ?? .max,
            firstAttemptAt: Self.seconds(entry.firstAttemptAt),
            submittedAt: Self.seconds(entry.submittedAt),
            originPartition: entry.origin?.partition ?? -1,
            originOffset: entry.origin?.offset ?? 0,
            faxIDStart: start,
            faxIDLength: length
        )
    }

    private func expand(_ compact: Compact, job: JobReference) -> JobLedgerEntry {
        let start = Int(compact.faxIDStart)
        let faxID = compact.faxIDLength == 0 ? nil : String(decoding: faxIDs[start..<start + Int(compact.faxIDLength)], as: UTF8.self)
        return JobLedgerEntry(
            job: job,
            idempotencyKey: job.idempotencyKey(namespace: namespace).uuid,
            state: Self.states[Int(compact.state)],
            faxID: faxID,
            firstAttemptAt: Self.date(compact.firstAttemptAt),
            submittedAt: Self.date(compact.submittedAt),
            attempt: compact.attempt == 0 ? nil : Int(compact.attempt),
            pages: compact.pages == .max ? nil : Int(compact.pages),
            origin: compact.originPartition < 0 ? nil : .init(partition: compact.originPartition, offset: compact.originOffset)
        )
    }

    private static func seconds(_ date: Date?) -> UInt32 {
        date.map(CompactKeys.seconds) ?? 0
    }

    private static func date(_ seconds: UInt32) -> Date? {
        seconds == 0 ? nil : Date(timeIntervalSince1970: TimeInterval(seconds))
    }

    /// A second, independent hash (djb2, 32 bits).
    private static func check(_ text: String) -> UInt32 {
        var hash: UInt32 = 5381
        for byte in text.utf8 { hash = (hash &<< 5) &+ hash &+ UInt32(byte) }
        return hash
    }
}

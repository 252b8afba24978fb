import Foundation

/// The `Idempotency-Key` records of one environment (API.md §3).
///
/// A key is first *claimed* (in progress), then either *completed* with a 2xx answer, kept for
/// ``retention``, or *abandoned* (any other outcome), which forgets it so that a corrected retry
/// proceeds. Requests are compared by a fingerprint computed by the caller.
struct IdempotencyStore: Sendable {
    /// How long a completed key is remembered: 24 hours.
    static let retention: TimeInterval = 24 * 60 * 60
    /// The longest key accepted, in characters.
    static let maximumKeyLength = 255

    /// What to do with a request carrying a key.
    enum Decision: Sendable, Equatable {
        /// The key is new (or expired): it is now claimed; run the request, then call
        /// ``complete(key:response:now:)`` or ``abandon(key:)``.
        case proceed
        /// The same request already succeeded: answer with this, create nothing.
        case replay(StoredResponse)
        /// The key was used for a different request: 409 `idempotency_key_reuse`.
        case reuse
        /// The same request is still running: 409 `idempotency_key_in_progress`.
        case inProgress
    }

    private enum Entry: Sendable {
        case inProgress(fingerprint: String)
        case completed(fingerprint: String, response: StoredResponse, at: Date)
    }

    private var entries: [String: Entry] = [:]
    /// The entry count after the last sweep of expired entries; the next sweep runs when the
    /// count has doubled, so sweeping costs O(1) per request on average.
    private var countAfterSweep = 0

    /// Decides on a request with `key` and `fingerprint` arriving at `now`, claiming the key
    /// when the answer is ``Decision/proceed``.
    mutating func begin(key: String, fingerprint: String, now: Date) -> Decision {
        sweepIfDue(now: now)
        switch entries[key] {
        case .inProgress(let existing):
            return existing == fingerprint ? .inProgress : .reuse
        case .completed(let existing, let response, let at) where now.timeIntervalSince(at) < Self.retention:
            return existing == fingerprint ? .replay(response) : .reuse
        case .completed, nil:
            entries[key] = .inProgress(fingerprint: fingerprint)
            return .proceed
        }
    }

    /// Stores the 2xx answer of a claimed key, to be replayed for ``retention`` from `now`.
    mutating func complete(key: String, response: StoredResponse, now: Date) {
        guard case .inProgress(let fingerprint) = entries[key] else { return }
        entries[key] = .completed(fingerprint: fingerprint, response: response, at: now)
    }

    /// Forgets a claimed key whose request did not succeed.
    mutating func abandon(key: String) {
        if case .inProgress = entries[key] {
            entries[key] = nil
        }
    }

    /// Forgets every completed key, as if ``retention`` had passed for each (test-only).
    mutating func expireCompleted() {
        entries = entries.filter { _, entry in
            if case .completed = entry { return false }
            return true
        }
        countAfterSweep = entries.count
    }

    private mutating func sweepIfDue(now: Date) {
        guard entries.count > max(1024, countAfterSweep * 2) else { return }
        entries = entries.filter { _, entry in
            if case .completed(_, _, let at) = entry { return now.timeIntervalSince(at) < Self.retention }
            return true
        }
        countAfterSweep = entries.count
    }
}

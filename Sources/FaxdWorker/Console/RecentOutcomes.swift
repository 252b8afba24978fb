import DequeModule
import Foundation
import Synchronization

/// Each tenant's job outcomes over the last ``window``, counted per second: the console's
/// throughput (faxes submitted in the last minute) and failures (rejected, dead-lettered, expired
/// or retried). Recorded by the dispatch; a tenant without outcomes in the window is forgotten.
final class RecentOutcomes: Sendable {
    /// How far back outcomes are kept.
    static let window: Int64 = 300

    /// One tenant's counts over the window.
    struct Counts: Sendable, Equatable {
        /// Faxes submitted in the last 60 s.
        var submittedLastMinute = 0
        /// Over the whole window.
        var submitted = 0
        var rejected = 0
        var deadLettered = 0
        var expired = 0
        var retried = 0

        /// Jobs that ended without a fax, and attempts that failed, over the window.
        var failing: Int { rejected + deadLettered + expired + retried }
    }

    /// What is counted: the `faxd_jobs_total` outcomes of a job of a known tenant.
    enum Outcome: String, Sendable {
        case submitted, rejected
        case deadLettered = "dead_lettered"
        case expired, retried
    }

    private struct Second: Sendable {
        var second: Int64
        var counts = Counts()
    }

    private let tenants = Mutex<[String: Deque<Second>]>([:])

    init() {}

    func record(_ outcome: Outcome, tenant: String, at now: Date = Date()) {
        let second = Int64(now.timeIntervalSince1970)
        // The tenant's seconds changed in place: one lookup, where taking them out and putting
        // them back hashed the tenant three times per job.
        tenants.withLock { Self.add(outcome, at: second, to: &$0[tenant, default: []]) }
    }

    private static func add(_ outcome: Outcome, at second: Int64, to seconds: inout Deque<Second>) {
        if seconds.last?.second != second { seconds.append(Second(second: second)) }
        seconds[seconds.count - 1].counts.add(outcome)
        while let first = seconds.first, first.second <= second - window { seconds.removeFirst() }
    }

    /// Every tenant with outcomes in the window ending at `now`.
    func counts(at now: Date = Date()) -> [String: Counts] {
        let second = Int64(now.timeIntervalSince1970)
        return tenants.withLock { tenants in
            tenants = tenants.compactMapValues { seconds in
                let kept = seconds.drop { $0.second <= second - Self.window }
                return kept.isEmpty ? nil : Deque(kept)
            }
            return tenants.mapValues { seconds in
                var total = Counts()
                for entry in seconds {
                    total.merge(entry.counts)
                    if entry.second > second - 60 { total.submittedLastMinute += entry.counts.submitted }
                }
                return total
            }
        }
    }
}

extension RecentOutcomes.Counts {
    fileprivate mutating func add(_ outcome: RecentOutcomes.Outcome) {
        switch outcome {
        case .submitted: submitted += 1
        case .rejected: rejected += 1
        case .deadLettered: deadLettered += 1
        case .expired: expired += 1
        case .retried: retried += 1
        }
    }

    fileprivate mutating func merge(_ other: RecentOutcomes.Counts) {
        submitted += other.submitted
        rejected += other.rejected
        deadLettered += other.deadLettered
        expired += other.expired
        retried += other.retried
    }
}

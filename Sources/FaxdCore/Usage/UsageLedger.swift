public import Foundation

/// Billing's view of `fax.usage` (DESIGN §5), fed one event at a time in any order: what an example
/// downstream consumer keeps per tenant and environment. A value without I/O; `report` reads it out.
///
/// The rules a consumer of usage events must follow, and that this one does:
///
/// - **Each `event_id` counts once.** Replays, re-drives and a second observer of the same fact
///   re-emit the same event with the same id (`EventFactory`); the first copy counts and every later
///   copy is dropped as a duplicate. Duplicates are dropped before `since` is applied, so
///   `Records.duplicatesDropped` is every extra copy read.
/// - **`since` filters events, not faxes.** An event whose `occurred_at` is before `since` is left
///   out. A fax whose hold is before `since` and its capture after it shows a capture and no hold.
/// - **Order does not matter.** A hold is open while no capture or release of the same `fax_id`
///   (within the tenant and environment) has been counted; a capture or release read before its hold
///   still closes it. The latest balance is the `usage.balance` with the latest `occurred_at`, not
///   the last one read; between two at the same second, the one with the greater `event_id` wins, so
///   the result does not depend on the order of arrival either.
///
/// A record that is not a usage event v1 is counted as skipped, never fatal (see
/// `UsageReport.Records.skipped`); an event of an unknown `type` is counted as such and left out.
///
/// Memory grows with the distinct event ids and faxes seen.
public struct UsageLedger: Sendable {
    /// What happened to one record.
    public enum Outcome: Sendable, Hashable {
        /// Counted in the report.
        case counted
        /// Its `event_id` was seen before: dropped.
        case duplicate
        /// It occurred before `since`: left out.
        case beforeSince
        /// A `type` this version does not know: left out.
        case unknownType
        /// Not a usage event v1: left out.
        case skipped
    }

    /// Events before this instant are left out; nil counts everything. Events carry whole seconds, so
    /// a fraction is rounded up (`10:00:00.5` leaves out an event at `10:00:00`).
    public let since: Date?

    private struct Account: Hashable, Comparable {
        var tenantID: String
        var environment: UsageEvent.Environment

        static func < (lhs: Account, rhs: Account) -> Bool {
            (lhs.tenantID, lhs.environment.rawValue) < (rhs.tenantID, rhs.environment.rawValue)
        }
    }

    /// Whether a fax had its hold counted, and whether a capture or release closed it.
    private struct Fax {
        var held = false
        var closed = false
    }

    private struct AccountState {
        /// Counts without `openHolds`, which `faxes` gives.
        var counts = UsageReport.Counts()
        var faxes: [String: Fax] = [:]
        var balance: UsageReport.Balance?
        var balanceEventID: String?
    }

    private var seenEventIDs: Set<UUIDv5> = []
    private var accounts: [Account: AccountState] = [:]
    private var records = UsageReport.Records()

    public init(since: Date? = nil) {
        self.since = since.map { Date(timeIntervalSince1970: $0.timeIntervalSince1970.rounded(.up)) }
    }

    /// Decodes a `fax.usage` record value (JSON) and adds the event; a value that does not decode as a
    /// usage event is counted as `.skipped`.
    @discardableResult
    public mutating func add(recordValue: [UInt8]) -> Outcome {
        guard let event = try? JSONDecoder().decode(UsageEvent.self, from: Data(recordValue)) else {
            return tally(.skipped)
        }
        return add(event)
    }

    /// Adds one event under the rules above.
    @discardableResult
    public mutating func add(_ event: UsageEvent) -> Outcome {
        switch event.type {
        case .hold, .capture, .release:
            guard event.faxID != nil else { return tally(.skipped) }
        case .balance:
            guard event.available != nil, event.held != nil else { return tally(.skipped) }
        default:
            break
        }
        guard seenEventIDs.insert(event.eventID).inserted else { return tally(.duplicate) }
        if let since, event.occurredAt < since { return tally(.beforeSince) }

        let account = Account(tenantID: event.tenantID, environment: event.environment)
        var state = accounts[account] ?? AccountState()
        switch (event.type, event.faxID, event.available, event.held) {
        case (.hold, let faxID?, _, _):
            state.counts.held += 1
            state.faxes[faxID, default: Fax()].held = true
        case (.capture, let faxID?, _, _):
            state.counts.captured += 1
            state.counts.pagesCaptured += event.pages ?? 0
            state.faxes[faxID, default: Fax()].closed = true
        case (.release, let faxID?, _, _):
            state.counts.released += 1
            state.counts.pagesReleased += event.pages ?? 0
            state.faxes[faxID, default: Fax()].closed = true
        case (.balance, _, let available?, let held?):
            let eventID = event.eventID.description
            if Self.isLater(event.occurredAt, eventID, than: state.balance?.occurredAt, state.balanceEventID) {
                state.balance = UsageReport.Balance(available: available, held: held, occurredAt: event.occurredAt)
                state.balanceEventID = eventID
            }
        default:
            return tally(.unknownType)
        }
        accounts[account] = state
        return tally(.counted)
    }

    /// The counts so far.
    public var report: UsageReport {
        let tenants = accounts.keys.sorted().map { account in
            let state = accounts[account]!
            var counts = state.counts
            counts.openHolds = state.faxes.values.count { $0.held && !$0.closed }
            return UsageReport.Tenant(
                tenantID: account.tenantID,
                environment: account.environment,
                counts: counts,
                balance: state.balance
            )
        }
        return UsageReport(since: since, tenants: tenants, records: records)
    }

    private mutating func tally(_ outcome: Outcome) -> Outcome {
        records.read += 1
        switch outcome {
        case .counted: records.counted += 1
        case .duplicate: records.duplicatesDropped += 1
        case .beforeSince: records.beforeSince += 1
        case .unknownType: records.unknownType += 1
        case .skipped: records.skipped += 1
        }
        return outcome
    }

    /// Whether a balance at `time` with `eventID` replaces the one kept (later time; the greater id at
    /// the same time).
    private static func isLater(_ time: Date, _ eventID: String, than keptTime: Date?, _ keptEventID: String?) -> Bool {
        guard let keptTime, let keptEventID else { return true }
        return (time, eventID) > (keptTime, keptEventID)
    }
}

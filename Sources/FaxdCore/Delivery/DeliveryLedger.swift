public import Foundation

/// What the result topics already say about each fax, built by reading `fax.status` and `fax.usage`
/// (and by recording what this process published): which event ids exist, which faxes were submitted
/// and are not yet delivered or failed, which webhook deliveries were acknowledged, and each tenant's
/// latest `usage.balance`. No I/O; the worker feeds it.
///
/// It lets the webhook ingress and the reconciler publish each fact once (drop ids already present),
/// and tells the reconciler which faxes are overdue. Because its state comes from Kafka, it survives
/// restarts and is shared by every worker reading the same topics.
///
/// Memory is bounded by forgetting: a fax `forgetAfter` past its final event (or, never submitted by a
/// worker we saw, past its last event) and webhook ids acknowledged `forgetAfter` ago are dropped by
/// `forget(now:)`. A redelivery after that republishes the same event ids, which consumers drop.
public struct DeliveryLedger: Sendable {
    /// One fax as the topics describe it.
    public struct Fax: Sendable, Hashable {
        public var job: JobReference
        public var faxID: String
        /// `occurred_at` of `fax.submitted`, once seen.
        public var submittedAt: Date?
        /// `occurred_at` of `fax.delivered` or `fax.failed`, once seen.
        public var finishedAt: Date?
        /// The latest `occurred_at` of any of its events.
        public var lastEventAt: Date
        /// When the reconciler last looked it up.
        public var lookedUpAt: Date?
        public var eventIDs: Set<UUIDv5> = []
    }

    /// A tenant's balance as its latest `usage.balance` event stated it.
    public struct Balance: Sendable, Hashable {
        public var available: Int
        public var held: Int
        public var occurredAt: Date

        public init(available: Int, held: Int, occurredAt: Date) {
            self.available = available
            self.held = held
            self.occurredAt = occurredAt
        }
    }

    /// How long finished faxes and acknowledged webhook ids are remembered.
    public var forgetAfter: TimeInterval
    private var faxes: [String: Fax] = [:]
    private var webhooks: [String: Date] = [:]
    private var balances: [String: Balance] = [:]

    public init(forgetAfter: TimeInterval) {
        self.forgetAfter = forgetAfter
    }

    /// Faxes remembered.
    public var faxCount: Int { faxes.count }

    /// The fax `id`, if remembered.
    public func fax(_ id: String) -> Fax? { faxes[id] }

    // MARK: Recording

    /// Records a status event from `fax.status` (or one this process published). Events without a
    /// fax id (rejected, expired, …) concern no delivery and are ignored.
    public mutating func record(_ event: StatusEvent) {
        guard let faxID = event.faxID else { return }
        update(faxID, job: JobReference(tenantID: event.tenantID, jobID: event.jobID), eventID: event.eventID, at: event.occurredAt) { fax in
            switch event.type {
            case .submitted: fax.submittedAt = min(fax.submittedAt ?? event.occurredAt, event.occurredAt)
            case .delivered, .failed: fax.finishedAt = event.occurredAt
            default: break
            }
        }
    }

    /// Records a usage event from `fax.usage` (or one this process published).
    public mutating func record(_ event: UsageEvent) {
        if event.type == .balance, let available = event.available, let held = event.held {
            if let known = balances[event.tenantID], known.occurredAt > event.occurredAt { return }
            balances[event.tenantID] = Balance(available: available, held: held, occurredAt: event.occurredAt)
            return
        }
        guard let faxID = event.faxID, let jobID = event.jobID else { return }
        update(faxID, job: JobReference(tenantID: event.tenantID, jobID: jobID), eventID: event.eventID, at: event.occurredAt) { _ in }
    }

    /// Records facts this process published (Kafka acknowledged them).
    public mutating func record(_ facts: DeliveryFacts) {
        facts.status.forEach { record($0) }
        facts.usage.forEach { record($0) }
    }

    private mutating func update(_ faxID: String, job: JobReference, eventID: UUIDv5, at date: Date, _ change: (inout Fax) -> Void) {
        var fax = faxes[faxID] ?? Fax(job: job, faxID: faxID, lastEventAt: date)
        fax.eventIDs.insert(eventID)
        fax.lastEventAt = max(fax.lastEventAt, date)
        change(&fax)
        faxes[faxID] = fax
    }

    /// Records that the webhook delivery `id` was acknowledged (answered 2xx) at `date`.
    public mutating func acknowledged(webhookID id: String, at date: Date) {
        webhooks[id] = date
    }

    /// Records that the reconciler looked fax `id` up at `date`.
    public mutating func lookedUp(_ id: String, at date: Date) {
        faxes[id]?.lookedUpAt = date
    }

    // MARK: Questions

    /// Whether the event `eventID` about fax `faxID` is already on the topics.
    public func contains(_ eventID: UUIDv5, faxID: String) -> Bool {
        faxes[faxID]?.eventIDs.contains(eventID) ?? false
    }

    /// `facts` without the events already on the topics.
    public func unpublished(_ facts: DeliveryFacts) -> DeliveryFacts {
        var known: Set<UUIDv5> = []
        for event in facts.status { if let id = event.faxID, contains(event.eventID, faxID: id) { known.insert(event.eventID) } }
        for event in facts.usage { if let id = event.faxID, contains(event.eventID, faxID: id) { known.insert(event.eventID) } }
        return facts.removing { known.contains($0) }
    }

    /// Whether the webhook delivery `id` was already acknowledged.
    public func wasAcknowledged(webhookID id: String) -> Bool {
        webhooks[id] != nil
    }

    /// The tenant's latest `usage.balance`.
    public func balance(tenant: String) -> Balance? {
        balances[tenant]
    }

    /// Faxes submitted at least `after` ago with no final event, not looked up in the last
    /// `lookupInterval`, whose tenant `isOwned`; oldest first.
    public func overdue(now: Date, after: TimeInterval, lookupInterval: TimeInterval, isOwned: (String) -> Bool) -> [Fax] {
        faxes.values
            .filter { fax in
                guard let submitted = fax.submittedAt, fax.finishedAt == nil, now.timeIntervalSince(submitted) >= after else { return false }
                if let looked = fax.lookedUpAt, now.timeIntervalSince(looked) < lookupInterval { return false }
                return isOwned(fax.job.tenantID)
            }
            .sorted { ($0.submittedAt!, $0.faxID) < ($1.submittedAt!, $1.faxID) }
    }

    // MARK: Forgetting

    /// Drops finished faxes, faxes never seen submitted, and acknowledged webhook ids whose last
    /// sign of life is more than `forgetAfter` before `now`. Submitted, unfinished faxes stay until
    /// they finish (the reconciler finds out).
    public mutating func forget(now: Date) {
        let horizon = now.addingTimeInterval(-forgetAfter)
        faxes = faxes.filter { _, fax in
            if let finished = fax.finishedAt { return finished >= horizon }
            return fax.submittedAt != nil || fax.lastEventAt >= horizon
        }
        webhooks = webhooks.filter { $0.value >= horizon }
    }
}

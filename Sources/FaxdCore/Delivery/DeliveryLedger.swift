public import Foundation

/// What the result topics say about each fax since this process started reading them (and what this
/// process published): which facts exist, which webhook deliveries were acknowledged, and each
/// tenant's latest `usage.balance`. No I/O; the worker feeds it.
///
/// It lets the webhook ingress and the reconciler publish each fact once (drop those already
/// present). Which faxes are unfinished is the job ledger's to know (`JobLedger`), not this one's.
///
/// It is sized for hours of traffic at thousands of faxes a second. A fax is a 64-bit hash of its
/// id: while it is unfinished, with 8 bytes of state (its facts as bits — event ids are
/// deterministic per fax and fact, see `EventFactory` — and the time of its last event in whole
/// seconds); once delivered or failed, with its facts alone, 12 bytes, in ``HashGenerations`` of
/// 49,152 faxes allocated at their final size — about 16 bytes a finished fax with the dictionary's
/// slack, 16 MB for a million. Two fax ids with the same 64-bit hash would share an entry: about one
/// chance in 10^7 among 10^6 faxes.
///
/// Memory is bounded by forgetting: finished faxes and acknowledged webhook ids go a generation at
/// a time once the whole generation is `forgetAfter` old (by the final event's `occurred_at`, by
/// the acknowledgement's time); an unfinished fax goes `forgetAfter` past its last event. A
/// redelivery after that republishes the same event ids, which consumers drop.
public struct DeliveryLedger: Sendable {
    /// A tenant's balance as its latest `usage.balance` event stated it (the same value the usage
    /// report keeps).
    public typealias Balance = UsageReport.Balance

    /// The facts of one fax that the webhook ingress and the reconciler publish (`DeliveryFacts`), one
    /// bit each (`fax.sending` one per attempt, 1…24). The worker's own `fax.submitted` and
    /// `usage.hold` are not among them: only the run that submitted publishes those, and nothing asks
    /// whether they exist.
    struct Facts: OptionSet, Hashable {
        let rawValue: UInt32
        init(rawValue: UInt32) { self.rawValue = rawValue }
        static let queued = Facts(rawValue: 1 << 0)
        static let delivered = Facts(rawValue: 1 << 1)
        static let failed = Facts(rawValue: 1 << 2)
        static let capture = Facts(rawValue: 1 << 3)
        static let release = Facts(rawValue: 1 << 4)
        static func sending(_ attempt: Int) -> Facts { Facts(rawValue: 1 << UInt32(4 + min(max(attempt, 1), 24))) }

        /// The fact a status event states; nil for the worker's events (submitted, retrying, …).
        init?(_ event: StatusEvent) { self.init(event.type, attempt: event.attempt) }

        /// The fact a usage event states; nil for `usage.hold`, `usage.balance` and unknown types.
        init?(_ event: UsageEvent) { self.init(event.type) }

        init?(_ type: StatusEvent.Kind, attempt: Int?) {
            switch type {
            case .queued: self = .queued
            case .delivered: self = .delivered
            case .failed: self = .failed
            case .sending: self = .sending(attempt ?? 1)
            default: return nil
            }
        }

        init?(_ type: UsageEvent.Kind) {
            switch type {
            case .capture: self = .capture
            case .release: self = .release
            default: return nil
            }
        }
    }

    /// Whether a record value from `fax.status` or `fax.usage` may state something this ledger
    /// records: false only for a value that certainly does not, told from its end without parsing
    /// it — a worker reads back every event it publishes, and most are its own `fax.submitted` and
    /// `usage.hold`. faxd writes events with sorted keys, so `type` is the last member; a value
    /// whose last member is a `type` the ledger ignores (and with no escapes, so every quote is a
    /// string's end) is skipped, and anything else is parsed as before.
    public static func mayRecord(_ value: [UInt8]) -> Bool {
        guard let type = FlatJSON.trailingString(value, key: "type") else { return true }
        let usage = UsageEvent.Kind(rawValue: type)
        return Facts(StatusEvent.Kind(rawValue: type), attempt: nil) != nil || Facts(usage) != nil || usage == .balance
    }

    /// One unfinished fax: 8 bytes.
    private struct Entry {
        var facts: Facts = []
        /// Whole seconds since the Unix epoch.
        var lastEventAt: UInt32 = 0
    }

    /// How long finished faxes and acknowledged webhook ids are remembered, at least.
    public var forgetAfter: TimeInterval
    /// Faxes not yet delivered or failed.
    private var entries: [UInt64: Entry] = [:]
    /// Delivered and failed faxes: their facts' raw value, by the time of the final event.
    private var finished: HashGenerations<UInt32>
    /// Acknowledged webhook ids, by the time of the acknowledgement.
    private var webhooks: HashGenerations<Void>
    private var balances: [String: Balance] = [:]

    public init(forgetAfter: TimeInterval) {
        self.init(forgetAfter: forgetAfter, generationCapacity: 49_152)
    }

    /// - Parameter generationCapacity: finished faxes (and webhook ids) per generation; small in tests.
    init(forgetAfter: TimeInterval, generationCapacity: Int) {
        self.forgetAfter = forgetAfter
        self.finished = HashGenerations(generationCapacity: generationCapacity)
        self.webhooks = HashGenerations(generationCapacity: generationCapacity)
    }

    /// Faxes remembered.
    public var faxCount: Int { entries.count + finished.count }

    // MARK: Recording

    /// Records a status event from `fax.status` (or one this process published). The worker's events
    /// (submitted, rejected, expired, …) are ignored.
    public mutating func record(_ event: StatusEvent) {
        guard let faxID = event.faxID, let fact = Facts(event) else { return }
        update(faxID, fact: fact, at: event.occurredAt)
    }

    /// Records a usage event from `fax.usage` (or one this process published).
    public mutating func record(_ event: UsageEvent) {
        if event.type == .balance, let available = event.available, let held = event.held {
            if let known = balances[event.tenantID], known.occurredAt > event.occurredAt { return }
            balances[event.tenantID] = Balance(available: available, held: held, occurredAt: event.occurredAt)
            return
        }
        guard let faxID = event.faxID, let fact = Facts(event) else { return }
        update(faxID, fact: fact, at: event.occurredAt)
    }

    /// Records facts this process published (Kafka acknowledged them).
    public mutating func record(_ facts: DeliveryFacts) {
        for event in facts.status { record(event) }
        for event in facts.usage { record(event) }
    }

    private mutating func update(_ faxID: String, fact: Facts, at date: Date) {
        let key = CompactKeys.hash(faxID)
        if finished.modify(key, { $0 |= fact.rawValue }) { return }
        let seconds = CompactKeys.seconds(date)
        var entry = entries[key] ?? Entry()
        entry.facts.insert(fact)
        entry.lastEventAt = max(entry.lastEventAt, seconds)
        if fact == .delivered || fact == .failed {
            entries[key] = nil
            finished.insert(key, entry.facts.rawValue, at: seconds)
            return
        }
        entries[key] = entry
    }

    /// Records that the webhook delivery `id` was acknowledged (answered 2xx) at `date`.
    public mutating func acknowledged(webhookID id: String, at date: Date) {
        let key = CompactKeys.hash(id)
        guard webhooks[key] == nil else { return }
        webhooks.insert(key, (), at: CompactKeys.seconds(date))
    }

    // MARK: Questions

    /// Whether the fact `event` states is already on the topics.
    public func contains(_ event: StatusEvent) -> Bool {
        guard let faxID = event.faxID, let fact = Facts(event) else { return false }
        return facts(of: faxID)?.contains(fact) ?? false
    }

    /// Whether the fact `event` states is already on the topics.
    public func contains(_ event: UsageEvent) -> Bool {
        guard let faxID = event.faxID, let fact = Facts(event) else { return false }
        return facts(of: faxID)?.contains(fact) ?? false
    }

    private func facts(of faxID: String) -> Facts? {
        let key = CompactKeys.hash(faxID)
        return entries[key]?.facts ?? finished[key].map(Facts.init(rawValue:))
    }

    /// `facts` without the events already on the topics.
    public func unpublished(_ facts: DeliveryFacts) -> DeliveryFacts {
        DeliveryFacts(status: facts.status.filter { !contains($0) }, usage: facts.usage.filter { !contains($0) })
    }

    /// Whether the webhook delivery `id` was already acknowledged.
    public func wasAcknowledged(webhookID id: String) -> Bool {
        webhooks[CompactKeys.hash(id)] != nil
    }

    /// The tenant's latest `usage.balance`.
    public func balance(tenant: String) -> Balance? {
        balances[tenant]
    }

    /// Whether fax `id` is remembered, and finished.
    public func isFinished(_ id: String) -> Bool? {
        let key = CompactKeys.hash(id)
        return finished[key] != nil ? true : entries[key] != nil ? false : nil
    }

    // MARK: Forgetting

    /// Drops the generations of finished faxes and of acknowledged webhook ids that are wholly more
    /// than `forgetAfter` before `now`, and unfinished faxes whose last event is.
    public mutating func forget(now: Date) {
        let horizon = CompactKeys.seconds(now.addingTimeInterval(-forgetAfter))
        finished.forget(before: horizon)
        webhooks.forget(before: horizon)
        if entries.contains(where: { $0.value.lastEventAt < horizon }) {
            entries = entries.filter { $0.value.lastEventAt >= horizon }
        }
    }
}

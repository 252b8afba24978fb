import FaxdCore
import FaxdKafka
import Foundation
import Logging

/// The one way delivery facts reach the result topics: each at most once per process, and not at
/// all when `fax.status`/`fax.usage` already hold it (as far as this process has read them).
///
/// Wraps a `DeliveryLedger` fed by `ResultTopicsReader` with the topics' recent window. Webhook
/// ingress, reconciler and balance watch publish through `publishOnce`, which drops the ids the
/// ledger knows, lets a concurrent publication of the same event finish instead of starting a second
/// one, and records what Kafka acknowledged. Until the reader has read the window up to the topics'
/// ends at start-up (`isCaughtUp`), the ledger is incomplete and callers should not publish (the
/// ingress answers 503).
actor DeliveryTracker {
    private var ledger: DeliveryLedger
    private var inFlight: [UUIDv5: Task<Bool, Never>] = [:]
    private(set) var isCaughtUp = false
    private let publisher: EventPublisher
    private let topics: TopicNames
    private let logger: Logger

    init(publisher: EventPublisher, forgetAfter: TimeInterval, logger: Logger) {
        self.publisher = publisher
        self.topics = publisher.topics
        self.ledger = DeliveryLedger(forgetAfter: forgetAfter)
        self.logger = logger
    }

    // MARK: Feeding

    /// Records records read from the status or usage topic; undecodable values are skipped (they are
    /// not ours to judge; the topics' consumers see them too), and so, unparsed, are values that
    /// state nothing the ledger keeps (`DeliveryLedger.mayRecord`): most are this worker's own
    /// `fax.submitted` and `usage.hold`, read back.
    /// - Returns: the final status events among them (`fax.delivered`, `fax.failed`).
    func observe(_ records: [KafkaRecord]) -> [StatusEvent] {
        var finals: [StatusEvent] = []
        for record in records where DeliveryLedger.mayRecord(record.value) {
            if record.topic == topics.status, let event = StatusEvent.parse(record.value) {
                ledger.record(event)
                if event.type == .delivered || event.type == .failed { finals.append(event) }
            } else if record.topic == topics.usage, let event = UsageEvent.parse(record.value) {
                ledger.record(event)
            }
        }
        return finals
    }

    /// The reader reached the topics' ends as they were at start-up.
    func caughtUp() {
        if !isCaughtUp { logger.info("Delivery ledger caught up", metadata: ["ledger.faxes": "\(ledger.faxCount)"]) }
        isCaughtUp = true
    }

    /// Drops what is too old to matter (see `DeliveryLedger.forget`).
    func forget(now: Date) {
        ledger.forget(now: now)
    }

    // MARK: Publishing

    /// Publishes the events of `facts` not yet on the topics, keyed by `tenant`, in their order.
    /// Publications of some of the same events already under way finish first, so a fax's history
    /// reaches the topic in order however its webhooks race.
    /// - Returns: true once every event of `facts` is acknowledged by Kafka (now or before).
    func publishOnce(_ facts: DeliveryFacts, tenant: String) async -> Bool {
        while true {
            let running = ledger.unpublished(facts).eventIDs.compactMap { inFlight[$0] }
            if running.isEmpty { break }
            for task in running where !(await task.value) {
                return false
            }
        }
        let fresh = ledger.unpublished(facts)
        guard !fresh.isEmpty else { return true }
        let publisher = publisher
        // The task (isolated to this actor, like the method that creates it) settles the books before
        // anyone sees its result, so a waiter that resumes first finds the events recorded (or free
        // to try again), never still in flight.
        let task = Task {
            let published = await publisher.publish(tenantKey: Array(tenant.utf8), status: fresh.status, usage: fresh.usage)
            self.settle(fresh, published: published)
            return published
        }
        for id in fresh.eventIDs { inFlight[id] = task }
        return await task.value
    }

    private func settle(_ facts: DeliveryFacts, published: Bool) {
        for id in facts.eventIDs { inFlight[id] = nil }
        if published { ledger.record(facts) }
    }

    /// Publishes a tenant's `usage.balance` and records it as the tenant's latest.
    func publish(balance event: UsageEvent) async -> Bool {
        let published = await publisher.publish(tenantKey: Array(event.tenantID.utf8), status: [], usage: [event])
        if published { ledger.record(event) }
        return published
    }

    // MARK: Questions

    func wasAcknowledged(webhookID: String) -> Bool { ledger.wasAcknowledged(webhookID: webhookID) }
    func acknowledged(webhookID: String, at date: Date) { ledger.acknowledged(webhookID: webhookID, at: date) }
    func balance(tenant: String) -> DeliveryLedger.Balance? { ledger.balance(tenant: tenant) }
}

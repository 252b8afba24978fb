import Foundation
import Testing

@testable import FaxdCore

@Suite struct DeliveryLedgerTests {
    private typealias F = EventFixtures
    static let t0 = Date(timeIntervalSince1970: 1_795_775_400)

    static func snapshot(_ status: FaxSnapshot.Status, attempts: Int = 0, faxID: String = F.faxID) -> FaxSnapshot {
        FaxSnapshot(
            id: faxID,
            status: status,
            pages: 1,
            errorCode: status == .failed ? "busy" : nil,
            attempts: (0..<attempts).map { FaxSnapshot.Attempt(number: $0 + 1, startedAt: t0.addingTimeInterval(Double(60 * ($0 + 1)))) },
            createdAt: t0,
            completedAt: status.isTerminal ? t0.addingTimeInterval(600) : nil
        )
    }

    @Test func publishedFactsAreDroppedAndNewOnesKept() {
        var ledger = DeliveryLedger(forgetAfter: 3600)
        let first = DeliveryFacts.of(Self.snapshot(.inProgress, attempts: 1), job: F.job, factory: F.webhook)
        #expect(ledger.unpublished(first) == first)
        ledger.record(first)
        #expect(ledger.unpublished(first).isEmpty)
        let final = DeliveryFacts.of(Self.snapshot(.delivered, attempts: 1), job: F.job, factory: F.webhook)
        let missing = ledger.unpublished(final)
        #expect(missing.status.map(\.type) == [.delivered] && missing.usage.map(\.type) == [.capture])
    }

    /// Events read back from the topics count the same as events this process published.
    @Test func eventsReadFromTheTopicsCount() throws {
        var ledger = DeliveryLedger(forgetAfter: 3600)
        let facts = DeliveryFacts.of(Self.snapshot(.failed, attempts: 2), job: F.job, factory: F.webhook)
        for event in facts.status { ledger.record(try JSONDecoder().decode(StatusEvent.self, from: Data(event.jsonBytes()))) }
        #expect(ledger.unpublished(facts).status.isEmpty)
        #expect(ledger.unpublished(facts).usage.count == 1, "the release is on fax.usage, not yet read")
        for event in facts.usage { ledger.record(event) }
        #expect(ledger.unpublished(facts).isEmpty)
    }

    @Test func forgettingDropsOnlyWhatIsOld() {
        var ledger = DeliveryLedger(forgetAfter: 3600)
        ledger.record(F.webhook.queued(F.job, faxID: "fax_open", occurredAt: Self.t0))
        ledger.record(DeliveryFacts.of(Self.snapshot(.failed, faxID: "fax_done"), job: F.job, factory: F.webhook))
        ledger.record(F.webhook.queued(F.job, faxID: "fax_orphan", occurredAt: Self.t0))
        ledger.acknowledged(webhookID: "evt_1", at: Self.t0)
        ledger.forget(now: Self.t0.addingTimeInterval(3000))
        #expect(ledger.faxCount == 3 && ledger.wasAcknowledged(webhookID: "evt_1"))
        ledger.forget(now: Self.t0.addingTimeInterval(600 + 3601))
        #expect(ledger.isFinished("fax_open") == nil, "the job ledger, not this one, keeps unfinished faxes")
        #expect(ledger.isFinished("fax_done") == nil && ledger.isFinished("fax_orphan") == nil)
        #expect(!ledger.wasAcknowledged(webhookID: "evt_1"))
    }

    /// Finished faxes move to generations: their late facts still count, and a generation goes
    /// only once all of it is past the horizon (here two faxes a generation).
    @Test func finishedFaxesAreForgottenAGenerationAtATime() {
        var ledger = DeliveryLedger(forgetAfter: 3600, generationCapacity: 2)
        let finishes: [(String, TimeInterval)] = [("fax_1", 0), ("fax_2", 10), ("fax_3", 20), ("fax_4", 30), ("fax_5", 4000)]
        for (faxID, offset) in finishes {
            ledger.record(F.webhook.delivered(F.job, faxID: faxID, pages: 1, occurredAt: Self.t0.addingTimeInterval(offset)))
        }
        let lateCapture = F.webhook.usageCapture(F.job, faxID: "fax_1", pages: 1, occurredAt: Self.t0)
        #expect(!ledger.contains(lateCapture))
        ledger.record(lateCapture)
        #expect(ledger.contains(lateCapture))
        #expect(ledger.faxCount == 5)

        ledger.forget(now: Self.t0.addingTimeInterval(3600 + 15))
        #expect(ledger.isFinished("fax_1") == nil && ledger.isFinished("fax_2") == nil)
        #expect(ledger.isFinished("fax_3") == true, "its generation also holds fax_4, not yet past the horizon")
        #expect(ledger.isFinished("fax_4") == true && ledger.isFinished("fax_5") == true)
        #expect(ledger.faxCount == 3)
    }

    /// Each fact is one bit: every `fax.sending` attempt its own, and facts of other faxes apart.
    @Test func factsAreKeptPerFaxAndPerAttempt() {
        var ledger = DeliveryLedger(forgetAfter: 3600)
        ledger.record(F.webhook.sending(F.job, faxID: "fax_a", attempt: 1, occurredAt: Self.t0))
        #expect(ledger.contains(F.webhook.sending(F.job, faxID: "fax_a", attempt: 1, occurredAt: Self.t0.addingTimeInterval(5))))
        #expect(!ledger.contains(F.webhook.sending(F.job, faxID: "fax_a", attempt: 2, occurredAt: Self.t0)))
        #expect(!ledger.contains(F.webhook.sending(F.job, faxID: "fax_b", attempt: 1, occurredAt: Self.t0)))
        #expect(!ledger.contains(F.webhook.queued(F.job, faxID: "fax_a", occurredAt: Self.t0)))
        #expect(!ledger.contains(F.webhook.usageCapture(F.job, faxID: "fax_a", pages: 1, occurredAt: Self.t0)))
        // The worker's own events are not facts of a fax: nothing asks whether they were published.
        ledger.record(F.worker.rejected(F.job, error: EventFactory.deadlinePassed, attempt: nil, occurredAt: Self.t0))
        ledger.record(F.worker.submitted(F.job, faxID: "fax_b", attempt: 1, occurredAt: Self.t0))
        ledger.record(F.worker.usageHold(F.job, faxID: "fax_c", pages: nil, occurredAt: Self.t0))
        #expect(!ledger.contains(F.worker.submitted(F.job, faxID: "fax_b", attempt: 1, occurredAt: Self.t0)))
        #expect(ledger.faxCount == 1)
    }

    /// A value is skipped unparsed only when its trailing `type` is one the ledger ignores; every
    /// event the ledger records, and every value it cannot tell from its end, is parsed.
    @Test func onlyValuesOfIgnoredTypesAreSkippedUnparsed() {
        let skipped: [[UInt8]] = [
            F.worker.submitted(F.job, faxID: "fax_a", attempt: 1, occurredAt: Self.t0).jsonBytes(),
            F.worker.usageHold(F.job, faxID: "fax_a", pages: nil, occurredAt: Self.t0).jsonBytes(),
            F.worker.rejected(F.job, error: EventFactory.deadlinePassed, attempt: 2, occurredAt: Self.t0).jsonBytes(),
        ]
        let parsed: [[UInt8]] = [
            F.webhook.queued(F.job, faxID: "fax_a", occurredAt: Self.t0).jsonBytes(),
            F.webhook.sending(F.job, faxID: "fax_a", attempt: 2, occurredAt: Self.t0).jsonBytes(),
            F.webhook.delivered(F.job, faxID: "fax_a", pages: 1, occurredAt: Self.t0).jsonBytes(),
            F.webhook.usageCapture(F.job, faxID: "fax_a", pages: 1, occurredAt: Self.t0).jsonBytes(),
            F.worker.usageBalance(tenantID: "acme", crossingID: "a", available: 5, held: 1, occurredAt: Self.t0).jsonBytes(),
            // Another producer's order, or an escape, and the value is parsed as before.
            Array(#"{"type":"fax.submitted","job_id":"j"}"#.utf8),
            Array(#"{"job_id":"j\"k","type":"fax.submitted"}"#.utf8),
            Array("not json".utf8),
        ]
        for value in skipped { #expect(!DeliveryLedger.mayRecord(value), "\(String(decoding: value, as: UTF8.self))") }
        for value in parsed { #expect(DeliveryLedger.mayRecord(value), "\(String(decoding: value, as: UTF8.self))") }
    }

    @Test func theLatestBalanceIsTheLatestByTimeNotByArrival() {
        var ledger = DeliveryLedger(forgetAfter: 3600)
        ledger.record(
            F.worker.usageBalance(tenantID: "acme", crossingID: "b", available: 500, held: 6, occurredAt: Self.t0.addingTimeInterval(60))
        )
        ledger.record(F.worker.usageBalance(tenantID: "acme", crossingID: "a", available: 5000, held: 0, occurredAt: Self.t0))
        #expect(ledger.balance(tenant: "acme")?.available == 500)
        #expect(ledger.balance(tenant: "globex") == nil)
    }

    @Test func balanceCrossingsFireOnEachTransitionOnly() {
        let below = DeliveryLedger.Balance(available: 900, held: 0, occurredAt: Self.t0)
        let above = DeliveryLedger.Balance(available: 1500, held: 0, occurredAt: Self.t0)
        #expect(BalanceCrossing.crossed(latest: nil, available: 999, threshold: 1000))
        #expect(!BalanceCrossing.crossed(latest: nil, available: 1000, threshold: 1000))
        #expect(!BalanceCrossing.crossed(latest: below, available: 10, threshold: 1000))
        #expect(BalanceCrossing.crossed(latest: below, available: 2000, threshold: 1000))
        #expect(BalanceCrossing.crossed(latest: above, available: 999, threshold: 1000))
        #expect(BalanceCrossing.crossingID(threshold: 1000, available: 999, held: 6) == "1000:below:999:6")
    }

    @Test func dutyPartitionsAreStableAndSpread() {
        #expect(DutyPartition.of(tenant: "acme", partitionCount: 6) == DutyPartition.of(tenant: "acme", partitionCount: 6))
        let spread = Set((0..<60).map { DutyPartition.of(tenant: "tenant-\($0)", partitionCount: 6) })
        #expect(spread == Set(0..<6))
        #expect(DutyPartition.of(tenant: "anything", partitionCount: 1) == 0)
    }
}

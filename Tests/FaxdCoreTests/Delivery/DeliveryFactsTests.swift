import FaxdCore
import Foundation
import Testing

@Suite struct DeliveryFactsTests {
    private typealias F = EventFixtures
    static let reconciler = EventFactory(source: .reconciler, environment: .live)

    /// A Gen C `fax.failed` delivery body, as the sandbox and API.md §9.2 write it.
    static func envelope(
        type: String,
        status: String,
        attempts: Int,
        pages: Int? = 1,
        errorCode: String? = nil,
        tags: String = #"{"faxd_tenant":"acme","faxd_job":"inv-1","order":"A-1"}"#
    ) -> [UInt8] {
        let attemptList = (1...max(attempts, 1)).prefix(attempts).map { n in
            #"{"attempt_number":\#(n),"started_at":"2026-11-27T10:3\#(n):00Z","completed_at":"2026-11-27T10:3\#(n):30Z","duration_ms":30000,"error_code":\#(errorCode.map { "\"\($0)\"" } ?? "null"),"error_subcode":null,"error_message":null}"#
        }
        let terminal = status == "delivered" || status == "failed"
        return Array(
            #"""
            {"id":"evt_7QmZ2pX9rL4tK8vB1nC6dF","type":"\#(type)","created":1795775405,"data":{"object":{
             "id":"\#(F.faxID)","status":"\#(status)","to":"+15005550002","pages":\#(pages.map(String.init) ?? "null"),
             "error_code":\#(errorCode.map { "\"\($0)\"" } ?? "null"),"error_subcode":null,"error_message":\#(errorCode == nil ? "null" : "\"Busy on every attempt.\""),
             "max_attempts":3,"attempts":[\#(attemptList.joined(separator: ","))],"webhook_url":null,"idempotency_key":"c020cab0-5fa5-575d-8617-acd6fc49e2c0",
             "tags":\#(tags),"csid":null,"submitted_at":"2026-11-27T10:30:10Z",
             "completed_at":\#(terminal ? "\"2026-11-27T10:40:00Z\"" : "null"),
             "created_at":"2026-11-27T10:30:05Z","updated_at":"2026-11-27T10:40:00Z","future_field":{"x":1}}}}
            """#.utf8
        )
    }

    @Test func aWebhookEnvelopeParsesWithItsFaxAndTags() throws {
        let event = try MintfaxWebhookEvent.parse(Self.envelope(type: "fax.failed", status: "failed", attempts: 3, errorCode: "busy"))
        #expect(event.id == "evt_7QmZ2pX9rL4tK8vB1nC6dF")
        #expect(event.type == "fax.failed")
        #expect(event.created == Date(timeIntervalSince1970: 1_795_775_405))
        let fax = try #require(event.fax)
        #expect(fax.status == .failed && fax.status.isTerminal)
        #expect(fax.attempts.map(\.number) == [1, 2, 3])
        #expect(fax.jobReference == F.job)
        #expect(fax.tags["order"] == "A-1")
    }

    @Test func bodiesThatAreNotEventsAreRefusedWithTheReason() {
        #expect(throws: MintfaxWebhookEvent.ParseError.self) { try MintfaxWebhookEvent.parse(Array("nope".utf8)) }
        do {
            _ = try MintfaxWebhookEvent.parse(
                Array(#"{"id":"evt_1","type":"fax.queued","created":1,"data":{"object":{"id":"fax_1"}}}"#.utf8)
            )
            Issue.record("a fax event without status was accepted")
        } catch {
            #expect(error.reason.contains("status"))
        }
    }

    @Test func balanceEventsParseWithoutAFax() throws {
        let event = try MintfaxWebhookEvent.parse(
            Array(#"{"id":"evt_2","type":"balance.low","created":1,"data":{"object":{"available":10}}}"#.utf8)
        )
        #expect(event.fax == nil && event.type == "balance.low")
    }

    @Test func aFaxWithoutFaxdTagsMapsToNoJob() throws {
        let event = try MintfaxWebhookEvent.parse(
            Self.envelope(type: "fax.queued", status: "queued", attempts: 0, tags: #"{"order":"A-1"}"#)
        )
        #expect(event.fax?.jobReference == nil)
    }

    @Test func aQueuedSnapshotProvesOnlyQueued() throws {
        let fax = try #require(try MintfaxWebhookEvent.parse(Self.envelope(type: "fax.queued", status: "queued", attempts: 0)).fax)
        let facts = DeliveryFacts.of(fax, job: F.job, factory: F.webhook)
        #expect(facts.status.map(\.type) == [.queued])
        #expect(facts.status[0].occurredAt == fax.createdAt)
        #expect(facts.usage.isEmpty)
    }

    @Test func aFailedSnapshotProvesTheWholeHistoryAndARelease() throws {
        let fax = try #require(
            try MintfaxWebhookEvent.parse(Self.envelope(type: "fax.failed", status: "failed", attempts: 3, errorCode: "busy")).fax
        )
        let facts = DeliveryFacts.of(fax, job: F.job, factory: F.webhook)
        #expect(facts.status.map(\.type) == [.queued, .sending, .sending, .sending, .failed])
        #expect(facts.status.filter { $0.type == .sending }.map(\.attempt) == [1, 2, 3])
        let failed = facts.status[4]
        #expect(failed.error?.code == "busy" && failed.error?.retryable == false)
        #expect(failed.attempt == 3 && failed.source == .webhook)
        #expect(facts.usage.map(\.type) == [.release])
        #expect(Set(facts.eventIDs).count == 6)
    }

    @Test func aDeliveredSnapshotCapturesThePagesSent() throws {
        let fax = try #require(
            try MintfaxWebhookEvent.parse(Self.envelope(type: "fax.delivered", status: "delivered", attempts: 1, pages: 3)).fax
        )
        let facts = DeliveryFacts.of(fax, job: F.job, factory: F.webhook)
        #expect(facts.status.map(\.type) == [.queued, .sending, .delivered])
        #expect(facts.status.last?.pages == 3)
        #expect(facts.usage.map(\.type) == [.capture])
        #expect(facts.usage.first?.pages == 3)
    }

    /// Both paths build the same events from the same snapshot: only `source` differs.
    @Test func theWebhookAndTheReconcilerBuildTheSameEvents() throws {
        let fax = try #require(try MintfaxWebhookEvent.parse(Self.envelope(type: "fax.delivered", status: "delivered", attempts: 2)).fax)
        let byWebhook = DeliveryFacts.of(fax, job: F.job, factory: F.webhook)
        let byReconciler = DeliveryFacts.of(fax, job: F.job, factory: Self.reconciler)
        #expect(byWebhook.eventIDs == byReconciler.eventIDs)
        #expect(byWebhook.usage == byReconciler.usage)
        for (a, b) in zip(byWebhook.status, byReconciler.status) {
            var relabelled = b
            relabelled.source = .webhook
            #expect(a == relabelled)
        }
    }

    /// A later snapshot proves a superset: the facts an earlier webhook published keep their ids.
    @Test func laterSnapshotsExtendEarlierOnesWithTheSameIDs() throws {
        let sending = try #require(
            try MintfaxWebhookEvent.parse(Self.envelope(type: "fax.sending", status: "in_progress", attempts: 1)).fax
        )
        let delivered = try #require(
            try MintfaxWebhookEvent.parse(Self.envelope(type: "fax.delivered", status: "delivered", attempts: 1)).fax
        )
        let early = Set(DeliveryFacts.of(sending, job: F.job, factory: F.webhook).eventIDs)
        let late = Set(DeliveryFacts.of(delivered, job: F.job, factory: F.webhook).eventIDs)
        #expect(early.isSubset(of: late) && late.count == early.count + 2)
    }
}

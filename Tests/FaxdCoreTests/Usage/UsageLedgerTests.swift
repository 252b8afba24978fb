import FaxdCore
import Foundation
import Testing

@Suite struct UsageLedgerTests {
    private static let sandbox = EventFactory(source: .worker, environment: .sandbox)
    private static let live = EventFactory(source: .webhook, environment: .live)
    /// 2026-11-27T10:00:00Z.
    private static let ten = Date(timeIntervalSince1970: 1_795_773_600)

    private static func at(minutes: Double) -> Date { ten.addingTimeInterval(minutes * 60) }

    private static func job(_ tenant: String, _ id: String) -> JobReference {
        JobReference(tenantID: tenant, jobID: id)
    }

    private static func hold(_ fax: String, tenant: String = "acme", minutes: Double = 0, _ f: EventFactory = sandbox) -> UsageEvent {
        f.usageHold(job(tenant, "job-\(fax)"), faxID: fax, pages: nil, occurredAt: at(minutes: minutes))
    }

    private static func capture(
        _ fax: String,
        tenant: String = "acme",
        pages: Int,
        minutes: Double = 1,
        _ f: EventFactory = sandbox
    ) -> UsageEvent {
        f.usageCapture(job(tenant, "job-\(fax)"), faxID: fax, pages: pages, occurredAt: at(minutes: minutes))
    }

    private static func release(
        _ fax: String,
        tenant: String = "acme",
        pages: Int?,
        minutes: Double = 1,
        _ f: EventFactory = sandbox
    ) -> UsageEvent {
        f.usageRelease(job(tenant, "job-\(fax)"), faxID: fax, pages: pages, occurredAt: at(minutes: minutes))
    }

    private static func balance(_ crossing: String, tenant: String = "acme", available: Int, held: Int, minutes: Double) -> UsageEvent {
        sandbox.usageBalance(tenantID: tenant, crossingID: crossing, available: available, held: held, occurredAt: at(minutes: minutes))
    }

    private static func ledger(_ events: [UsageEvent], since: Date? = nil) -> UsageLedger {
        var ledger = UsageLedger(since: since)
        for event in events { ledger.add(event) }
        return ledger
    }

    private static func counts(
        held: Int = 0,
        open: Int = 0,
        captured: Int = 0,
        pagesCaptured: Int = 0,
        released: Int = 0,
        pagesReleased: Int = 0
    )
        -> UsageReport.Counts
    {
        var counts = UsageReport.Counts()
        counts.held = held
        counts.openHolds = open
        counts.captured = captured
        counts.pagesCaptured = pagesCaptured
        counts.released = released
        counts.pagesReleased = pagesReleased
        return counts
    }

    // MARK: Holds, captures, releases

    @Test func holdsStayOpenUntilCapturedOrReleased() throws {
        let report = Self.ledger([
            Self.hold("f1"), Self.capture("f1", pages: 3),
            Self.hold("f2"), Self.release("f2", pages: 2),
            Self.hold("f3"), Self.release("f3", pages: nil),
            Self.hold("f4"),
        ]).report
        let acme = try #require(report.tenants.only)
        #expect(acme.tenantID == "acme" && acme.environment == .sandbox)
        #expect(acme.counts == Self.counts(held: 4, open: 1, captured: 1, pagesCaptured: 3, released: 2, pagesReleased: 2))
        #expect(acme.balance == nil)
        #expect(report.records.read == 7 && report.records.counted == 7)
    }

    @Test func aCaptureOrReleaseReadBeforeItsHoldStillClosesIt() throws {
        let inOrder = [Self.hold("f1"), Self.capture("f1", pages: 2), Self.hold("f2"), Self.release("f2", pages: nil)]
        let reversed = Self.ledger(inOrder.reversed()).report
        #expect(try #require(reversed.tenants.only).counts == Self.counts(held: 2, captured: 1, pagesCaptured: 2, released: 1))
        #expect(reversed == Self.ledger(inOrder).report)
    }

    @Test func aCaptureWithoutAHoldOpensNothing() throws {
        let report = Self.ledger([Self.capture("f1", pages: 5)]).report
        #expect(try #require(report.tenants.only).counts == Self.counts(captured: 1, pagesCaptured: 5))
    }

    @Test func holdsAreMatchedByFaxWithinTheTenant() {
        // globex's capture of a fax id acme also uses must not close acme's hold.
        let report = Self.ledger([Self.hold("f1"), Self.capture("f1", tenant: "globex", pages: 1)]).report
        #expect(report.tenants.map(\.tenantID) == ["acme", "globex"])
        #expect(report.tenants.map(\.counts.openHolds) == [1, 0])
    }

    @Test func tenantsAndEnvironmentsAreCountedApartAndSorted() {
        let report = Self.ledger([
            Self.hold("g1", tenant: "globex"),
            Self.hold("a1", Self.live), Self.capture("a1", pages: 4, Self.live),
            Self.hold("a2"),
        ]).report
        #expect(report.tenants.map { "\($0.tenantID)/\($0.environment)" } == ["acme/live", "acme/sandbox", "globex/sandbox"])
        #expect(report.tenants.map(\.counts.held) == [1, 1, 1])
        #expect(report.totals == Self.counts(held: 3, open: 2, captured: 1, pagesCaptured: 4))
    }

    // MARK: Duplicates

    @Test func anEventIDCountsOnce() throws {
        let capture = Self.capture("f1", pages: 3)
        var ledger = UsageLedger()
        #expect(ledger.add(Self.hold("f1")) == .counted)
        #expect(ledger.add(capture) == .counted)
        #expect(ledger.add(capture) == .duplicate)
        #expect(ledger.add(recordValue: capture.jsonBytes()) == .duplicate)
        let report = ledger.report
        #expect(try #require(report.tenants.only).counts == Self.counts(held: 1, captured: 1, pagesCaptured: 3))
        #expect(report.records.read == 4 && report.records.counted == 2 && report.records.duplicatesDropped == 2)
    }

    @Test func theFirstCopyOfAnEventIDWinsEvenWhenTheCopiesDiffer() throws {
        var second = Self.capture("f1", pages: 3)
        second.pages = 30
        let report = Self.ledger([Self.capture("f1", pages: 3), second]).report
        #expect(try #require(report.tenants.only).counts.pagesCaptured == 3)
        #expect(report.records.duplicatesDropped == 1)
    }

    // MARK: Since

    @Test func eventsBeforeSinceAreLeftOut() throws {
        var ledger = UsageLedger(since: Self.at(minutes: 10))
        #expect(ledger.add(Self.hold("f1", minutes: 9)) == .beforeSince)
        #expect(ledger.add(Self.capture("f1", pages: 2, minutes: 10)) == .counted)
        #expect(ledger.add(Self.hold("f2", minutes: 11)) == .counted)
        let report = ledger.report
        // f1's hold was before since: its capture counts, and there is no hold of it to be open.
        #expect(try #require(report.tenants.only).counts == Self.counts(held: 1, open: 1, captured: 1, pagesCaptured: 2))
        #expect(report.records.beforeSince == 1 && report.since == Self.at(minutes: 10))
    }

    @Test func aFractionOfSinceIsRoundedUpBecauseEventsCarryWholeSeconds() {
        var ledger = UsageLedger(since: Self.ten.addingTimeInterval(0.5))
        #expect(ledger.since == Self.ten.addingTimeInterval(1))
        #expect(ledger.add(Self.hold("f1", minutes: 0)) == .beforeSince)
        #expect(ledger.add(Self.hold("f2", minutes: 1.0 / 60)) == .counted)
    }

    @Test func aDuplicateBeforeSinceIsCountedAsADuplicate() {
        var ledger = UsageLedger(since: Self.at(minutes: 10))
        let early = Self.hold("f1", minutes: 1)
        #expect(ledger.add(early) == .beforeSince)
        #expect(ledger.add(early) == .duplicate)
        #expect(ledger.report.tenants.isEmpty)
    }

    // MARK: Balance

    @Test func theLatestBalanceIsTheLatestByOccurredAtNotByArrival() throws {
        let later = Self.balance("c2", available: 5_000, held: 300, minutes: 10)
        let earlier = Self.balance("c1", available: 6_000, held: 0, minutes: 8)
        for order in [[later, earlier], [earlier, later]] {
            let acme = try #require(Self.ledger(order).report.tenants.only)
            #expect(acme.balance == UsageReport.Balance(available: 5_000, held: 300, occurredAt: Self.at(minutes: 10)))
            #expect(acme.counts == Self.counts())
        }
    }

    @Test func balancesAtTheSameSecondAreSettledByEventIDWhateverTheOrder() throws {
        let one = Self.balance("c1", available: 1, held: 0, minutes: 5)
        let two = Self.balance("c2", available: 2, held: 0, minutes: 5)
        let winner = one.eventID.description > two.eventID.description ? one : two
        for order in [[one, two], [two, one]] {
            let acme = try #require(Self.ledger(order).report.tenants.only)
            #expect(acme.balance?.available == winner.available)
        }
    }

    @Test func aBalanceBeforeSinceIsLeftOut() throws {
        let report = Self.ledger(
            [Self.balance("c1", available: 1, held: 0, minutes: 1), Self.balance("c2", available: 2, held: 0, minutes: 20)],
            since: Self.at(minutes: 30)
        ).report
        #expect(report.tenants.isEmpty && report.records.beforeSince == 2)
    }

    // MARK: Records that are not usage events

    @Test(arguments: [
        "not json {",
        "{}",
        #"{"event_id":"nope","type":"usage.hold","tenant_id":"acme","environment":"sandbox","occurred_at":"2026-11-27T10:00:00Z"}"#,
        #"{"event_id":"c020cab0-5fa5-575d-8617-acd6fc49e2c0","type":"usage.hold","tenant_id":"acme","environment":"sandbox","occurred_at":"yesterday"}"#,
        #"{"event_id":"c020cab0-5fa5-575d-8617-acd6fc49e2c0","type":"usage.hold","tenant_id":"acme","fax_id":null,"environment":"sandbox","occurred_at":"2026-11-27T10:00:00Z"}"#,
        #"{"event_id":"c020cab0-5fa5-575d-8617-acd6fc49e2c0","type":"usage.balance","tenant_id":"acme","environment":"sandbox","occurred_at":"2026-11-27T10:00:00Z"}"#,
    ])
    func aRecordThatIsNotAUsageEventIsSkipped(value: String) {
        var ledger = UsageLedger()
        #expect(ledger.add(recordValue: Array(value.utf8)) == .skipped)
        #expect(ledger.add(Self.hold("f1")) == .counted)
        #expect(ledger.report.records.skipped == 1 && ledger.report.records.read == 2)
    }

    @Test func anUnknownTypeIsCountedApartAndOpensNoTenant() {
        var event = Self.hold("f1")
        event.type = UsageEvent.Kind(rawValue: "usage.refund")
        var ledger = UsageLedger()
        #expect(ledger.add(event) == .unknownType)
        #expect(ledger.report.tenants.isEmpty && ledger.report.records.unknownType == 1)
    }

    @Test func aDecodedRecordCountsLikeTheEvent() {
        var ledger = UsageLedger()
        #expect(ledger.add(recordValue: Self.hold("f1").jsonBytes()) == .counted)
        #expect(ledger.report == Self.ledger([Self.hold("f1")]).report)
    }

    // MARK: JSON

    @Test func reportJSONHasStableSnakeCaseKeys() throws {
        var ledger = UsageLedger(since: Self.ten)
        ledger.add(Self.hold("f1"))
        ledger.add(Self.capture("f1", pages: 3))
        ledger.add(Self.balance("c1", available: 5_000, held: 300, minutes: 2))
        ledger.add(Self.hold("g1", tenant: "globex"))
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        let json = String(decoding: try encoder.encode(ledger.report), as: UTF8.self)
        #expect(
            json
                == #"{"records":{"before_since":0,"counted":4,"duplicates_dropped":0,"read":4,"skipped":0,"unknown_type":0},"since":"2026-11-27T10:00:00Z","#
                + #""tenants":[{"balance":{"available":5000,"held":300,"occurred_at":"2026-11-27T10:02:00Z"},"captured":1,"environment":"sandbox","held":1,"open_holds":0,"pages_captured":3,"pages_released":0,"released":0,"tenant_id":"acme"},"#
                + #"{"balance":null,"captured":0,"environment":"sandbox","held":1,"open_holds":1,"pages_captured":0,"pages_released":0,"released":0,"tenant_id":"globex"}],"#
                + #""totals":{"captured":1,"held":2,"open_holds":1,"pages_captured":3,"pages_released":0,"released":0}}"#
        )
    }
}

extension Array {
    /// The single element, or nil when there are none or several.
    fileprivate var only: Element? { count == 1 ? first : nil }
}

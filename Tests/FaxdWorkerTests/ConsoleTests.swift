import FaxdCore
import FaxdKafka
import Foundation
import Testing

@testable import FaxdWorker

/// The console's state: per-tenant outcomes over the last minutes, merged with the dispatch's view and
/// the consumer's lag (issue #15); and its token's rules.
@Suite struct ConsoleTests {
    typealias View = DispatchStateMachine<Dispatcher.PendingJob>.View
    static let start = Date(timeIntervalSince1970: 1_800_000_000)

    @Test func outcomesCountOverFiveMinutesAndSubmissionsAlsoOverTheLastOne() {
        let recent = RecentOutcomes()
        recent.record(.submitted, tenant: "acme", at: Self.start)
        recent.record(.submitted, tenant: "acme", at: Self.start + 201)
        recent.record(.submitted, tenant: "acme", at: Self.start + 250)
        recent.record(.deadLettered, tenant: "acme", at: Self.start + 250)
        recent.record(.retried, tenant: "globex", at: Self.start + 10)

        let at260 = recent.counts(at: Self.start + 260)
        #expect(at260["acme"]?.submitted == 3)
        #expect(at260["acme"]?.submittedLastMinute == 2)
        #expect(at260["acme"]?.failing == 1)
        #expect(at260["globex"]?.retried == 1)

        // Five minutes after its last outcome a tenant is gone; acme keeps what is still in the window.
        let at311 = recent.counts(at: Self.start + 311)
        #expect(at311["globex"] == nil)
        #expect(at311["acme"]?.submitted == 2, "the first, at 0 s, left the window")
        #expect(recent.counts(at: Self.start + 551).isEmpty)
    }

    @Test func theSnapshotJoinsTenantsWithWorkAndTenantsWithOutcomesAndTheJobsTopicsPartitions() throws {
        var busy = View.Tenant()
        busy.activity = TenantActivity(queued: 12, inFlight: 3, throttled: true, circuitOpen: false)
        busy.retrying = 1
        busy.oldestQueuedTime = 1_800_000_000_000
        let view = View(tenants: ["acme": busy], partitions: [2: .init(unfinished: 15, held: 4, oldestUnfinishedTime: 1_799_999_990_000)])
        var globex = RecentOutcomes.Counts()
        globex.submitted = 7
        globex.submittedLastMinute = 5
        globex.rejected = 2
        let snapshot = ConsoleSnapshot(
            view: view,
            lag: [
                KafkaTopicPartition(topic: "fax.jobs", partition: 2): 40, KafkaTopicPartition(topic: "fax.jobs", partition: 0): 0,
                KafkaTopicPartition(topic: "other", partition: 1): 9,
            ],
            recent: ["globex": globex],
            group: "faxd-workers",
            topic: "fax.jobs",
            ready: true,
            now: Self.start + 30
        )
        #expect(snapshot.tenants.map(\.tenant) == ["acme", "globex"])
        let acme = snapshot.tenants[0]
        #expect(acme.queued == 12 && acme.inFlight == 3 && acme.retrying == 1 && acme.throttled && !acme.circuitOpen)
        #expect(acme.oldestQueuedSeconds == 30)
        #expect(snapshot.tenants[1].submittedLastMinute == 5 && snapshot.tenants[1].failing == 2 && snapshot.tenants[1].queued == 0)
        #expect(snapshot.partitions.map(\.partition) == [0, 2], "only the jobs topic's partitions")
        #expect(snapshot.partitions[1].lag == 40 && snapshot.partitions[1].unfinished == 15)
        #expect(snapshot.partitions[1].oldestUnfinishedSeconds == 40)
        #expect(snapshot.generatedAt == "2027-01-15T08:00:30Z")

        let json = try JSONSerialization.jsonObject(with: JSONEncoder().encode(snapshot)) as? [String: Any]
        let tenants = try #require(json?["tenants"] as? [[String: Any]])
        #expect(tenants[0]["in_flight"] as? Int == 3 && tenants[0]["oldest_queued_seconds"] as? Double == 30)
    }

    @Test(
        arguments: [
            ("", nil), ("abcdefghijklmnop", nil), ("a-b.c_d~e0123456789", nil),
            ("short", "must be at least 16 characters (or empty: no console), got 5"),
            ("abcdefghijklmnop;", "must use only letters, digits and - . _ ~ (it travels in a URL and a cookie)"),
            ("abcdefghijklmnopé", "must use only letters, digits and - . _ ~ (it travels in a URL and a cookie)"),
        ] as [(String, String?)]
    )
    func aConsoleTokenIsEmptyOrSixteenURLSafeCharacters(token: String, problem: String?) throws {
        var console = WorkerConfiguration.Console()
        console.token = token
        #expect(console.problem == problem)
        let yaml = "console:\n  token: \"\(token)\"\n"
        if let problem {
            let error = #expect(throws: ConfigurationError.self) {
                try WorkerConfiguration.parse(yaml: yaml, source: "faxd.yaml", environment: [:])
            }
            #expect(error?.path == "console.token")
            #expect(error?.reason == problem)
            #expect(!"\(String(describing: error))".contains(token), "the token is a secret")
        } else {
            #expect(try WorkerConfiguration.parse(yaml: yaml, source: "faxd.yaml", environment: [:]).console.token == token)
        }
    }
}

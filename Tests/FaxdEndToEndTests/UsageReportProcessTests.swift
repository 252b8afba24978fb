import FaxdCore
import FaxdKafka
import FaxdTestSupport
import Foundation
import Testing

/// `faxd usage report` as a process, reading usage events a `KafkaProducer` put on a `faxd broker`.
@Suite struct UsageReportProcessTests {
    let logger = KafkaFixtures.logger("test.e2e.usage")

    /// 2026-11-27T10:00:00Z.
    private static let ten = Date(timeIntervalSince1970: 1_795_773_600)
    private static let since = "2026-11-27T09:00:00Z"

    private static func at(minutes: Double) -> Date { ten.addingTimeInterval(minutes * 60) }

    /// The records of the fixture, in the order sent (each tenant's records share a partition, so
    /// this is also the order they are read in):
    ///
    /// - acme (sandbox): a0 held and captured (1 page) before `since`; a1 held and captured (3 pages),
    ///   its capture sent twice; a2 held and released (pages unknown); a3 held, still open; a4's
    ///   capture (2 pages) sent before its hold; a balance at 10:10 sent before an older one at 10:08;
    ///   and a record that is not JSON.
    /// - globex (live): g1 held and captured (5 pages); g2 held and released (1 page).
    /// - initech (sandbox): i1 held, still open; a balance.
    private static func records() -> [(tenant: String, value: [UInt8])] {
        let sandbox = EventFactory(source: .worker, environment: .sandbox)
        let live = EventFactory(source: .webhook, environment: .live)
        func job(_ tenant: String, _ fax: String) -> JobReference { JobReference(tenantID: tenant, jobID: "job-\(fax)") }
        let a1Capture = sandbox.usageCapture(job("acme", "a1"), faxID: "a1", pages: 3, occurredAt: at(minutes: 5))
        let acme: [UsageEvent] = [
            sandbox.usageHold(job("acme", "a0"), faxID: "a0", pages: nil, occurredAt: at(minutes: -120)),
            sandbox.usageCapture(job("acme", "a0"), faxID: "a0", pages: 1, occurredAt: at(minutes: -90)),
            sandbox.usageHold(job("acme", "a1"), faxID: "a1", pages: nil, occurredAt: at(minutes: 0)),
            a1Capture,
            a1Capture,
            sandbox.usageHold(job("acme", "a2"), faxID: "a2", pages: nil, occurredAt: at(minutes: 1)),
            sandbox.usageRelease(job("acme", "a2"), faxID: "a2", pages: nil, occurredAt: at(minutes: 6)),
            sandbox.usageHold(job("acme", "a3"), faxID: "a3", pages: nil, occurredAt: at(minutes: 2)),
            sandbox.usageCapture(job("acme", "a4"), faxID: "a4", pages: 2, occurredAt: at(minutes: 7)),
            sandbox.usageHold(job("acme", "a4"), faxID: "a4", pages: nil, occurredAt: at(minutes: 3)),
            sandbox.usageBalance(tenantID: "acme", crossingID: "c2", available: 5_000, held: 300, occurredAt: at(minutes: 10)),
            sandbox.usageBalance(tenantID: "acme", crossingID: "c1", available: 6_000, held: 0, occurredAt: at(minutes: 8)),
        ]
        let globex: [UsageEvent] = [
            live.usageHold(job("globex", "g1"), faxID: "g1", pages: nil, occurredAt: at(minutes: 0)),
            live.usageCapture(job("globex", "g1"), faxID: "g1", pages: 5, occurredAt: at(minutes: 4)),
            live.usageHold(job("globex", "g2"), faxID: "g2", pages: nil, occurredAt: at(minutes: 0)),
            live.usageRelease(job("globex", "g2"), faxID: "g2", pages: 1, occurredAt: at(minutes: 5)),
        ]
        let initech: [UsageEvent] = [
            sandbox.usageHold(job("initech", "i1"), faxID: "i1", pages: nil, occurredAt: at(minutes: 20)),
            sandbox.usageBalance(tenantID: "initech", crossingID: "c1", available: 100, held: 0, occurredAt: at(minutes: 0)),
        ]
        return (acme + globex + initech).map { ($0.tenantID, $0.jsonBytes()) } + [("acme", Array("not json {".utf8))]
    }

    /// Starts `faxd broker` and sends the fixture to `topic`. - Returns: the broker and its bootstrap servers.
    private func brokerWithUsage(topic: String = "fax.usage") async throws -> (ManagedProcess, String) {
        let broker = try ManagedProcess(ManagedProcess.faxdExecutable, ["broker", "--brokers", "1", "--partitions", "3", "--topic", topic])
        let bootstrap = try await broker.firstLines(1)[0]
        let producer = try KafkaProducer(configuration: .init(bootstrapServers: bootstrap), logger: logger)
        for record in Self.records() {
            _ = try await producer.send(KafkaOutgoingMessage(topic: topic, key: Array(record.tenant.utf8), value: record.value))
        }
        await producer.close()
        return (broker, bootstrap)
    }

    /// The table's rows by their first cell: the numbers, then the latest balance.
    private static func rows(_ lines: [String]) -> [String: (numbers: [Int], balance: String)] {
        var rows: [String: (numbers: [Int], balance: String)] = [:]
        for line in lines.dropFirst().dropLast() {
            let cells = line.split(separator: " ").map(String.init)
            let numbersStart = cells.first == "total" ? 1 : 2
            let numbers = cells.dropFirst(numbersStart).prefix(6).compactMap { Int($0) }
            rows[cells[0]] = (numbers, cells.dropFirst(numbersStart + 6).joined(separator: " "))
        }
        return rows
    }

    private static func report(_ arguments: [String], environment: [String: String] = [:]) async throws -> ManagedProcess {
        let process = try ManagedProcess(ManagedProcess.faxdExecutable, ["usage", "report"] + arguments, environment: environment)
        #expect(try await process.waitForExit() == 0, "stderr: \(process.standardError)")
        return process
    }

    @Test func tableCountsEachEventOnceWhateverTheOrderAndSkipsWhatIsNotAnEvent() async throws {
        let (broker, bootstrap) = try await brokerWithUsage()
        let lines = try await Self.report(["--brokers", bootstrap]).outputLines
        #expect(
            lines.first?.replacingOccurrences(of: " +", with: " ", options: .regularExpression)
                == "tenant environment held open holds captured pages captured released pages released latest balance (cents)"
        )
        let rows = Self.rows(lines)
        #expect(rows.count == 4, "\(lines)")
        #expect(rows["acme"]?.numbers == [5, 1, 3, 6, 1, 0])
        #expect(rows["acme"]?.balance == "available 5000, held 300 at 2026-11-27T10:10:00Z")
        #expect(rows["globex"]?.numbers == [2, 0, 1, 5, 1, 1])
        #expect(rows["globex"]?.balance == "-")
        #expect(rows["initech"]?.numbers == [1, 1, 0, 0, 0, 0])
        #expect(rows["initech"]?.balance == "available 100, held 0 at 2026-11-27T10:00:00Z")
        #expect(rows["total"]?.numbers == [8, 2, 4, 11, 2, 1])
        #expect(lines.map { $0.split(separator: " ").prefix(2).joined(separator: " ") }.contains("globex live"))
        #expect(
            lines.last
                == "19 records read: 17 counted, 1 duplicate dropped, 0 before --since, 0 of an unknown type, 1 skipped (not a usage event)"
        )
        #expect(try await broker.stop() == 0)
    }

    @Test func sinceLeavesOutEarlierEventsAndBrokersComeFromTheEnvironment() async throws {
        let (broker, bootstrap) = try await brokerWithUsage()
        let lines = try await Self.report(["--since", Self.since], environment: ["FAXD_KAFKA_BOOTSTRAP_SERVERS": bootstrap]).outputLines
        let rows = Self.rows(lines)
        #expect(rows["acme"]?.numbers == [4, 1, 2, 5, 1, 0], "\(lines)")
        #expect(rows["globex"]?.numbers == [2, 0, 1, 5, 1, 1])
        #expect(rows["initech"]?.numbers == [1, 1, 0, 0, 0, 0])
        #expect(rows["total"]?.numbers == [7, 2, 3, 10, 2, 1])
        #expect(
            lines.last
                == "19 records read: 15 counted, 1 duplicate dropped, 2 before --since 2026-11-27T09:00:00Z, 0 of an unknown type, 1 skipped (not a usage event)"
        )
        #expect(try await broker.stop() == 0)
    }

    /// The JSON of the report, as a consumer in another language would read it.
    private struct ReportJSON: Decodable {
        struct Tenant: Decodable {
            struct Balance: Decodable, Equatable {
                var available: Int
                var held: Int
                var occurred_at: String
            }

            var tenant_id: String
            var environment: String
            var held: Int
            var open_holds: Int
            var captured: Int
            var pages_captured: Int
            var released: Int
            var pages_released: Int
            var balance: Balance?
        }

        var since: String?
        var records: [String: Int]
        var totals: [String: Int]
        var tenants: [Tenant]
    }

    @Test func jsonCarriesTheSameNumbersInAStableKeyOrder() async throws {
        let topic = UniqueName.make("usage")
        let (broker, bootstrap) = try await brokerWithUsage(topic: topic)
        let process = try await Self.report(["--brokers", bootstrap, "--topic", topic, "--since", Self.since, "--format", "json"])
        let text = process.outputLines.joined(separator: "\n")
        let report = try JSONDecoder().decode(ReportJSON.self, from: Data(text.utf8))
        #expect(report.since == Self.since)
        #expect(report.records == ["read": 19, "counted": 15, "duplicates_dropped": 1, "before_since": 2, "unknown_type": 0, "skipped": 1])
        #expect(report.totals == ["held": 7, "open_holds": 2, "captured": 3, "pages_captured": 10, "released": 2, "pages_released": 1])
        #expect(report.tenants.map { "\($0.tenant_id)/\($0.environment)" } == ["acme/sandbox", "globex/live", "initech/sandbox"])
        let acme = try #require(report.tenants.first)
        #expect(
            [acme.held, acme.open_holds, acme.captured, acme.pages_captured, acme.released, acme.pages_released]
                == [Int]([4, 1, 2, 5, 1, 0])
        )
        #expect(acme.balance == .init(available: 5_000, held: 300, occurred_at: "2026-11-27T10:10:00Z"))
        #expect(report.tenants[1].balance == nil)
        // Sorted keys: the top-level keys come in alphabetical order.
        let positions = ["records", "since", "tenants", "totals"].compactMap { text.range(of: "\"\($0)\"")?.lowerBound }
        #expect(positions.count == 4 && positions == positions.sorted(), "\(text)")
        #expect(try await broker.stop() == 0)
    }

    @Test func anEmptyTopicGivesAReportOfZeros() async throws {
        let broker = try ManagedProcess(ManagedProcess.faxdExecutable, ["broker", "--brokers", "1", "--partitions", "2"])
        let bootstrap = try await broker.firstLines(1)[0]
        let lines = try await Self.report(["--brokers", bootstrap]).outputLines
        #expect(lines.count == 3, "\(lines)")
        #expect(Self.rows(lines)["total"]?.numbers == [0, 0, 0, 0, 0, 0])
        #expect(lines.last?.hasPrefix("0 records read: 0 counted, 0 duplicates dropped") == true)
        #expect(try await broker.stop() == 0)
    }

    @Test(arguments: [
        (["--since", "yesterday"], "--since"),
        (["--since", "2026-11-27 09:00:00"], "--since"),
        (["--format", "csv"], "--format"),
    ])
    func badFlagsAreNamedInOneLine(arguments: [String], flag: String) async throws {
        // No broker: a bad flag is refused before anything connects.
        let process = try ManagedProcess(ManagedProcess.faxdExecutable, ["usage", "report", "--brokers", "127.0.0.1:1"] + arguments)
        #expect(try await process.waitForExit() != 0)
        let firstLine = process.standardError.split(separator: "\n").first.map(String.init) ?? ""
        #expect(firstLine.contains(flag), "stderr: \(process.standardError)")
        #expect(process.outputLines.isEmpty)
    }
}

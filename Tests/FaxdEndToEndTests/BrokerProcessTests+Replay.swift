import FaxdKafka
import FaxdTestSupport
import Foundation
import Testing

/// `faxd replay` as a process against `faxd broker`, whose ListOffsets answers no timestamps: times
/// are found from the records' own (producer-set) timestamps.
extension BrokerProcessTests {
    /// 2026-11-27T08:00:00Z; record i of each partition is written i minutes after it.
    private static let firstWrite: Int64 = 1_795_766_400_000

    private static func minute(_ index: Int64) -> String {
        let date = Date(timeIntervalSince1970: Double(firstWrite + index * 60_000) / 1000)
        return ISO8601DateFormatter().string(from: date)
    }

    /// `tenants[i % tenants.count]`'s job i on each partition of `topic`, written at minute i.
    private func writeJobs(_ bootstrap: String, partitions: Int32, perPartition: Int, tenants: [String]) async throws {
        let producer = try KafkaProducer(configuration: .init(bootstrapServers: bootstrap), logger: logger)
        for partition in 0..<partitions {
            for index in 0..<perPartition {
                let tenant = tenants[index % tenants.count]
                _ = try await producer.send(
                    KafkaOutgoingMessage(
                        topic: "fax.jobs",
                        partition: partition,
                        key: Array(tenant.utf8),
                        value: Array("\(tenant)-\(partition)-\(index)".utf8),
                        headers: [KafkaHeader(name: "traceparent", string: "00-\(partition)-\(index)")],
                        timestampMilliseconds: Self.firstWrite + Int64(index) * 60_000
                    )
                )
            }
        }
        await producer.close()
    }

    /// Runs `faxd replay` with `arguments`. - Returns: its exit status, stdout lines with each run of
    /// spaces made one, and stderr.
    private func replay(_ bootstrap: String, _ arguments: [String]) async throws -> (status: Int32, lines: [String], error: String) {
        let process = try ManagedProcess(ManagedProcess.faxdExecutable, ["replay", "--brokers", bootstrap] + arguments)
        let status = try await process.waitForExit()
        return (status, process.outputLines.map { $0.split(separator: " ").joined(separator: " ") }, process.standardError)
    }

    @Test func aGroupReplayByTimeNeverMovesAPartitionPastWhereTheGroupIs() async throws {
        let broker = try ManagedProcess(ManagedProcess.faxdExecutable, ["broker", "--brokers", "1", "--partitions", "2"])
        let bootstrap = try await broker.firstLines(1)[0]
        try await writeJobs(bootstrap, partitions: 2, perPartition: 10, tenants: ["acme"])
        let admin = try KafkaAdmin(configuration: .init(bootstrapServers: bootstrap), logger: logger)
        let partitions = (0..<2).map { KafkaTopicPartition(topic: "fax.jobs", partition: Int32($0)) }
        let group = UniqueName.make("workers")
        // A lagging group: 7 jobs ahead of it on partition 0, 2 on partition 1.
        try await admin.alterCommittedOffsets(group: group, offsets: [partitions[0]: 3, partitions[1]: 8])

        let dryRun = try await replay(bootstrap, ["--group", group, "--to-time", Self.minute(5), "--dry-run"])
        #expect(dryRun.status == 0, "\(dryRun.error)")
        #expect(
            dryRun.lines == [
                "partition committed time offset new offset read again still ahead",
                "0 3 5 3 0 7",
                "1 8 5 5 3 2",
                "dry run: 3 records would be read again by group \(group), 9 are still ahead of it; nothing changed",
            ]
        )
        #expect(try await admin.committedOffsets(group: group, partitions: partitions) == [partitions[0]: 3, partitions[1]: 8])

        let moved = try await replay(bootstrap, ["--group", group, "--to-time", Self.minute(5)])
        #expect(moved.status == 0, "\(moved.error)")
        #expect(try await admin.committedOffsets(group: group, partitions: partitions) == [partitions[0]: 3, partitions[1]: 5])

        // After every record: nothing to read again, and no partition moved forward.
        let afterAll = try await replay(bootstrap, ["--group", group, "--to-time", Self.minute(60)])
        #expect(afterAll.status == 0, "\(afterAll.error)")
        #expect(try await admin.committedOffsets(group: group, partitions: partitions) == [partitions[0]: 3, partitions[1]: 5])

        let beforeAll = try await replay(bootstrap, ["--group", group, "--to-time", Self.minute(-60)])
        #expect(beforeAll.status == 0, "\(beforeAll.error)")
        #expect(
            beforeAll.lines.last
                == "group \(group) moved: 8 records will be read again, 12 are still ahead (same idempotency keys, no second fax)"
        )
        #expect(try await admin.committedOffsets(group: group, partitions: partitions) == [partitions[0]: 0, partitions[1]: 0])
        await admin.close()
        #expect(try await broker.stop() == 0)
    }

    @Test func aReplayOfAGroupWithALiveMemberIsRefusedAndChangesNothing() async throws {
        let broker = try ManagedProcess(ManagedProcess.faxdExecutable, ["broker", "--brokers", "1", "--partitions", "2"])
        let bootstrap = try await broker.firstLines(1)[0]
        try await writeJobs(bootstrap, partitions: 2, perPartition: 4, tenants: ["acme"])
        let group = UniqueName.make("workers")
        let partitions = (0..<2).map { KafkaTopicPartition(topic: "fax.jobs", partition: Int32($0)) }
        let worker = try KafkaConsumer(
            configuration: KafkaFixtures.consumerConfiguration(bootstrapServers: bootstrap, groupID: group),
            logger: logger
        )
        try worker.subscribe(topics: ["fax.jobs"])
        try await Eventually.wait(for: "the worker to hold both partitions") { Set(try worker.assignment()) == Set(partitions) }
        try await worker.commit([partitions[0]: 4, partitions[1]: 4])

        let refused = try await replay(bootstrap, ["--group", group, "--to-beginning"])
        #expect(refused.status != 0)
        #expect(refused.error.contains("group \(group) has active members: stop every faxd worker of the group"), "\(refused.error)")
        let admin = try KafkaAdmin(configuration: .init(bootstrapServers: bootstrap), logger: logger)
        // The mock cluster can be slow to answer for a group it has just refused to alter: the default
        // 10 s ran out once in CI (a second `make test` in a row).
        let committed = try await admin.committedOffsets(group: group, partitions: partitions, timeout: .seconds(45))
        #expect(committed == [partitions[0]: 4, partitions[1]: 4])
        await admin.close()
        try await worker.close()
        #expect(try await broker.stop() == 0)
    }

    @Test func aTenantReplayRepublishesOnlyThatTenantsJobsOfTheTimeRangeToTheirPartitions() async throws {
        let broker = try ManagedProcess(ManagedProcess.faxdExecutable, ["broker", "--brokers", "1", "--partitions", "2"])
        let bootstrap = try await broker.firstLines(1)[0]
        try await writeJobs(bootstrap, partitions: 2, perPartition: 12, tenants: ["acme", "globex", "initech"])
        let range = ["--to-time", Self.minute(3), "--until", Self.minute(9)]

        let dryRun = try await replay(bootstrap, ["--tenant", "acme", "--tenant", "initech", "--dry-run"] + range)
        #expect(dryRun.status == 0, "\(dryRun.error)")
        // Minutes 3..8 of each partition: acme writes at 3 and 6, initech at 5 and 8.
        #expect(
            dryRun.lines == [
                "acme 4 jobs", "initech 4 jobs", "dry run: 8 jobs of 2 tenants would be re-published to fax.jobs; nothing published",
            ]
        )

        let published = try await replay(bootstrap, ["--tenant", "acme", "--tenant", "initech"] + range)
        #expect(published.status == 0, "\(published.error)")
        let reader = try await KafkaTopicSnapshotReader(
            topic: "fax.jobs",
            configuration: .init(bootstrapServers: bootstrap),
            logger: logger
        )
        var replayed: [String] = []
        try await reader.starting(at: reader.watermarks.mapValues { _ in 12 }).read { record in
            let origin = record.header("faxd.replayed-from").map { String(decoding: $0, as: UTF8.self) }
            let value = String(decoding: record.value, as: UTF8.self)
            #expect(
                value.hasPrefix(String(decoding: record.key ?? [], as: UTF8.self) + "-\(record.partition)-"),
                "moved to another partition: \(value)"
            )
            #expect(origin.map { $0.hasPrefix("fax.jobs/\(record.partition)/") } == true)
            #expect(record.header("traceparent") != nil, "the producer's header was dropped")
            replayed.append(value)
        }
        #expect(
            Set(replayed)
                == Set(
                    (0..<2).flatMap { partition in
                        [3, 5, 6, 8].map { index in "\(index % 3 == 0 ? "acme" : "initech")-\(partition)-\(index)" }
                    }
                )
        )
        #expect(replayed.count == 8)
        #expect(try await broker.stop() == 0)
    }
}

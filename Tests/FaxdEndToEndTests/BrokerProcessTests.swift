import FaxdKafka
import FaxdTestSupport
import Foundation
import Testing

/// `faxd broker` as a separate process, with kcat as the producer and consumer that isn't ours.
@Suite struct BrokerProcessTests {
    let logger = KafkaFixtures.logger("test.e2e")

    @Test func kcatProducesToFaxdBrokerAndSwiftReadsEveryRecord() async throws {
        let topic = UniqueName.make("kcat-in")
        let broker = try ManagedProcess(ManagedProcess.faxdExecutable, ["broker", "--brokers", "2", "--partitions", "3", "--topic", topic])
        let bootstrap = try await broker.firstLines(1)[0]
        #expect(bootstrap.contains("127.0.0.1:") || bootstrap.contains("localhost:"))

        let records = (0..<500).map { "tenant-\($0 % 7)\tjob-\($0)" }
        let kcat = try ManagedProcess(ManagedProcess.kcat, ["-P", "-b", bootstrap, "-t", topic, "-K", "\t"])
        try kcat.send(stdin: Data((records.joined(separator: "\n") + "\n").utf8))
        #expect(try await kcat.waitForExit() == 0, "kcat failed: \(kcat.standardError)")

        let consumer = try KafkaConsumer(
            configuration: KafkaFixtures.consumerConfiguration(bootstrapServers: bootstrap, groupID: UniqueName.make("g")),
            logger: logger
        )
        try consumer.subscribe(topics: [topic])
        var seen: [String: String] = [:]
        for try await record in consumer.records {
            seen[String(decoding: record.value, as: UTF8.self)] = String(decoding: record.key ?? [], as: UTF8.self)
            if seen.count == records.count { break }
        }
        for i in 0..<500 { #expect(seen["job-\(i)"] == "tenant-\(i % 7)") }
        try await consumer.close()
        #expect(try await broker.stop() == 0)
    }

    /// Standard input takes a broker down and up (outage drills, `make soak`): kcat, a client that
    /// isn't ours, finds no broker while it is down and the topic again once it is up.
    @Test func standardInputTakesABrokerDownAndUp() async throws {
        let topic = UniqueName.make("drill")
        let broker = try ManagedProcess(ManagedProcess.faxdExecutable, ["broker", "--brokers", "1", "--partitions", "1", "--topic", topic])
        let bootstrap = try await broker.firstLines(1)[0]
        func metadata() async throws -> (status: Int32, output: String) {
            let kcat = try ManagedProcess(ManagedProcess.kcat, ["-L", "-b", bootstrap, "-t", topic, "-m", "2"])
            let status = try await kcat.waitForExit()
            return (status, kcat.outputLines.joined(separator: "\n"))
        }
        #expect(try await metadata().output.contains("topic \"\(topic)\""))

        try broker.write(stdin: Data("down 1\nup 7\nrestart 1\n".utf8))
        let answers = try await broker.firstLines(4).dropFirst()
        #expect(answers.first == "ok down 1")
        #expect(answers.dropFirst().allSatisfy { $0.hasPrefix("error: expected `down ID` or `up ID`") }, "\(answers)")
        #expect(try await metadata().status != 0, "kcat read metadata from a broker that is down")

        try broker.write(stdin: Data("up 1\n".utf8))
        #expect(try await broker.firstLines(5).last == "ok up 1")
        try await Eventually.wait(for: "the broker to answer again", timeout: .seconds(30)) {
            try await metadata().output.contains("topic \"\(topic)\"")
        }
        #expect(try await broker.stop() == 0)
    }

    @Test func swiftProducesAndKcatReadsEveryRecord() async throws {
        let topic = UniqueName.make("kcat-out")
        let broker = try ManagedProcess(ManagedProcess.faxdExecutable, ["broker", "--brokers", "1", "--partitions", "4", "--topic", topic])
        let bootstrap = try await broker.firstLines(1)[0]
        let producer = try KafkaProducer(configuration: .init(bootstrapServers: bootstrap), logger: logger)
        try await KafkaFixtures.produce(producer, topic: topic, count: 300, keys: 10)
        await producer.close()

        let kcat = try ManagedProcess(ManagedProcess.kcat, ["-C", "-b", bootstrap, "-t", topic, "-e", "-q", "-f", "%k %s\\n"])
        #expect(try await kcat.waitForExit() == 0, "kcat failed: \(kcat.standardError)")
        let lines = Set(kcat.outputLines)
        #expect(lines == Set((0..<300).map { "k\($0 % 10) v\($0)" }))
        #expect(try await broker.stop() == 0)
    }

    @Test func replayShowsWhatItWouldDoThenMovesTheGroupBack() async throws {
        let broker = try ManagedProcess(ManagedProcess.faxdExecutable, ["broker", "--brokers", "1", "--partitions", "2"])
        let bootstrap = try await broker.firstLines(1)[0]
        let producer = try KafkaProducer(configuration: .init(bootstrapServers: bootstrap), logger: logger)
        try await KafkaFixtures.produce(producer, topic: "fax.jobs", count: 10, keys: 4)
        await producer.close()
        let admin = try KafkaAdmin(configuration: .init(bootstrapServers: bootstrap), logger: logger)
        let partitions = (0..<2).map { KafkaTopicPartition(topic: "fax.jobs", partition: Int32($0)) }
        var ends: [KafkaTopicPartition: Int64] = [:]
        for partition in partitions { ends[partition] = try await admin.watermarks(partition).high }
        let group = UniqueName.make("workers")
        try await admin.alterCommittedOffsets(group: group, offsets: ends)  // the workers were done

        let dryRun = try ManagedProcess(
            ManagedProcess.faxdExecutable,
            ["replay", "--brokers", bootstrap, "--group", group, "--to-beginning", "--dry-run"]
        )
        #expect(try await dryRun.waitForExit() == 0, "\(dryRun.standardError)")
        #expect(
            dryRun.outputLines.last == "dry run: 10 records would be read again by group \(group), 0 are still ahead of it; nothing changed"
        )
        #expect(try await admin.committedOffsets(group: group, partitions: partitions) == ends.mapValues { $0 })

        let replay = try ManagedProcess(
            ManagedProcess.faxdExecutable,
            ["replay", "--brokers", bootstrap, "--group", group, "--to-beginning"]
        )
        #expect(try await replay.waitForExit() == 0, "\(replay.standardError)")
        #expect(try await admin.committedOffsets(group: group, partitions: partitions) == [partitions[0]: 0, partitions[1]: 0])
        await admin.close()
        #expect(try await broker.stop() == 0)
    }

    /// `faxd broker` creates topics on first use, as clusters with `auto.create.topics.enable` do: a
    /// mistyped topic must fail the command in one line and be left uncreated — read from or written to.
    @Test func aMistypedTopicFailsEveryCommandInOneLineAndIsNotCreated() async throws {
        let broker = try ManagedProcess(ManagedProcess.faxdExecutable, ["broker", "--brokers", "1", "--partitions", "2"])
        let bootstrap = try await broker.firstLines(1)[0]
        let runs: [(arguments: [String], missing: String)] = [
            (["replay", "--topic", "fax.job", "--to-beginning", "--dry-run"], "fax.job"),
            (["redrive", "--topic", "fax.jbos", "--dry-run"], "fax.jbos"),
            (["redrive", "--dlq-topic", "fax.jobs.dl", "--dry-run"], "fax.jobs.dl"),
            (["usage", "report", "--topic", "fax.usag"], "fax.usag"),
            (
                [
                    "enqueue", "--topic", "fax.jobz", "--tenant", "acme", "--job", "j1", "--to", "+12125551234", "--url",
                    "https://example.com/a.pdf",
                ], "fax.jobz"
            ),
        ]
        for run in runs {
            let process = try ManagedProcess(ManagedProcess.faxdExecutable, run.arguments + ["--brokers", bootstrap])
            #expect(try await process.waitForExit() != 0, "\(run.arguments)")
            let lines = process.standardError.split(separator: "\n")
            #expect(
                lines.count == 1 && lines[0].contains("topic \(run.missing) does not exist"),
                "\(run.arguments): \(process.standardError)"
            )
        }
        let admin = try KafkaAdmin(configuration: .init(bootstrapServers: bootstrap), logger: logger)
        for missing in runs.map(\.missing) {
            let error = await #expect(throws: KafkaError.self) { try await admin.partitionCount(topic: missing) }
            #expect(error?.code == .unknownTopicOrPartition, "\(missing)")
        }
        #expect(try await admin.partitionCount(topic: "fax.jobs") == 2)
        await admin.close()
        #expect(try await broker.stop() == 0)
    }

    @Test func keyCommandPrintsTheDesignKey() async throws {
        let key = try ManagedProcess(ManagedProcess.faxdExecutable, ["key", "--tenant", "acme", "--job", "inv-1"])
        #expect(try await key.waitForExit() == 0)
        #expect(key.outputLines == ["c020cab0-5fa5-575d-8617-acd6fc49e2c0"])
    }

    @Test(arguments: [
        (["broker", "--partitions", "0"], "--partitions"),
        (["broker", "--brokers", "x"], "--brokers"),
        (["key", "--tenant", "acme", "--job", "j", "--namespace", "nope"], "--namespace"),
        (["replay", "--to-time", "yesterday"], "--to-time"),
        (["replay"], "--to-beginning"),
        (["redrive", "--since", "yesterday"], "--since"),
        (["redrive", "--since", "2026-11-27T09:00:00Z", "--until", "2026-11-27T08:00:00Z"], "--until"),
        (["redrive", "--topic", "fax.jobs.dlq"], "--dlq-topic"),
        (["enqueue", "--job", "j1", "--tenant", "acme"], "--to"),
        (["enqueue", "--job", "j1", "--tenant", "acme", "--to", "+12125551234"], "--file or --url"),
        (["enqueue", "--tenant", "acme"], "--job"),
    ])
    func badFlagsAreNamedInOneLine(arguments: [String], flag: String) async throws {
        let process = try ManagedProcess(ManagedProcess.faxdExecutable, arguments)
        #expect(try await process.waitForExit() != 0)
        let firstLine = process.standardError.split(separator: "\n").first.map(String.init) ?? ""
        #expect(firstLine.contains(flag), "stderr: \(process.standardError)")
    }
}

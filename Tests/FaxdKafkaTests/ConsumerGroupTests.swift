import FaxdKafka
import FaxdTestSupport
import Logging
import Synchronization
import Testing

/// Consumer groups on the mock cluster: hand-overs lose nothing and stored offsets survive them.
@Suite(.serialized) struct ConsumerGroupTests {
    let logger = KafkaFixtures.logger("test.kafka.group")

    @Test func twentyThousandRecordsAcrossAGroupThatGrowsMidway() async throws {
        let cluster = try MockKafkaCluster(brokers: 3, logger: logger)
        let topic = UniqueName.make("group")
        let group = UniqueName.make("g")
        let total = 20_000
        try cluster.createTopic(topic, partitions: 6)
        let producer = try KafkaProducer(configuration: .init(bootstrapServers: cluster.bootstrapServers), logger: logger)
        // Half now, half once the third member holds partitions, so that it joins midway for real.
        try await KafkaFixtures.produce(producer, topic: topic, count: total / 2, keys: 600)

        let ledger = GroupLedger()
        let config = KafkaFixtures.consumerConfiguration(bootstrapServers: cluster.bootstrapServers, groupID: group)
        try await withThrowingTaskGroup(of: Void.self) { tasks in
            var members: [GroupMember] = []
            for name in ["a", "b"] {
                let member = try GroupMember(name: name, configuration: config, topic: topic, ledger: ledger, logger: logger)
                members.append(member)
                tasks.addTask { try await member.run() }
            }
            try await Eventually.wait(for: "a third of the records", timeout: .seconds(60)) { ledger.distinctCount >= total / 3 }
            let third = try GroupMember(name: "c", configuration: config, topic: topic, ledger: ledger, logger: logger)
            members.append(third)
            tasks.addTask { try await third.run() }
            try await Eventually.wait(for: "the third member's partitions", timeout: .seconds(60)) { ledger.assignedMembers.contains("c") }
            try await KafkaFixtures.produce(producer, topic: topic, count: total / 2, keys: 600, startingAt: total / 2)

            try await Eventually.wait(for: "every record", timeout: .seconds(120)) { ledger.distinctCount == total }
            try await Eventually.wait(for: "a revocation", timeout: .seconds(60)) { !ledger.revocations.isEmpty }

            let admin = try KafkaAdmin(configuration: .init(bootstrapServers: cluster.bootstrapServers), logger: logger)
            let partitions = (0..<6).map { KafkaTopicPartition(topic: topic, partition: Int32($0)) }
            var highWatermarks: [KafkaTopicPartition: Int64?] = [:]
            for partition in partitions { highWatermarks[partition] = try await admin.watermarks(partition).high }
            #expect(highWatermarks.values.compactMap { $0 }.reduce(0, +) == Int64(total))
            try await Eventually.wait(for: "committed offsets at the high watermarks", timeout: .seconds(60)) {
                try await admin.committedOffsets(group: group, partitions: partitions) == highWatermarks
            }
            await admin.close()
            for member in members { try await member.consumer.close() }
            try await tasks.waitForAll()
        }

        // The revoke hook ran while the partitions were still assigned, and the offsets it stored held.
        let revocations = ledger.revocations
        #expect(!revocations.isEmpty)
        for revocation in revocations {
            #expect(revocation.stillAssigned.isSuperset(of: revocation.partitions), "revoke hook ran after the partitions left")
            if !revocation.lost { #expect(revocation.storeFailures == 0, "an offset stored in the revoke hook was refused") }
        }
        #expect(ledger.assignedMembers.contains("c"), "the third member never got partitions")
        await producer.close()
        await cluster.shutdown()
    }

    @Test func aRestartedMemberContinuesFromTheCommittedOffsets() async throws {
        let cluster = try MockKafkaCluster(brokers: 1, logger: logger)
        let topic = UniqueName.make("restart")
        let group = UniqueName.make("g")
        try cluster.createTopic(topic, partitions: 3)
        let producer = try KafkaProducer(configuration: .init(bootstrapServers: cluster.bootstrapServers), logger: logger)
        try await KafkaFixtures.produce(producer, topic: topic, count: 600)
        let config = KafkaFixtures.consumerConfiguration(bootstrapServers: cluster.bootstrapServers, groupID: group)

        // The first life processes 200 records, stores their offsets and is closed mid-work.
        var processed: [KafkaTopicPartition: Int64] = [:]
        var firstLife: Set<String> = []
        let first = try KafkaConsumer(configuration: config, logger: logger)
        try first.subscribe(topics: [topic])
        for try await record in first.records {
            try first.storeOffset(record.topicPartition, nextOffset: record.offset + 1)
            processed[record.topicPartition] = record.offset + 1
            firstLife.insert(String(decoding: record.value, as: UTF8.self))
            if firstLife.count == 200 { break }
        }
        try await first.close()

        let second = try KafkaConsumer(configuration: config, logger: logger)
        try second.subscribe(topics: [topic])
        var secondLife: Set<String> = []
        var firstOffsets: [KafkaTopicPartition: Int64] = [:]
        for try await record in second.records {
            if firstOffsets[record.topicPartition] == nil { firstOffsets[record.topicPartition] = record.offset }
            secondLife.insert(String(decoding: record.value, as: UTF8.self))
            if secondLife.count == 400 { break }
        }
        // It starts exactly where the first life's stored offsets ended: nothing skipped, nothing redone.
        for (partition, offset) in firstOffsets { #expect(offset == processed[partition] ?? 0) }
        #expect(firstLife.isDisjoint(with: secondLife))
        #expect(firstLife.union(secondLife).count == 600)
        try await second.close()
        await producer.close()
        await cluster.shutdown()
    }

    @Test func aBrokerDownAndBackLosesNothing() async throws {
        let cluster = try MockKafkaCluster(brokers: 3, logger: logger)
        let topic = UniqueName.make("outage")
        try cluster.createTopic(topic, partitions: 3)
        for partition in 0..<3 {
            try cluster.setPartitionLeader(KafkaTopicPartition(topic: topic, partition: Int32(partition)), brokerID: Int32(partition + 1))
        }
        let producer = try KafkaProducer(configuration: .init(bootstrapServers: cluster.bootstrapServers), logger: logger)
        let consumer = try KafkaConsumer(
            configuration: KafkaFixtures.consumerConfiguration(bootstrapServers: cluster.bootstrapServers, groupID: UniqueName.make("g")),
            logger: logger
        )
        try consumer.subscribe(topics: [topic])
        let seen = Mutex<Set<String>>([])
        let reader = Task {
            for try await record in consumer.records {
                let count = seen.withLock {
                    $0.insert(String(decoding: record.value, as: UTF8.self))
                    return $0.count
                }
                if count == 1_000 { return }
            }
        }
        try await KafkaFixtures.produce(producer, topic: topic, count: 300)
        try await Eventually.wait(for: "the first records") { seen.withLock { $0.count } == 300 }

        // Every broker leads one partition: one is down while records are sent.
        try cluster.setBrokerDown(2)
        let sending = Task { try await KafkaFixtures.produce(producer, topic: topic, count: 700, startingAt: 300) }
        try await Eventually.wait(for: "records reaching the brokers still up", timeout: .seconds(30)) { seen.withLock { $0.count } > 400 }
        #expect(seen.withLock { $0.count } < 1_000, "the broker down held nothing back")
        try cluster.setBrokerUp(2)
        try await sending.value
        try await reader.value
        #expect(seen.withLock { $0.count } == 1_000)
        try await consumer.close()
        await producer.close()
        await cluster.shutdown()
    }

    @Test func adminReadsAndMovesAGroupsCommittedOffsets() async throws {
        let cluster = try MockKafkaCluster(brokers: 1, logger: logger)
        let topic = UniqueName.make("admin")
        let group = UniqueName.make("g")
        try cluster.createTopic(topic, partitions: 2)
        let admin = try KafkaAdmin(configuration: .init(bootstrapServers: cluster.bootstrapServers), logger: logger)
        #expect(try await admin.partitionCount(topic: topic) == 2)
        let p0 = KafkaTopicPartition(topic: topic, partition: 0)
        let p1 = KafkaTopicPartition(topic: topic, partition: 1)
        #expect(try await admin.committedOffsets(group: group, partitions: [p0, p1]) == [p0: nil, p1: nil])
        try await admin.alterCommittedOffsets(group: group, offsets: [p0: 7, p1: 0])
        #expect(try await admin.committedOffsets(group: group, partitions: [p0, p1]) == [p0: 7, p1: 0])
        await admin.close()
        await cluster.shutdown()
    }

    /// librdkafka 2.0.2 aborts (`assignor_state`, its issue #4312) when a cooperative-sticky member is
    /// destroyed after its group chose the assignor and before its first assignment: a worker stopped
    /// while it joins. Here every SyncGroup fails, so the member has joined and is never assigned.
    @Test func aMemberClosedWhileItJoinsClosesWithoutAborting() async throws {
        let cluster = try MockKafkaCluster(brokers: 1, logger: logger)
        let topic = UniqueName.make("joining")
        try cluster.createTopic(topic, partitions: 2)
        cluster.pushRequestErrors(apiKey: 14, Array(repeating: .rebalanceInProgress, count: 100_000))  // SyncGroup
        let lines = LogCapture()
        var captured = Logger(label: "test.kafka.joining") { _ in lines }
        captured.logLevel = .debug
        let consumer = try KafkaConsumer(
            configuration: KafkaFixtures.consumerConfiguration(
                bootstrapServers: cluster.bootstrapServers,
                groupID: UniqueName.make("g"),
                properties: ["debug": "cgrp"]
            ),
            logger: captured
        )
        try consumer.subscribe(topics: [topic])
        try await Eventually.wait(for: "a JoinGroup answered and a SyncGroup refused") {
            lines.contains("JoinGroup response") && lines.contains("SyncGroup")
        }
        try await consumer.close(timeout: .seconds(10))
        #expect(lines.contains("before its first assignment"))
        await cluster.shutdown()
    }

    /// The mock cluster, like many clusters, creates a topic named in a metadata request that allows
    /// it: a mistyped topic given to `replay`, `redrive` or `usage report` must be reported missing,
    /// not created empty.
    @Test func aLookupOfAMissingTopicSaysSoAndCreatesNothing() async throws {
        let cluster = try MockKafkaCluster(brokers: 1, logger: logger)
        let admin = try KafkaAdmin(configuration: .init(bootstrapServers: cluster.bootstrapServers), logger: logger)
        let typo = UniqueName.make("typo")
        for _ in 0..<2 {  // the second lookup would find what the first created
            let error = await #expect(throws: KafkaError.self) { try await admin.watermarks(ofTopic: typo) }
            #expect(error?.code == .unknownTopicOrPartition)
        }
        let readerError = await #expect(throws: KafkaError.self) {
            try await KafkaTopicSnapshotReader(
                topic: typo,
                configuration: .init(bootstrapServers: cluster.bootstrapServers),
                logger: logger
            )
        }
        #expect(readerError?.code == .unknownTopicOrPartition)
        await admin.close()
        await cluster.shutdown()
    }

    /// librdkafka 2.0.2's mock cluster has no controller for CreateTopics: the request must fail with a
    /// bounded, readable error rather than hang.
    @Test func createTopicsFailsClearlyWhereTheClusterCannotServeIt() async throws {
        let cluster = try MockKafkaCluster(brokers: 1, logger: logger)
        let admin = try KafkaAdmin(configuration: .init(bootstrapServers: cluster.bootstrapServers), logger: logger)
        let clock = ContinuousClock()
        let started = clock.now
        await #expect {
            try await admin.createTopics([(UniqueName.make("created"), 3, 1)], timeout: .seconds(2))
        } throws: { error in
            guard let error = error as? KafkaError else { return false }
            return error.code == .timedOut && error.reason.contains("controller")
        }
        #expect(clock.now - started < .seconds(10))
        await admin.close()
        await cluster.shutdown()
    }
}

/// What the members of a group saw, shared across them.
final class GroupLedger: Sendable {
    struct Revocation: Sendable {
        var member: String
        var partitions: [KafkaTopicPartition]
        var stillAssigned: Set<KafkaTopicPartition>
        var lost: Bool
        var storeFailures: Int
    }

    private struct State {
        var seen: Set<String> = []
        var revocations: [Revocation] = []
        var assignedMembers: Set<String> = []
    }

    private let state = Mutex(State())
    var distinctCount: Int { state.withLock { $0.seen.count } }
    var revocations: [Revocation] { state.withLock { $0.revocations } }
    var assignedMembers: Set<String> { state.withLock { $0.assignedMembers } }
    func saw(_ value: String) { state.withLock { _ = $0.seen.insert(value) } }
    func revoked(_ revocation: Revocation) { state.withLock { $0.revocations.append(revocation) } }
    func assigned(_ member: String) { state.withLock { _ = $0.assignedMembers.insert(member) } }
}

/// A group member that processes each record at once and stores its offset; its revoke hook stores the
/// last processed offsets again, as a pipeline's drain would.
final class GroupMember: KafkaRebalanceListener {
    let name: String
    let consumer: KafkaConsumer
    private let topic: String
    private let ledger: GroupLedger
    private let processed = Mutex<[KafkaTopicPartition: Int64]>([:])

    init(name: String, configuration: KafkaConsumerConfiguration, topic: String, ledger: GroupLedger, logger: Logger) throws {
        self.name = name
        self.topic = topic
        self.ledger = ledger
        consumer = try KafkaConsumer(configuration: configuration, logger: logger)
    }

    func run() async throws {
        try consumer.subscribe(topics: [topic], listener: self)
        for try await record in consumer.records {
            ledger.saw(String(decoding: record.value, as: UTF8.self))
            processed.withLock { $0[record.topicPartition] = record.offset + 1 }
            store(record)
        }
    }

    private func store(_ record: KafkaRecord) {
        do {
            try consumer.storeOffset(record.topicPartition, nextOffset: record.offset + 1)
        } catch {
            // partitionLost: revoked meanwhile, the next owner reads it again. Anything else is a bug.
            if error.code != .partitionLost { Issue.record(error) }
        }
    }

    func partitionsAssigned(_ partitions: [KafkaTopicPartition]) async {
        if !partitions.isEmpty { ledger.assigned(name) }
    }

    func partitionsRevoked(_ partitions: [KafkaTopicPartition], lost: Bool) async {
        let stillAssigned = Set((try? consumer.assignment()) ?? [])
        var failures = 0
        for partition in partitions {
            guard let next = processed.withLock({ $0[partition] }) else { continue }
            do { try consumer.storeOffset(partition, nextOffset: next) } catch { failures += 1 }
        }
        ledger.revoked(.init(member: name, partitions: partitions, stillAssigned: stillAssigned, lost: lost, storeFailures: failures))
    }
}

/// Keeps every log message, for tests that wait for librdkafka to reach a state it only logs.
final class LogCapture: LogHandler, Sendable {
    private let messages = Mutex<[String]>([])

    func contains(_ text: String) -> Bool {
        messages.withLock { $0.contains { $0.contains(text) } }
    }

    func log(event: LogEvent) {
        messages.withLock { $0.append("\(event.message)") }
    }

    subscript(metadataKey _: String) -> Logger.Metadata.Value? {
        get { nil }
        set {}
    }

    var metadata: Logger.Metadata {
        get { [:] }
        set {}
    }

    var logLevel: Logger.Level {
        get { .debug }
        set {}
    }
}

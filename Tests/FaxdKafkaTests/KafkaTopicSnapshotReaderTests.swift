import FaxdKafka
import FaxdTestSupport
import Testing

@Suite struct KafkaTopicSnapshotReaderTests {
    let logger = KafkaFixtures.logger("test.kafka.snapshot")

    /// A mock cluster of one broker with `topic` of `partitions` partitions.
    private func cluster(_ topic: String, partitions: Int) throws -> MockKafkaCluster {
        let cluster = try MockKafkaCluster(brokers: 1, logger: logger)
        try cluster.createTopic(topic, partitions: partitions)
        return cluster
    }

    @Test func readsExactlyTheRecordsUpToTheEndAtTheStartInOrderAndCommitsNothing() async throws {
        let topic = UniqueName.make("snapshot")
        let cluster = try cluster(topic, partitions: 3)
        let producer = try KafkaProducer(configuration: .init(bootstrapServers: cluster.bootstrapServers), logger: logger)
        try await KafkaFixtures.produce(producer, topic: topic, count: 60, keys: 7)
        let reader = try await KafkaTopicSnapshotReader(
            topic: topic,
            configuration: .init(bootstrapServers: cluster.bootstrapServers),
            logger: logger
        )
        #expect(reader.watermarks.count == 3)
        #expect(reader.watermarks.values.map { $0.high - $0.low }.reduce(0, +) == 60)
        // Written after the reader noted the ends: not read.
        try await KafkaFixtures.produce(producer, topic: topic, count: 20, keys: 7, startingAt: 60)

        var read: [KafkaRecord] = []
        try await reader.read { read.append($0) }
        #expect(Set(read.map { String(decoding: $0.value, as: UTF8.self) }) == Set((0..<60).map { "v\($0)" }))
        #expect(read.count == 60)
        for (partition, records) in Dictionary(grouping: read, by: \.topicPartition) {
            let marks = try #require(reader.watermarks[partition])
            #expect(records.map(\.offset) == Array(marks.low..<marks.high))
        }
        // A second read reads the same records again.
        var again = 0
        try await reader.read { _ in again += 1 }
        #expect(again == 60)

        let admin = try KafkaAdmin(configuration: .init(bootstrapServers: cluster.bootstrapServers), logger: logger)
        let partitions = Array(reader.watermarks.keys)
        #expect(try await admin.committedOffsets(group: "faxd-snapshot", partitions: partitions).values.allSatisfy { $0 == nil })
        await admin.close()
        await producer.close()
        await cluster.shutdown()
    }

    @Test func anEmptyTopicIsReadAtOnce() async throws {
        let topic = UniqueName.make("snapshot-empty")
        let cluster = try cluster(topic, partitions: 2)
        let reader = try await KafkaTopicSnapshotReader(
            topic: topic,
            configuration: .init(bootstrapServers: cluster.bootstrapServers),
            idleTimeout: .seconds(60),
            logger: logger
        )
        #expect(reader.watermarks.count == 2 && reader.watermarks.values.allSatisfy { $0.low == $0.high })
        let started = ContinuousClock.now
        var read = 0
        try await reader.read { _ in read += 1 }
        #expect(read == 0)
        #expect(ContinuousClock.now - started < .seconds(5))
        await cluster.shutdown()
    }

    @Test func whatTheBodyThrowsEndsTheRead() async throws {
        struct Enough: Error {}
        let topic = UniqueName.make("snapshot-throw")
        let cluster = try cluster(topic, partitions: 1)
        let producer = try KafkaProducer(configuration: .init(bootstrapServers: cluster.bootstrapServers), logger: logger)
        try await KafkaFixtures.produce(producer, topic: topic, count: 10)
        let reader = try await KafkaTopicSnapshotReader(
            topic: topic,
            configuration: .init(bootstrapServers: cluster.bootstrapServers),
            logger: logger
        )
        var offsets: [Int64] = []
        await #expect(throws: Enough.self) {
            try await reader.read { record in
                offsets.append(record.offset)
                if offsets.count == 4 { throw Enough() }
            }
        }
        #expect(offsets == [0, 1, 2, 3])
        await producer.close()
        await cluster.shutdown()
    }

    @Test func aSlowBodyIsNotIdleTime() async throws {
        let topic = UniqueName.make("snapshot-slow")
        let cluster = try cluster(topic, partitions: 1)
        let producer = try KafkaProducer(configuration: .init(bootstrapServers: cluster.bootstrapServers), logger: logger)
        try await KafkaFixtures.produce(producer, topic: topic, count: 3)
        // The idle timeout also covers the wait for the first record (the consumer connects and
        // fetches), which takes more than half a second on a loaded CI machine: it is generous here,
        // and the body outlasts it.
        let idleTimeout = Duration.seconds(5)
        let reader = try await KafkaTopicSnapshotReader(
            topic: topic,
            configuration: .init(bootstrapServers: cluster.bootstrapServers),
            idleTimeout: idleTimeout,
            logger: logger
        )
        var read = 0
        try await reader.read { _ in
            read += 1
            // The body, not the cluster, takes longer than the idle timeout.
            if read == 1 { try await Task.sleep(for: idleTimeout + .seconds(1)) }
        }
        #expect(read == 3)
        await producer.close()
        await cluster.shutdown()
    }

    @Test func aStalledReadFailsNamingWhatItStillWaitsFor() async throws {
        let topic = UniqueName.make("snapshot-stall")
        let cluster = try cluster(topic, partitions: 2)
        let producer = try KafkaProducer(configuration: .init(bootstrapServers: cluster.bootstrapServers), logger: logger)
        for i in 0..<6 {
            _ = try await producer.send(KafkaOutgoingMessage(topic: topic, partition: Int32(i % 2), key: nil, value: [UInt8(i)]))
        }
        await producer.close()
        let reader = try await KafkaTopicSnapshotReader(
            topic: topic,
            configuration: .init(bootstrapServers: cluster.bootstrapServers),
            idleTimeout: .seconds(1),
            logger: logger
        )
        try cluster.setBrokerDown(cluster.brokerIDs[0])

        var read = 0
        let error = await #expect(throws: KafkaError.self) { try await reader.read { _ in read += 1 } }
        #expect(read == 0)
        #expect(error?.code == .timedOut)
        #expect(
            error?.reason
                == "no record from \(topic) for 1.0 seconds; still waiting for \(topic)[0] offsets 0 to 2, \(topic)[1] offsets 0 to 2"
        )
        #expect(error?.reason.contains("\n") == false)
        try cluster.setBrokerUp(cluster.brokerIDs[0])
        await cluster.shutdown()
    }
}

import FaxdKafka
import FaxdTestSupport
import Testing

@Suite struct KafkaTimeSearchTests {
    let logger = KafkaFixtures.logger("test.kafka.time-search")
    private static let t0: Int64 = 1_795_000_000_000

    /// Partition 0: 100 records one second apart from t0; partition 1: 7 records from t0 + 50 s;
    /// partition 2: empty.
    private func clusterWithTimes() async throws -> (MockKafkaCluster, String) {
        let topic = UniqueName.make("times")
        let cluster = try MockKafkaCluster(brokers: 1, logger: logger)
        try cluster.createTopic(topic, partitions: 3)
        let producer = try KafkaProducer(configuration: .init(bootstrapServers: cluster.bootstrapServers), logger: logger)
        for index in 0..<100 {
            _ = try await producer.send(
                KafkaOutgoingMessage(
                    topic: topic,
                    partition: 0,
                    key: nil,
                    value: Array("a\(index)".utf8),
                    timestampMilliseconds: Self.t0 + Int64(index) * 1000
                )
            )
        }
        for index in 0..<7 {
            _ = try await producer.send(
                KafkaOutgoingMessage(
                    topic: topic,
                    partition: 1,
                    key: nil,
                    value: Array("b\(index)".utf8),
                    timestampMilliseconds: Self.t0 + 50_000 + Int64(index)
                )
            )
        }
        await producer.close()
        return (cluster, topic)
    }

    /// Milliseconds after t0, and the offsets expected in partitions 0, 1 and 2.
    static let cases: [(Int64, [Int64])] = [
        (0, [0, 0, 0]), (42_000, [42, 0, 0]), (42_001, [43, 0, 0]), (50_003, [51, 3, 0]), (99_000, [99, 7, 0]), (99_001, [100, 7, 0]),
        (-5_000, [0, 0, 0]),
    ]

    @Test(arguments: cases)
    func findsTheFirstRecordAtOrAfterTheTimeInEveryPartition(after: Int64, expected: [Int64]) async throws {
        let (cluster, topic) = try await clusterWithTimes()
        let configuration = KafkaClientConfiguration(bootstrapServers: cluster.bootstrapServers)
        let admin = try KafkaAdmin(configuration: configuration, logger: logger)
        let watermarks = try await admin.watermarks(ofTopic: topic)
        await admin.close()
        let offsets = try await KafkaTimeSearch(configuration: configuration, logger: logger).firstOffsets(
            atOrAfter: Self.t0 + after,
            in: watermarks
        )
        #expect((0..<3).map { offsets[KafkaTopicPartition(topic: topic, partition: Int32($0))] } == expected)
        await cluster.shutdown()
    }

    @Test func aRecordCarriesTheTimestampItWasProducedWith() async throws {
        let (cluster, topic) = try await clusterWithTimes()
        let consumer = try KafkaConsumer(
            configuration: KafkaFixtures.consumerConfiguration(bootstrapServers: cluster.bootstrapServers, groupID: UniqueName.make("g")),
            logger: logger
        )
        try consumer.assign([KafkaTopicPartition(topic: topic, partition: 0): 42])
        var iterator = consumer.records.makeAsyncIterator()
        let record = try #require(try await iterator.next())
        #expect(record.offset == 42 && record.timestampMilliseconds == Self.t0 + 42_000)
        try await consumer.close()
        await cluster.shutdown()
    }
}

import FaxdCore
import FaxdKafka
import FaxdTestSupport
import Glibc
import Synchronization
import Testing

@Suite struct ProducerConsumerTests {
    let logger = KafkaFixtures.logger("test.kafka")

    /// faxd's producers partition like Kafka's Java client, so a tenant produced from any language
    /// that does the same lands on one partition.
    @Test func keyedRecordsGoWhereKafkasJavaClientPutsThem() async throws {
        let cluster = try MockKafkaCluster(brokers: 1, logger: logger)
        let topic = UniqueName.make("murmur2")
        try cluster.createTopic(topic, partitions: 6)
        let producer = try KafkaProducer(configuration: .init(bootstrapServers: cluster.bootstrapServers), logger: logger)
        for index in 0..<100 {
            let key = Array("tenant-\(index)".utf8)
            let report = try await producer.send(KafkaOutgoingMessage(topic: topic, key: key, value: []))
            #expect(report.partition == Murmur2Partitioner.partition(key: key, partitions: 6), "tenant-\(index)")
        }
        await producer.close()
    }

    /// A worker loads its producer's metadata at start (so its first records do not wait for
    /// librdkafka's lookup); loading names no topic, so it creates none, and without a cluster it
    /// fails within its timeout.
    @Test func loadingMetadataCreatesNoTopicAndFailsWithoutACluster() async throws {
        let cluster = try MockKafkaCluster(brokers: 1, logger: logger)
        let topic = UniqueName.make("metadata")
        try cluster.createTopic(topic, partitions: 2)
        let producer = try KafkaProducer(configuration: .init(bootstrapServers: cluster.bootstrapServers), logger: logger)
        try await producer.loadMetadata()
        _ = try await producer.send(KafkaOutgoingMessage(topic: topic, key: nil, value: Array("after".utf8)))
        let admin = try KafkaAdmin(configuration: .init(bootstrapServers: cluster.bootstrapServers), logger: logger)
        #expect(try await admin.partitionCounts(of: [topic, UniqueName.make("never")]) == [topic: 2])
        await admin.close()
        await producer.close()

        let nowhere = try KafkaProducer(configuration: .init(bootstrapServers: "127.0.0.1:\(closedLocalPort())"), logger: logger)
        await #expect(throws: KafkaError.self) { try await nowhere.loadMetadata(timeout: .milliseconds(500)) }
        await nowhere.close(timeout: .milliseconds(100))
    }

    /// Lag is what a restart would redo: records read but not finished count, from where the group
    /// resumed until the owner stores an offset, then from the stored offset.
    @Test func lagCountsRecordsReadButNotFinished() async throws {
        let cluster = try MockKafkaCluster(brokers: 1, logger: logger)
        let topic = UniqueName.make("lag")
        try cluster.createTopic(topic, partitions: 1)
        let producer = try KafkaProducer(configuration: .init(bootstrapServers: cluster.bootstrapServers), logger: logger)
        for index in 0..<50 {
            _ = try await producer.send(KafkaOutgoingMessage(topic: topic, partition: 0, key: nil, value: Array("\(index)".utf8)))
        }
        await producer.close()
        let consumer = try KafkaConsumer(
            configuration: KafkaFixtures.consumerConfiguration(bootstrapServers: cluster.bootstrapServers, groupID: UniqueName.make("g")),
            logger: logger
        )
        try consumer.subscribe(topics: [topic])
        var read = 0
        for try await _ in consumer.records {
            read += 1
            if read == 50 { break }
        }
        let partition = KafkaTopicPartition(topic: topic, partition: 0)
        try await Eventually.wait(for: "the high watermark seen") { consumer.lag()[partition] == 50 }
        try consumer.storeOffset(partition, nextOffset: 10)
        #expect(consumer.lag()[partition] == 40)
        try consumer.storeOffset(partition, nextOffset: 50)
        #expect(consumer.lag()[partition] == 0)
        try await consumer.close()
        await cluster.shutdown()
    }

    @Test func recordsRoundTripWithKeysHeadersAndStablePartitioning() async throws {
        let cluster = try MockKafkaCluster(brokers: 1, logger: logger)
        let topic = UniqueName.make("roundtrip")
        try cluster.createTopic(topic, partitions: 3)
        let producer = try KafkaProducer(configuration: .init(bootstrapServers: cluster.bootstrapServers), logger: logger)
        var reports: [String: KafkaDeliveryReport] = [:]
        for i in 0..<30 {
            let message = KafkaOutgoingMessage(
                topic: topic,
                key: Array("tenant-\(i % 5)".utf8),
                value: Array("job-\(i)".utf8),
                headers: [KafkaHeader(name: "origin", string: "test-\(i)"), KafkaHeader(name: "empty", value: nil)]
            )
            reports["job-\(i)"] = try await producer.send(message)
        }

        let consumer = try KafkaConsumer(
            configuration: KafkaFixtures.consumerConfiguration(bootstrapServers: cluster.bootstrapServers, groupID: UniqueName.make("g")),
            logger: logger
        )
        try consumer.subscribe(topics: [topic])
        var seen: [String: KafkaRecord] = [:]
        for try await record in consumer.records {
            seen[String(decoding: record.value, as: UTF8.self)] = record
            if seen.count == 30 { break }
        }
        for i in 0..<30 {
            let record = try #require(seen["job-\(i)"])
            let report = try #require(reports["job-\(i)"])
            #expect(record.partition == report.partition)
            #expect(record.offset == report.offset)
            #expect(record.key == Array("tenant-\(i % 5)".utf8))
            #expect(record.header("origin") == Array("test-\(i)".utf8))
            #expect(record.headers.contains(KafkaHeader(name: "empty", value: nil)))
            #expect(record.timestampMilliseconds != nil)
        }
        // One key, one partition: tenant-local ordering.
        let partitionsByKey = Dictionary(grouping: seen.values, by: { $0.key! }).mapValues { Set($0.map(\.partition)) }
        #expect(partitionsByKey.values.allSatisfy { $0.count == 1 })

        try await consumer.close()
        await producer.close()
        await cluster.shutdown()
    }

    @Test func anAssignedConsumerReadsFromTheGivenOffsetsAndCommitsNothing() async throws {
        let cluster = try MockKafkaCluster(brokers: 1, logger: logger)
        let topic = UniqueName.make("assign")
        try cluster.createTopic(topic, partitions: 2)
        let producer = try KafkaProducer(configuration: .init(bootstrapServers: cluster.bootstrapServers), logger: logger)
        for i in 0..<20 {
            _ = try await producer.send(KafkaOutgoingMessage(topic: topic, partition: Int32(i % 2), key: nil, value: Array("v\(i)".utf8)))
        }
        await producer.close()
        let group = UniqueName.make("g")
        let consumer = try KafkaConsumer(
            configuration: KafkaConsumerConfiguration(bootstrapServers: cluster.bootstrapServers, groupID: group),
            logger: logger
        )
        let (p0, p1) = (KafkaTopicPartition(topic: topic, partition: 0), KafkaTopicPartition(topic: topic, partition: 1))
        try consumer.assign([p0: 7, p1: 0])
        #expect(Set(try consumer.assignment()) == [p0, p1])
        var offsets: [Int32: [Int64]] = [:]
        for try await record in consumer.records {
            offsets[record.partition, default: []].append(record.offset)
            if offsets.values.map(\.count).reduce(0, +) == 13 { break }
        }
        #expect(offsets[0] == Array(7..<10))
        #expect(offsets[1] == Array(0..<10))
        try await consumer.close()
        let admin = try KafkaAdmin(configuration: .init(bootstrapServers: cluster.bootstrapServers), logger: logger)
        #expect(try await admin.committedOffsets(group: group, partitions: [p0, p1]) == [p0: nil, p1: nil])
        await admin.close()
        await cluster.shutdown()
    }

    @Test func aProducerRetriesThroughInjectedBrokerErrors() async throws {
        let cluster = try MockKafkaCluster(brokers: 1, logger: logger)
        let topic = UniqueName.make("inject")
        try cluster.createTopic(topic, partitions: 1)
        let producer = try KafkaProducer(configuration: .init(bootstrapServers: cluster.bootstrapServers), logger: logger)
        _ = try await producer.send(KafkaOutgoingMessage(topic: topic, key: nil, value: [1]))
        // Produce is API key 0: the next three requests fail with retriable errors.
        cluster.pushRequestErrors(apiKey: 0, [.notLeaderForPartition, .requestTimedOut, .notEnoughReplicas])
        let report = try await producer.send(KafkaOutgoingMessage(topic: topic, key: nil, value: [2]))
        #expect(report.offset == 1)
        let admin = try KafkaAdmin(configuration: .init(bootstrapServers: cluster.bootstrapServers), logger: logger)
        #expect(try await admin.watermarks(KafkaTopicPartition(topic: topic, partition: 0)) == KafkaWatermarks(low: 0, high: 2))
        await admin.close()
        await producer.close()
        await cluster.shutdown()
    }

    @Test func aBadPropertyIsNamedInTheError() throws {
        #expect {
            _ = try KafkaProducer(
                configuration: .init(bootstrapServers: "127.0.0.1:1", properties: ["no.such.property": "1"]),
                logger: logger
            )
        } throws: { error in
            guard let error = error as? KafkaError else { return false }
            return error.code == .invalidConfiguration && error.reason.contains("no.such.property")
        }
    }

    @Test func pausedPartitionsDeliverNothingUntilResumed() async throws {
        let cluster = try MockKafkaCluster(brokers: 1, logger: logger)
        let topic = UniqueName.make("pause")
        try cluster.createTopic(topic, partitions: 2)
        let producer = try KafkaProducer(configuration: .init(bootstrapServers: cluster.bootstrapServers), logger: logger)
        let consumer = try KafkaConsumer(
            configuration: KafkaFixtures.consumerConfiguration(bootstrapServers: cluster.bootstrapServers, groupID: UniqueName.make("g")),
            logger: logger
        )
        let assigned = AssignmentRecorder()
        try consumer.subscribe(topics: [topic], listener: assigned)
        try await Eventually.wait(for: "assignment") { assigned.current.count == 2 }
        let p0 = KafkaTopicPartition(topic: topic, partition: 0)
        consumer.pause([p0])
        for i in 0..<20 {
            _ = try await producer.send(KafkaOutgoingMessage(topic: topic, partition: Int32(i % 2), key: nil, value: Array("\(i)".utf8)))
        }
        var iterator = consumer.records.makeAsyncIterator()
        var fromP1 = 0
        while fromP1 < 10 {
            let record = try #require(try await iterator.next())
            #expect(record.partition == 1, "a record of the paused partition arrived")
            fromP1 += 1
        }
        consumer.resume([p0])
        var fromP0 = 0
        while fromP0 < 10 {
            let record = try #require(try await iterator.next())
            #expect(record.topicPartition == p0)
            fromP0 += 1
        }
        try await consumer.close()
        await producer.close()
        await cluster.shutdown()
    }

    @Test func seekAndOffsetsForTimes() async throws {
        let cluster = try MockKafkaCluster(brokers: 1, logger: logger)
        let topic = UniqueName.make("seek")
        try cluster.createTopic(topic, partitions: 1)
        let producer = try KafkaProducer(configuration: .init(bootstrapServers: cluster.bootstrapServers), logger: logger)
        try await KafkaFixtures.produce(producer, topic: topic, count: 10)
        let consumer = try KafkaConsumer(
            configuration: KafkaFixtures.consumerConfiguration(bootstrapServers: cluster.bootstrapServers, groupID: UniqueName.make("g")),
            logger: logger
        )
        try consumer.subscribe(topics: [topic])
        var iterator = consumer.records.makeAsyncIterator()
        var last: KafkaRecord?
        for _ in 0..<10 { last = try await iterator.next() }
        #expect(last?.offset == 9)
        let partition = KafkaTopicPartition(topic: topic, partition: 0)
        try await consumer.seek(partition, to: 3)
        #expect(try await iterator.next()?.offset == 3)

        // The mock cluster answers ListOffsets for the logical times only: -2 earliest, -1 latest.
        #expect(try await consumer.offsets(forTimes: [partition: -2]) == [partition: 0])
        #expect(try await consumer.offsets(forTimes: [partition: -1]) == [partition: 10])
        try await consumer.close()
        await producer.close()
        await cluster.shutdown()
    }

    @Test func closeIsBoundedWhenNoBrokerAnswers() async throws {
        let consumer = try KafkaConsumer(
            configuration: KafkaFixtures.consumerConfiguration(bootstrapServers: "127.0.0.1:1", groupID: UniqueName.make("g")),
            logger: logger
        )
        try consumer.subscribe(topics: ["nowhere"])
        let clock = ContinuousClock()
        let started = clock.now
        do { try await consumer.close(timeout: .seconds(3)) } catch { #expect(error.code == .timedOut) }
        #expect(clock.now - started < .seconds(10))
    }
}

/// Follows a consumer's assignment.
final class AssignmentRecorder: KafkaRebalanceListener {
    private let state = Mutex<Set<KafkaTopicPartition>>([])
    var current: Set<KafkaTopicPartition> { state.withLock { $0 } }
    func partitionsAssigned(_ partitions: [KafkaTopicPartition]) async { state.withLock { $0.formUnion(partitions) } }
    func partitionsRevoked(_ partitions: [KafkaTopicPartition], lost: Bool) async { state.withLock { $0.subtract(partitions) } }
}

@Suite struct BackPressureTests {
    let logger = KafkaFixtures.logger("test.kafka.backpressure")

    @Test func aSmallBufferPausesFetchingAndLosesNothing() async throws {
        let cluster = try MockKafkaCluster(brokers: 1, logger: logger)
        let topic = UniqueName.make("backpressure")
        try cluster.createTopic(topic, partitions: 3)
        let producer = try KafkaProducer(configuration: .init(bootstrapServers: cluster.bootstrapServers), logger: logger)
        try await KafkaFixtures.produce(producer, topic: topic, count: 5_000)
        var config = KafkaFixtures.consumerConfiguration(bootstrapServers: cluster.bootstrapServers, groupID: UniqueName.make("g"))
        config.maxBufferedRecords = 100
        let consumer = try KafkaConsumer(configuration: config, logger: logger)
        try consumer.subscribe(topics: [topic])
        var iterator = consumer.records.makeAsyncIterator()
        _ = try await iterator.next()
        // Not reading: the poll thread fills the buffer to its mark, pauses, and stops there.
        try await Eventually.wait(for: "a full buffer") { consumer.bufferedRecordCount >= 100 }
        var seen: Set<String> = []
        while seen.count < 4_999, let record = try await iterator.next() {
            #expect(consumer.bufferedRecordCount <= 100 + 1_000, "the buffer kept growing past its mark")
            seen.insert(String(decoding: record.value, as: UTF8.self))
        }
        #expect(seen.count == 4_999)
        try await consumer.close()
        await producer.close()
        await cluster.shutdown()
    }
}

/// `setBrokerDown` keeps the broker's port from other sockets until `setBrokerUp`, which the mock
/// needs to bind it again (it aborts the process when it cannot).
@Suite struct MockBrokerPortTests {
    /// Whether `call` (`connect` or `bind`) succeeds for a new TCP socket and 127.0.0.1:`port`.
    private static func succeeds(_ call: (Int32, UnsafePointer<sockaddr>, socklen_t) -> Int32, _ port: UInt16) -> Bool {
        let socket = Glibc.socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(socket) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = port.bigEndian
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        return withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { call(socket, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        } == 0
    }

    /// Whether a TCP connection to 127.0.0.1:`port` is accepted.
    private static func accepts(_ port: UInt16) -> Bool { succeeds(connect, port) }

    /// Whether another socket (without `SO_REUSEADDR`) can bind 127.0.0.1:`port`.
    private static func isFree(_ port: UInt16) -> Bool { succeeds(bind, port) }

    @Test func aBrokerDownRefusesConnectionsAndItsPortStaysTakenUntilItIsUp() async throws {
        let cluster = try MockKafkaCluster(brokers: 3, logger: KafkaFixtures.logger("test.kafka.mock"))
        let ports = cluster.bootstrapServers.split(separator: ",").compactMap { $0.split(separator: ":").last.flatMap { UInt16($0) } }
        #expect(ports.count == 3 && ports.allSatisfy(Self.accepts))
        try cluster.setBrokerDown(2)
        #expect(!Self.accepts(ports[1]))
        #expect(!Self.isFree(ports[1]))
        #expect(Self.accepts(ports[0]) && Self.accepts(ports[2]))
        try cluster.setBrokerUp(2)
        #expect(Self.accepts(ports[1]))
        await cluster.shutdown()
    }
}

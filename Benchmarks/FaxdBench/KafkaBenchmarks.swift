import FaxdKafka
import FaxdTestSupport
import Logging
import Synchronization

/// Kafka-only baselines against librdkafka's mock cluster (in process, loopback).
enum KafkaBenchmarks {
    /// 100-byte values: the mock cluster keeps a bounded log per partition, and a benchmark topic must
    /// fit in it whole.
    static let payload = [UInt8](repeating: UInt8(ascii: "x"), count: 100)

    /// Records/s of a producer handing records to librdkafka and counting delivery reports.
    static func produce(cluster: MockKafkaCluster, records: Int, logger: Logger) -> Benchmark {
        Benchmark(name: "Kafka produce, delivery reports (\(records) × 100 B, 6 partitions)", unit: "records/s") {
            let topic = UniqueName.make("bench-produce")
            try cluster.createTopic(topic, partitions: 6)
            let producer = try KafkaProducer(configuration: .init(bootstrapServers: cluster.bootstrapServers), logger: logger)
            let result = try await rate(count: records) {
                try await produceAll(producer, topic: topic, records: records)
            }
            await producer.close()
            return result
        }
    }

    /// Records/s of a consumer group member reading a full topic from the beginning.
    static func consume(cluster: MockKafkaCluster, records: Int, logger: Logger) async throws -> Benchmark {
        let topic = UniqueName.make("bench-consume")
        try cluster.createTopic(topic, partitions: 6)
        let producer = try KafkaProducer(configuration: .init(bootstrapServers: cluster.bootstrapServers), logger: logger)
        try await produceAll(producer, topic: topic, records: records)
        await producer.close()
        return Benchmark(name: "Kafka consume (\(records) × 100 B, 6 partitions, one member)", unit: "records/s") {
            let consumer = try KafkaConsumer(
                configuration: .init(bootstrapServers: cluster.bootstrapServers, groupID: UniqueName.make("bench")),
                logger: logger
            )
            try consumer.subscribe(topics: [topic])
            var iterator = consumer.records.makeAsyncIterator()
            // Timed from the first record on, so the group join is not part of the rate.
            var lastStored: KafkaRecord? = try await iterator.next()
            let result = try await rate(count: records - 1) {
                for _ in 1..<records {
                    guard let record = try await iterator.next() else { break }
                    lastStored = record
                }
            }
            if let lastStored { try consumer.storeOffset(lastStored.topicPartition, nextOffset: lastStored.offset + 1) }
            try await consumer.close()
            return result
        }
    }

    /// Sends `records` through `produce(onDelivery:)`, waiting for every report.
    static func produceAll(_ producer: KafkaProducer, topic: String, records: Int) async throws {
        let counter = DeliveryCounter()
        for i in 0..<records {
            let message = KafkaOutgoingMessage(topic: topic, key: Array("tenant-\(i % 50)".utf8), value: payload)
            while try !counter.enqueue(message, on: producer) {
                try await Task.sleep(for: .milliseconds(1))  // librdkafka's queue is full: let it drain
            }
        }
        try await producer.flush(timeout: .seconds(120))
        let (delivered, failed) = (counter.delivered.load(ordering: .relaxed), counter.failed.load(ordering: .relaxed))
        guard failed == 0, delivered == records else {
            throw BenchmarkFailure(description: "\(failed) of \(records) records failed, \(delivered) reported")
        }
    }
}

/// Counts delivery reports.
final class DeliveryCounter: Sendable {
    let delivered = Atomic<Int>(0)
    let failed = Atomic<Int>(0)

    /// Hands one record to librdkafka. - Returns: false when its local queue is full.
    func enqueue(_ message: KafkaOutgoingMessage, on producer: KafkaProducer) throws -> Bool {
        do {
            try producer.produce(message) { [self] result in
                if case .failure = result { failed.add(1, ordering: .relaxed) }
                delivered.add(1, ordering: .relaxed)
            }
            return true
        } catch {
            if error.code == .queueFull { return false }
            throw error
        }
    }
}

struct BenchmarkFailure: Error, CustomStringConvertible {
    let description: String
}

import FaxdCore
import FaxdKafka
import Foundation
import Logging

/// Reads `fax.status` and `fax.usage` from the beginning into a `DeliveryTracker`, and keeps
/// following them, so every worker knows which delivery facts exist whoever published them.
///
/// It reads as the only member of a consumer group of its own (`<group_id>.ledger.<uuid>`, nothing
/// committed), so it gets every partition, including partitions and topics created after it started
/// (a reader assigned the partitions it found at the start would miss those). It tells the tracker it
/// caught up once it reached the high watermarks the topics had when it started; a topic the cluster
/// reports unknown then counts as empty. Every minute, and every 100,000 records while it catches up
/// (so a long topic does not pile up finished faxes in memory), it lets the tracker forget what is
/// too old to matter.
struct ResultTopicsReader: Sendable {
    let kafka: WorkerConfiguration.Kafka
    let tracker: DeliveryTracker
    let logger: Logger

    /// Reads until the calling task is cancelled.
    func run() async throws {
        var targets = try await startingHighWatermarks()
        if targets.isEmpty { await tracker.caughtUp() }
        var properties = kafka.consumerProperties
        properties["enable.auto.commit"] = "false"
        // Most result partitions are empty or at their end, so a fetch usually waits the broker's
        // fetch.wait.max.ms (500 ms by default) for records; partitions resumed after back-pressure
        // wait for that fetch to return. At start-up that wait came after every buffer-full of records
        // (measured: 1,000,000 events read in 91 s, 28 s with 100 ms).
        if properties["fetch.wait.max.ms"] == nil { properties["fetch.wait.max.ms"] = "100" }
        var configuration = KafkaConsumerConfiguration(
            bootstrapServers: kafka.bootstrapServers, groupID: "\(kafka.groupID).ledger.\(UUID().uuidString.lowercased())", properties: properties)
        configuration.groupInstanceID = nil
        configuration.maxBufferedRecords = 5_000
        let consumer = try KafkaConsumer(configuration: configuration, logger: logger)
        try consumer.subscribe(topics: [kafka.topics.status, kafka.topics.usage])
        try await withTaskCancellationHandler {
            var batch: [KafkaRecord] = []
            var lastForget = ContinuousClock.now
            var sinceForget = 0
            for try await record in consumer.records {
                sinceForget += 1
                batch.append(record)
                if let target = targets[record.topicPartition], record.offset + 1 >= target { targets[record.topicPartition] = nil }
                guard consumer.bufferedRecordCount == 0 || batch.count >= 1_000 else { continue }
                await tracker.observe(batch)
                batch.removeAll(keepingCapacity: true)
                if targets.isEmpty { await tracker.caughtUp() }
                if sinceForget >= 100_000 || ContinuousClock.now - lastForget > .seconds(60) {
                    await tracker.forget(now: Date())
                    lastForget = .now
                    sinceForget = 0
                }
            }
        } onCancel: {
            Task { try? await consumer.close(timeout: .seconds(5)) }
        }
    }

    /// The high watermark of every non-empty partition of both topics, now; none for a topic the
    /// cluster reports unknown. Other failures throw (`DeliveryTracking` starts again).
    private func startingHighWatermarks() async throws -> [KafkaTopicPartition: Int64] {
        let admin = try KafkaAdmin(configuration: KafkaClientConfiguration(bootstrapServers: kafka.bootstrapServers, properties: kafka.properties), logger: logger)
        var targets: [KafkaTopicPartition: Int64] = [:]
        do {
            for topic in [kafka.topics.status, kafka.topics.usage] {
                let watermarks: [KafkaTopicPartition: KafkaWatermarks]
                do {
                    watermarks = try await admin.watermarks(ofTopic: topic)
                } catch where error.code == .unknownTopicOrPartition {
                    watermarks = [:]
                }
                for (partition, marks) in watermarks where marks.high > marks.low { targets[partition] = marks.high }
            }
        } catch {
            await admin.close()
            throw error
        }
        await admin.close()
        return targets
    }
}

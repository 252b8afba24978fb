import FaxdCore
import FaxdKafka
import Foundation
import Logging

/// Reads the recent window of `fax.status` and `fax.usage` — the last `delivery.forget_after_minutes`,
/// as long as the `DeliveryTracker` remembers facts anyway — and keeps following them, so every worker
/// knows which delivery facts exist whoever published them; hands every final status event to the
/// job ledger, which marks the faxes it holds as finished.
///
/// Start-up reads that window, not the topics' history, so it is bounded by recent traffic however
/// long the topics are kept (issue #10): where the window starts in each partition is found from the
/// records' timestamps (`KafkaTimeSearch`). What older history gave before is kept elsewhere: which
/// faxes are unfinished is in the job ledger, restored with the partitions.
///
/// It reads with a consumer assigned every partition the topics have at start-up (no group, nothing
/// committed); partitions added to the result topics later are read after a restart. It tells the
/// tracker it caught up once it reached the high watermarks the topics had when it started; a topic
/// the cluster reports unknown then counts as empty. Every minute, and every 100,000 records while
/// it catches up, it lets the tracker forget what is too old to matter.
struct ResultTopicsReader: Sendable {
    let kafka: WorkerConfiguration.Kafka
    let tracker: DeliveryTracker
    /// The worker's job ledger; nil in `faxd webhooks`, which reconciles nothing.
    let jobLedger: JobLedgerStore?
    /// How far back the window reaches.
    let window: TimeInterval
    let logger: Logger

    /// Reads until the calling task is cancelled.
    func run() async throws {
        let client = KafkaClientConfiguration(bootstrapServers: kafka.bootstrapServers, properties: kafka.properties)
        let watermarks = try await startingWatermarks(client)
        let since = Int64((Date().timeIntervalSince1970 - window) * 1000)
        let starts = try await KafkaTimeSearch(configuration: client, logger: logger).firstOffsets(atOrAfter: since, in: watermarks)
        var targets = watermarks.filter { starts[$0.key, default: $0.value.high] < $0.value.high }.mapValues(\.high)
        logger.info(
            "Reading the result topics' recent window",
            metadata: [
                "delivery.window_seconds": "\(Int(window))",
                "delivery.records": "\(targets.map { $0.value - starts[$0.key, default: 0] }.reduce(0, +))",
            ]
        )
        if targets.isEmpty { await tracker.caughtUp() }
        var properties = kafka.consumerProperties
        properties["enable.auto.commit"] = "false"
        // Most result partitions are at their end, so a fetch usually waits the broker's
        // fetch.wait.max.ms (500 ms by default) for records; partitions resumed after back-pressure
        // wait for that fetch to return (measured: 1,000,000 events read in 91 s, 28 s with 100 ms).
        if properties["fetch.wait.max.ms"] == nil { properties["fetch.wait.max.ms"] = "100" }
        var configuration = KafkaConsumerConfiguration(
            bootstrapServers: kafka.bootstrapServers,
            groupID: "\(kafka.groupID).delivery",
            properties: properties
        )
        configuration.groupInstanceID = nil
        configuration.maxBufferedRecords = 5_000
        let consumer = try KafkaConsumer(configuration: configuration, logger: logger)
        try consumer.assign(starts)
        try await withTaskCancellationHandler {
            var batch: [KafkaRecord] = []
            var lastForget = ContinuousClock.now
            var sinceForget = 0
            for try await record in consumer.records {
                sinceForget += 1
                batch.append(record)
                if let target = targets[record.topicPartition], record.offset + 1 >= target { targets[record.topicPartition] = nil }
                guard consumer.bufferedRecordCount == 0 || batch.count >= 1_000 else { continue }
                let finals = await tracker.observe(batch)
                batch.removeAll(keepingCapacity: true)
                if let jobLedger, !finals.isEmpty { await jobLedger.observe(finals) }
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

    /// Every partition's watermarks of both topics, now; none for a topic the cluster reports unknown.
    /// Other failures throw (`DeliveryTracking` starts again).
    private func startingWatermarks(_ client: KafkaClientConfiguration) async throws -> [KafkaTopicPartition: KafkaWatermarks] {
        let admin = try KafkaAdmin(configuration: client, logger: logger)
        var watermarks: [KafkaTopicPartition: KafkaWatermarks] = [:]
        do {
            for topic in [kafka.topics.status, kafka.topics.usage] {
                do {
                    watermarks.merge(try await admin.watermarks(ofTopic: topic)) { $1 }
                } catch  where error.code == .unknownTopicOrPartition {
                    continue
                }
            }
        } catch {
            await admin.close()
            throw error
        }
        await admin.close()
        return watermarks
    }
}

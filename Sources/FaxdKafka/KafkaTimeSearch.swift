public import Logging

/// Finds where a time begins in partitions: for each, the offset of the first record whose timestamp
/// is at or after it, by bisection over the records' own timestamps.
///
/// It reads records, so it works on any cluster — also where ListOffsets by time does not (librdkafka's
/// mock cluster, behind `faxd broker`, answers no timestamps). Timestamps are taken as non-decreasing
/// along a partition, as producers' create times nearly are; where they are not, the answer is an
/// offset whose record is at or after the time with every record before it sampled earlier.
///
/// Each round assigns a fresh consumer (no group, nothing committed) to every unfinished partition
/// at the middle of its remaining range and reads the first record of each, so a search takes
/// log2(the longest partition) rounds, not one per partition.
public struct KafkaTimeSearch: Sendable {
    private let configuration: KafkaClientConfiguration
    private let logger: Logger
    /// How long one round may wait for the records it asked for before it fails. Default 30 s.
    public var roundTimeout: Duration = .seconds(30)

    public init(configuration: KafkaClientConfiguration, logger: Logger) {
        self.configuration = configuration
        self.logger = logger
    }

    /// The first offset at or after `timestamp` (milliseconds since the epoch) in each partition of
    /// `watermarks`, between its `low` and `high`; `high` where every record is earlier.
    ///
    /// - Throws: `KafkaError`; `.timedOut` when a round's records did not come within `roundTimeout`.
    public func firstOffsets(
        atOrAfter timestamp: Int64,
        in watermarks: [KafkaTopicPartition: KafkaWatermarks]
    ) async throws(KafkaError) -> [KafkaTopicPartition: Int64] {
        // The answer of each partition lies in lower...upper.
        var ranges = watermarks.mapValues { (lower: $0.low, upper: $0.high) }
        while true {
            let open = ranges.filter { $0.value.lower < $0.value.upper }
            if open.isEmpty { return ranges.mapValues(\.upper) }
            let middles = open.mapValues { $0.lower + ($0.upper - $0.lower) / 2 }
            for (partition, record) in try await firstRecords(at: middles, ends: watermarks.mapValues(\.high)) {
                guard let middle = middles[partition], let range = ranges[partition] else { continue }
                if let record, let time = record.timestamp, time < timestamp {
                    ranges[partition] = (min(record.offset + 1, range.upper), range.upper)
                } else {
                    // At or after the time (or no record from the middle on): the answer is no later.
                    ranges[partition] = (range.lower, middle)
                }
            }
        }
    }

    /// As `firstOffsets(atOrAfter:in:)`, asking the cluster's time index (ListOffsets by time) first:
    /// only a partition with records for which it names no offset is searched by its records, so a
    /// cluster that answers no timestamps gets the same answer as one that does.
    public func firstOffsets(
        atOrAfter timestamp: Int64,
        in watermarks: [KafkaTopicPartition: KafkaWatermarks],
        asking admin: KafkaAdmin
    ) async throws(KafkaError) -> [KafkaTopicPartition: Int64] {
        let listed = try await admin.offsets(forTimes: watermarks.mapValues { _ in timestamp })
        var answers: [KafkaTopicPartition: Int64] = [:]
        var unanswered: [KafkaTopicPartition: KafkaWatermarks] = [:]
        for (partition, marks) in watermarks {
            if let offset = listed[partition], offset >= 0 {
                answers[partition] = min(max(offset, marks.low), marks.high)
            } else if marks.high > marks.low {
                unanswered[partition] = marks
            } else {
                answers[partition] = marks.high
            }
        }
        guard !unanswered.isEmpty else { return answers }
        return answers.merging(try await firstOffsets(atOrAfter: timestamp, in: unanswered)) { $1 }
    }

    /// The first record at or after each offset, each below its partition's end in `ends`.
    private func firstRecords(
        at offsets: [KafkaTopicPartition: Int64],
        ends: [KafkaTopicPartition: Int64]
    ) async throws(KafkaError) -> [KafkaTopicPartition: (offset: Int64, timestamp: Int64?)?] {
        var found: [KafkaTopicPartition: (offset: Int64, timestamp: Int64?)?] = [:]
        var wanted: [KafkaTopicPartition: Int64] = [:]
        for (partition, offset) in offsets {
            if offset >= ends[partition, default: 0] { found[partition] = .some(nil) } else { wanted[partition] = offset }
        }
        guard !wanted.isEmpty else { return found }
        var properties = configuration.properties
        properties["enable.auto.commit"] = "false"
        let consumer = try KafkaConsumer(
            configuration: KafkaConsumerConfiguration(
                bootstrapServers: configuration.bootstrapServers,
                groupID: "faxd-time-search",
                properties: properties
            ),
            logger: logger
        )
        do {
            try consumer.assign(wanted)
            let timeout = roundTimeout
            let deadline = ContinuousClock.now.advanced(by: timeout)
            let watchdog = Task {
                try? await Task.sleep(until: deadline, clock: .continuous)
                consumer.finishRecords(
                    throwing: KafkaError(code: .timedOut, reason: "no record within \(timeout) while searching offsets by time")
                )
            }
            defer { watchdog.cancel() }
            var remaining = Set(wanted.keys)
            for try await record in consumer.records {
                let partition = record.topicPartition
                guard remaining.contains(partition), record.offset >= wanted[partition, default: 0] else { continue }
                found[partition] = (record.offset, record.timestampMilliseconds)
                remaining.remove(partition)
                consumer.pause([partition])
                if remaining.isEmpty { break }
            }
            guard remaining.isEmpty else { throw KafkaError(code: .closed, reason: "the consumer closed while searching offsets by time") }
        } catch let error as KafkaError {
            try? await consumer.close(timeout: .seconds(10))
            throw error
        } catch {
            try? await consumer.close(timeout: .seconds(10))
            throw KafkaError(code: .closed, reason: "\(error)")
        }
        try? await consumer.close(timeout: .seconds(10))
        return found
    }
}

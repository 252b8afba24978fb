import FaxdKafka
import Foundation
import Logging
import Synchronization

/// Reads a topic from the first record kept up to the high watermarks it had when `read` started, so
/// the read ends however busy the topic is; records written after the start are not read.
///
/// It reads as the only member of a consumer group of its own (`faxd-snapshot-` + a random UUID) with
/// auto commit off and no offset stored, so it commits nothing and moves no other group; it leaves
/// the group when done (a real cluster forgets the empty group on its own).
struct TopicSnapshotReader {
    /// Kafka bootstrap servers, `host:port[,host:port…]`.
    var bootstrapServers: String
    var topic: String
    /// How long the read may go without a record while records are still due before it fails
    /// (retention removed them, the cluster went away). Default 30 s, which covers joining the group.
    var idleTimeout: Duration = .seconds(30)
    var logger: Logger

    /// The read got no record for `idleTimeout` while some were still due.
    struct Stalled: Error, CustomStringConvertible {
        var topic: String
        var idleTimeout: Duration
        /// Partition → the offset the read still waits for (the high watermark at the start - 1).
        var waitingFor: [Int32: Int64]

        var description: String {
            let partitions = waitingFor.sorted { $0.key < $1.key }.map { "\(topic)[\($0.key)] up to offset \($0.value)" }
            return "no record from \(topic) for \(idleTimeout); still waiting for \(partitions.joined(separator: ", "))"
        }
    }

    /// Folds every record up to the snapshot into `initial` with `fold`, called from one task in the
    /// order of each partition (partitions interleave), and returns the result once every partition
    /// reached its end.
    ///
    /// - Throws: `KafkaError` when the topic is unknown or the cluster fails, `Stalled` when records due
    ///   stop coming.
    func read<State: Sendable>(
        into initial: State, _ fold: @escaping @Sendable (inout State, KafkaRecord) -> Void
    ) async throws -> State {
        let ends = try await snapshotEnds()
        guard !ends.isEmpty else { return initial }

        var configuration = KafkaConsumerConfiguration(
            bootstrapServers: bootstrapServers,
            groupID: "faxd-snapshot-\(UUID().uuidString.lowercased())",
            properties: ["enable.auto.commit": "false"]
        )
        configuration.autoOffsetReset = "earliest"
        let consumer = try KafkaConsumer(configuration: configuration, logger: logger)
        let result: State
        do {
            try consumer.subscribe(topics: [topic])
            result = try await readUntil(ends, from: consumer, into: initial, fold)
        } catch {
            try? await consumer.close(timeout: .seconds(10))
            throw error
        }
        // Everything wanted was read; a close that runs late changes nothing for the caller.
        try? await consumer.close(timeout: .seconds(10))
        return result
    }

    /// Partition → high watermark now, for the partitions that hold records.
    private func snapshotEnds() async throws -> [Int32: Int64] {
        let admin = try KafkaAdmin(configuration: .init(bootstrapServers: bootstrapServers), logger: logger)
        do {
            var ends: [Int32: Int64] = [:]
            for partition in 0..<(try await admin.partitionCount(topic: topic)) {
                let marks = try await admin.watermarks(KafkaTopicPartition(topic: topic, partition: Int32(partition)))
                if marks.high > marks.low { ends[Int32(partition)] = marks.high }
            }
            await admin.close()
            return ends
        } catch {
            await admin.close()
            throw error
        }
    }

    /// Folds the records below `ends` until every partition in `ends` reached its last offset (or
    /// went past it), while a watchdog fails the read after `idleTimeout` without progress.
    private func readUntil<State: Sendable>(
        _ ends: [Int32: Int64],
        from consumer: KafkaConsumer,
        into initial: State,
        _ fold: @escaping @Sendable (inout State, KafkaRecord) -> Void
    ) async throws -> State {
        let progress = Progress(waitingFor: ends.mapValues { $0 - 1 })
        let (topic, idleTimeout) = (topic, idleTimeout)
        return try await withThrowingTaskGroup(of: State?.self) { group in
            group.addTask {
                var state = initial
                for try await record in consumer.records {
                    guard let end = ends[record.partition] else { continue }
                    if record.offset < end { fold(&state, record) }
                    if progress.read(record) { return state }
                }
                throw KafkaError(code: .timedOut, reason: "the consumer of \(topic) closed before the end was read")
            }
            group.addTask {
                while true {
                    try await Task.sleep(for: .seconds(1))
                    if let waitingFor = progress.stalled(after: idleTimeout) {
                        throw Stalled(topic: topic, idleTimeout: idleTimeout, waitingFor: waitingFor)
                    }
                }
            }
            defer { group.cancelAll() }
            // Only the reader returns; the watchdog ends by throwing.
            while let result = try await group.next() {
                if let result { return result }
            }
            preconditionFailure("the reader neither returned nor threw")
        }
    }

    /// What the reader has reached, shared with the watchdog.
    private final class Progress: Sendable {
        private struct State {
            var lastRecordAt = ContinuousClock.now
            /// Partition → the last offset still to read; a partition leaves when it is read.
            var waitingFor: [Int32: Int64]
        }

        private let state: Mutex<State>

        init(waitingFor: [Int32: Int64]) {
            state = Mutex(State(waitingFor: waitingFor))
        }

        /// Notes a record read. A partition is done at its last offset or beyond it (that offset may
        /// be gone: compaction, transaction markers); only records of partitions not yet done count
        /// as progress. - Returns: whether every partition is done.
        func read(_ record: KafkaRecord) -> Bool {
            state.withLock { state in
                guard let last = state.waitingFor[record.partition] else { return state.waitingFor.isEmpty }
                state.lastRecordAt = .now
                if record.offset >= last { state.waitingFor[record.partition] = nil }
                return state.waitingFor.isEmpty
            }
        }

        /// What is still due when no record came for `timeout`; nil otherwise.
        func stalled(after timeout: Duration) -> [Int32: Int64]? {
            state.withLock { state in
                ContinuousClock.now - state.lastRecordAt > timeout && !state.waitingFor.isEmpty ? state.waitingFor : nil
            }
        }
    }
}

public import Logging
import Synchronization

/// Reads a topic from the first record it keeps up to the end it had when the reader was made, so a
/// read ends however busy the topic is: records written after that are not read.
///
/// It reads with a consumer that is assigned every partition holding records, from its low watermark:
/// it joins no consumer group and commits nothing, so no group moves and none is left behind. A
/// partition is paused once read to its end.
public struct KafkaTopicSnapshotReader: Sendable {
    /// The topic read.
    public let topic: String
    /// Every partition's watermarks when the reader was made: `read` reads each partition from `low`
    /// up to `high`, not including it.
    public let watermarks: [KafkaTopicPartition: KafkaWatermarks]
    /// How long `read` may wait for a record while some are still due before it fails (retention
    /// removed them, the cluster went away). Time spent in `read`'s body does not count. Default 30 s.
    public var idleTimeout: Duration
    private let configuration: KafkaClientConfiguration
    private let logger: Logger

    /// Notes where every partition of `topic` starts and ends now; nothing is read yet.
    ///
    /// - Parameter configuration: the cluster, and client properties (security, say) for the admin
    ///   client used here and for the consumer of `read`.
    /// - Throws: `KafkaError`; `.unknownTopicOrPartition` when the topic does not exist (see
    ///   `KafkaAdmin.watermarks(ofTopic:timeout:)`).
    public init(
        topic: String,
        configuration: KafkaClientConfiguration,
        idleTimeout: Duration = .seconds(30),
        logger: Logger
    ) async throws(KafkaError) {
        let watermarks = try await Self.watermarks(configuration: configuration, logger: logger) { admin throws(KafkaError) in
            try await admin.watermarks(ofTopic: topic)
        }
        self.init(topic: topic, watermarks: watermarks, configuration: configuration, idleTimeout: idleTimeout, logger: logger)
    }

    /// Notes where `partitions` of `topic` start and end now, to read only those (a worker restoring
    /// the partitions it was assigned); nothing is read yet.
    ///
    /// - Throws: `KafkaError`, as `KafkaAdmin.watermarks(of:timeout:)` does.
    public init(
        topic: String,
        partitions: [Int32],
        configuration: KafkaClientConfiguration,
        idleTimeout: Duration = .seconds(30),
        logger: Logger
    ) async throws(KafkaError) {
        let watermarks = try await Self.watermarks(configuration: configuration, logger: logger) { admin throws(KafkaError) in
            try await admin.watermarks(of: partitions.map { KafkaTopicPartition(topic: topic, partition: $0) })
        }
        self.init(topic: topic, watermarks: watermarks, configuration: configuration, idleTimeout: idleTimeout, logger: logger)
    }

    private init(
        topic: String,
        watermarks: [KafkaTopicPartition: KafkaWatermarks],
        configuration: KafkaClientConfiguration,
        idleTimeout: Duration,
        logger: Logger
    ) {
        self.topic = topic
        self.watermarks = watermarks
        self.idleTimeout = idleTimeout
        self.configuration = configuration
        self.logger = logger
    }

    /// The same reader, reading each partition from its offset in `offsets` on instead of from its
    /// low watermark (a later low watermark wins; a partition not named reads from its low watermark).
    public func starting(at offsets: [KafkaTopicPartition: Int64]) -> KafkaTopicSnapshotReader {
        let watermarks = watermarks.map { partition, marks in
            (partition, KafkaWatermarks(low: min(max(offsets[partition] ?? marks.low, marks.low), marks.high), high: marks.high))
        }
        return KafkaTopicSnapshotReader(
            topic: topic,
            watermarks: Dictionary(uniqueKeysWithValues: watermarks),
            configuration: configuration,
            idleTimeout: idleTimeout,
            logger: logger
        )
    }

    /// Asks a short-lived admin client for watermarks, closing it on every path.
    private static func watermarks(
        configuration: KafkaClientConfiguration,
        logger: Logger,
        _ ask: (KafkaAdmin) async throws(KafkaError) -> [KafkaTopicPartition: KafkaWatermarks]
    ) async throws(KafkaError) -> [KafkaTopicPartition: KafkaWatermarks] {
        let admin = try KafkaAdmin(configuration: configuration, logger: logger)
        do {
            let watermarks = try await ask(admin)
            await admin.close()
            return watermarks
        } catch {
            await admin.close()
            throw error
        }
    }

    /// Calls `body` with every record below the ends noted when the reader was made, one at a time, in
    /// offset order within a partition (partitions interleave), and returns once every partition was
    /// read to its end (a record at its last offset or past it); at once when the topic held no
    /// records. `body` runs on the calling task, in the caller's isolation. Another `read` reads the
    /// same records again.
    ///
    /// - Throws: what `body` throws, which ends the read; `KafkaError` when the consumer fails;
    ///   `KafkaError.Code.timedOut` when no record came for `idleTimeout` while some were due, its
    ///   one-line reason naming the partitions and offsets still awaited.
    public func read(
        isolation: isolated (any Actor)? = #isolation,
        _ body: (KafkaRecord) async throws -> Void
    ) async throws {
        let ends = watermarks.filter { $0.value.high > $0.value.low }
        guard !ends.isEmpty else { return }
        var properties = configuration.properties
        properties["enable.auto.commit"] = "false"
        // The group id is required by the client; assigned partitions and no commits never use it.
        let consumer = try KafkaConsumer(
            configuration: KafkaConsumerConfiguration(
                bootstrapServers: configuration.bootstrapServers,
                groupID: "faxd-snapshot",
                properties: properties
            ),
            logger: logger
        )
        do {
            try consumer.assign(ends.mapValues(\.low))
            let progress = Progress(due: ends.mapValues { $0.low..<$0.high })
            let (topic, idleTimeout) = (topic, idleTimeout)
            try await withThrowingTaskGroup(of: Void.self) { group in
                group.addTask { await Self.watch(progress, consumer, topic: topic, idleTimeout: idleTimeout) }
                defer { group.cancelAll() }
                var records = consumer.records.makeAsyncIterator()
                while true {
                    progress.waitForRecord()
                    guard let record = try await records.next() else {
                        throw KafkaError(code: .closed, reason: "the consumer of \(topic) closed before the end was read")
                    }
                    guard let (partitionDone, allDone) = progress.received(record) else { continue }
                    if partitionDone { consumer.pause([record.topicPartition]) }
                    try await body(record)
                    if allDone { return }
                }
            }
        } catch {
            try? await consumer.close(timeout: .seconds(10))
            throw error
        }
        // Everything due was read; a close that runs late changes nothing for the caller.
        try? await consumer.close(timeout: .seconds(10))
    }

    /// Ends `consumer`'s records with a `timedOut` error once the reader waited `idleTimeout` for a
    /// due record; returns then, or when cancelled.
    private static func watch(_ progress: Progress, _ consumer: KafkaConsumer, topic: String, idleTimeout: Duration) async {
        let tick = min(.seconds(1), idleTimeout / 10)
        while !Task.isCancelled {
            try? await Task.sleep(for: tick)
            guard let due = progress.stalled(after: idleTimeout) else { continue }
            let awaited = due.sorted { ($0.key.topic, $0.key.partition) < ($1.key.topic, $1.key.partition) }
                .map { "\($0.key) offsets \($0.value.lowerBound) to \($0.value.upperBound - 1)" }
            consumer.finishRecords(
                throwing: KafkaError(
                    code: .timedOut,
                    reason: "no record from \(topic) for \(idleTimeout); still waiting for \(awaited.joined(separator: ", "))"
                )
            )
            return
        }
    }

    /// What the reader still waits for, shared with the watchdog.
    private final class Progress: Sendable {
        private struct State {
            /// Partition → the offsets still to read, the next one up to the end; a partition leaves
            /// once read to its end.
            var due: [KafkaTopicPartition: Range<Int64>]
            /// Since when the reader waits for a due record; nil while the body runs.
            var waitingSince: ContinuousClock.Instant?
        }

        private let state: Mutex<State>

        init(due: [KafkaTopicPartition: Range<Int64>]) {
            state = Mutex(State(due: due))
        }

        /// The reader waits for a record (again, after one that was not due: the wait goes on).
        func waitForRecord() {
            state.withLock { $0.waitingSince = $0.waitingSince ?? .now }
        }

        /// Notes a record the reader got. - Returns: nil when it is not due (its partition was read
        /// to its end); otherwise whether that made its partition, and every partition, done.
        func received(_ record: KafkaRecord) -> (partitionDone: Bool, allDone: Bool)? {
            state.withLock { state in
                let partition = record.topicPartition
                guard let range = state.due[partition] else { return nil }
                state.waitingSince = nil
                let partitionDone = record.offset + 1 >= range.upperBound
                state.due[partition] = partitionDone ? nil : (record.offset + 1)..<range.upperBound
                return (partitionDone, state.due.isEmpty)
            }
        }

        /// What is still due when the reader has waited longer than `timeout`; nil otherwise.
        func stalled(after timeout: Duration) -> [KafkaTopicPartition: Range<Int64>]? {
            state.withLock { state in
                guard let since = state.waitingSince, ContinuousClock.now - since > timeout, !state.due.isEmpty else { return nil }
                return state.due
            }
        }
    }
}

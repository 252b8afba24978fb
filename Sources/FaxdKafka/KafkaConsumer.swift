internal import CLibrdkafka
import Dispatch
public import Logging
import Synchronization

/// A member of a Kafka consumer group.
///
/// Records are polled on a dedicated thread and reach Swift through `records`, a bounded async sequence.
/// Offsets are stored by hand (`storeOffset`) once their work is done and committed in the background
/// every `commitInterval`, on revocation and on `close`, or explicitly with `commit()`.
///
/// - Important: call `close(timeout:)` before dropping the last reference; a consumer dropped unclosed
///   is closed on a background thread without a deadline.
public final class KafkaConsumer: Sendable {
    let handle: RDKafkaPointer
    private let context: Unmanaged<RDKafkaClientContext>
    private let core: KafkaConsumerCore
    private let logger: Logger
    /// The records polled from the assigned partitions. One reader.
    public let records: KafkaRecords

    public init(configuration: KafkaConsumerConfiguration, logger: Logger) throws(KafkaError) {
        var logger = logger
        logger[metadataKey: "kafka.group_id"] = "\(configuration.groupID)"
        let core = KafkaConsumerCore(
            buffer: KafkaRecordBuffer(capacity: configuration.maxBufferedRecords),
            revokeTimeout: configuration.revokeTimeout,
            logger: logger
        )
        let context = RDKafkaClientContext(logger: logger) { rk, err, list in
            core.rebalance(rk, err, list)
        }
        (handle, self.context) = try RDKafkaClient.make(
            type: RD_KAFKA_CONSUMER,
            properties: configuration.librdkafkaProperties,
            context: context
        ) { conf in
            rd_kafka_conf_set_rebalance_cb(conf) { rk, err, list, _ in
                guard let rk, let list, let context = RDKafkaClientContext.from(rk) else { return }
                context.rebalance?(rk, err, list)
            }
        }
        self.core = core
        self.logger = logger
        self.records = KafkaRecords(buffer: core.buffer)
        // All events, including rebalances, are now served by rd_kafka_consumer_poll.
        rd_kafka_poll_set_consumer(handle.pointer)
        let handle = self.handle
        RDKafkaThread.start(name: "faxd.kafka.consumer") { core.pollLoop(handle) }
    }

    deinit {
        guard core.requestStop() else { return }
        let (handle, core, context, logger) = (handle, core, context, logger)
        RDKafkaThread.start(name: "faxd.kafka.consumer.close") { Self.end(handle, core, context, logger) }
    }

    /// What closing does once the stop is requested, blocking: waits for the poll thread, leaves the
    /// group (`rd_kafka_consumer_close`), ends `records`, and destroys the client where that is safe
    /// (see `KafkaConsumerCore.isSafeToDestroy`; otherwise the client is left as it is).
    private static func end(
        _ handle: RDKafkaPointer,
        _ core: KafkaConsumerCore,
        _ context: Unmanaged<RDKafkaClientContext>,
        _ logger: Logger
    ) {
        core.waitUntilPollStopped()
        rd_kafka_consumer_close(handle.pointer)
        core.buffer.finish()
        guard core.isSafeToDestroy else {
            logger.notice("Kafka consumer left its group before its first assignment; its client is not destroyed (librdkafka #4312)")
            return
        }
        rd_kafka_destroy(handle.pointer)
        context.release()
    }

    /// Records polled and not yet read from `records` (bounded by `maxBufferedRecords` plus what
    /// one fetch returns while the pause takes effect).
    public var bufferedRecordCount: Int { core.buffer.count }

    /// Records not yet finished per assigned partition that delivered one: the high watermark
    /// librdkafka last saw in a fetch response minus the offset the owner stored last (before it stored
    /// any, where the group resumed). Records read ahead, buffered or being worked on count: this is
    /// what a restart would redo. No broker round trip.
    public func lag() -> [KafkaTopicPartition: Int64] {
        var result: [KafkaTopicPartition: Int64] = [:]
        for (partition, position) in core.finished {
            var low: Int64 = 0
            var high: Int64 = 0
            guard
                rd_kafka_get_watermark_offsets(handle.pointer, partition.topic, partition.partition, &low, &high)
                    == RD_KAFKA_RESP_ERR_NO_ERROR,
                high >= 0
            else { continue }
            result[partition] = max(0, high - position)
        }
        return result
    }

    /// Joins the group for `topics`; `listener` follows assignments and drains revoked partitions.
    public func subscribe(topics: [String], listener: (any KafkaRebalanceListener)? = nil) throws(KafkaError) {
        core.setListener(listener)
        core.markSubscribed()
        let list = RDKafkaPartitionList.make(topics.map { KafkaTopicPartition(topic: $0, partition: -1) })
        defer { rd_kafka_topic_partition_list_destroy(list) }
        try KafkaError.check(rd_kafka_subscribe(handle.pointer, list))
    }

    /// Reads `offsets`' partitions from the given offsets without joining the group: no rebalances,
    /// no listener. Replaces the previous assignment; buffered records of partitions left out are
    /// dropped. Nothing is committed unless the owner stores offsets (or commits) itself.
    ///
    /// - Important: do not mix with `subscribe`.
    public func assign(_ offsets: [KafkaTopicPartition: Int64]) throws(KafkaError) {
        let list = RDKafkaPartitionList.make(offsets.map { ($0.key, $0.value) })
        defer { rd_kafka_topic_partition_list_destroy(list) }
        core.replaceAssignment(Set(offsets.keys))
        try KafkaError.check(rd_kafka_assign(handle.pointer, list))
    }

    /// The partitions currently assigned to this consumer.
    public func assignment() throws(KafkaError) -> [KafkaTopicPartition] {
        var list: UnsafeMutablePointer<rd_kafka_topic_partition_list_t>?
        try KafkaError.check(rd_kafka_assignment(handle.pointer, &list))
        guard let list else { return [] }
        defer { rd_kafka_topic_partition_list_destroy(list) }
        return RDKafkaPartitionList.partitions(list)
    }

    /// Stores `nextOffset` (the last processed offset + 1) as the partition's position to commit.
    ///
    /// - Throws: `KafkaError.Code.partitionLost` when the partition is no longer assigned (revoked or
    ///   lost): not a failure of the caller; the new owner redoes the work.
    public func storeOffset(_ partition: KafkaTopicPartition, nextOffset: Int64) throws(KafkaError) {
        let list = RDKafkaPartitionList.make([(partition, nextOffset)])
        defer { rd_kafka_topic_partition_list_destroy(list) }
        let err = rd_kafka_offsets_store(handle.pointer, list)
        if err == RD_KAFKA_RESP_ERR__STATE {
            throw KafkaError(code: .partitionLost, reason: "\(partition) is no longer assigned to this consumer")
        }
        try KafkaError.check(err)
        if let error = RDKafkaPartitionList.entries(list).first?.error { throw error }
        core.stored(partition, offset: nextOffset)
    }

    /// Commits the stored offsets and waits for the broker's answer.
    public func commit() async throws(KafkaError) {
        let handle = handle
        let err = await RDKafkaThread.run(name: "faxd.kafka.commit") { rd_kafka_commit(handle.pointer, nil, 0) }
        if err == RD_KAFKA_RESP_ERR__NO_OFFSET { return }  // nothing new stored since the last commit
        try KafkaError.check(err)
    }

    /// Commits `offsets` (next offsets to read) for this member's group and waits for the answer.
    public func commit(_ offsets: [KafkaTopicPartition: Int64]) async throws(KafkaError) {
        try await RDKafkaQueries.commit(handle, offsets)
    }

    /// Starts a commit of the stored offsets without waiting; failures are logged by librdkafka.
    public func commitAsync() throws(KafkaError) {
        let err = rd_kafka_commit(handle.pointer, nil, 1)
        if err == RD_KAFKA_RESP_ERR__NO_OFFSET { return }
        try KafkaError.check(err)
    }

    /// The group's committed offsets (next offset to read) for `partitions`; nil where none is committed.
    public func committedOffsets(
        _ partitions: [KafkaTopicPartition],
        timeout: Duration = .seconds(10)
    ) async throws(KafkaError) -> [KafkaTopicPartition: Int64?] {
        try await RDKafkaQueries.committed(handle, partitions, timeout: timeout)
    }

    /// Stops delivering records of `partitions` at once and fetching them soon after; polling goes on,
    /// so the group membership stays alive. Records already in `records` are still read.
    public func pause(_ partitions: [KafkaTopicPartition]) {
        core.pause(Set(partitions))
    }

    /// Resumes `partitions` paused with `pause`, from the record after the last one delivered.
    public func resume(_ partitions: [KafkaTopicPartition]) {
        core.resume(Set(partitions))
    }

    /// Ends `records` with `error`: its reader gets the records already buffered, then `error`; later
    /// records are dropped. Polling goes on until `close`. For readers inside the adapter that give up
    /// on a consumer (`KafkaTopicSnapshotReader`'s idle watchdog).
    func finishRecords(throwing error: KafkaError) {
        core.buffer.finish(error: error)
    }

    /// Moves an assigned partition to `offset`; buffered records of that partition are dropped.
    public func seek(_ partition: KafkaTopicPartition, to offset: Int64, timeout: Duration = .seconds(10)) async throws(KafkaError) {
        core.willSeek(partition, to: offset)
        let handle = handle
        let error = await RDKafkaThread.run(name: "faxd.kafka.seek") { () -> KafkaError? in
            let list = RDKafkaPartitionList.make([(partition, offset)])
            defer { rd_kafka_topic_partition_list_destroy(list) }
            if let error = rd_kafka_seek_partitions(handle.pointer, list, Self.seekTimeoutArgument(timeout)) {
                return KafkaError(consuming: error)
            }
            return RDKafkaPartitionList.entries(list).first?.error
        }
        if let error { throw error }
    }

    /// What `rd_kafka_seek_partitions` must be given to wait `timeout`: librdkafka before 2.0.3 waited a
    /// thousandth of its argument (confluentinc/librdkafka#4230), so Debian's 2.0.2 gave a 10 s seek
    /// 10 ms, and a seek on a loaded machine failed `_TIMED_OUT` with its outcome unknown.
    static func seekTimeoutArgument(_ timeout: Duration, version: Int32 = rd_kafka_version()) -> Int32 {
        let milliseconds = max(0, timeout.milliseconds)
        let (value, overflow) = version < 0x0200_0300 ? milliseconds.multipliedReportingOverflow(by: 1000) : (milliseconds, false)
        return overflow || value > Int64(Int32.max) ? Int32.max : Int32(value)
    }

    /// For each partition, the earliest offset whose timestamp is at or after the given time
    /// (milliseconds since the epoch); -1 (the end) where no such record exists.
    public func offsets(
        forTimes times: [KafkaTopicPartition: Int64],
        timeout: Duration = .seconds(10)
    ) async throws(KafkaError) -> [KafkaTopicPartition: Int64] {
        try await RDKafkaQueries.offsetsForTimes(handle, times, timeout: timeout)
    }

    /// Leaves the group: stops polling, revokes the assignment (the listener drains it), commits the
    /// stored offsets and destroys the client — except a member that subscribed and was never
    /// assigned anything, whose client is left undestroyed (its threads stay; see
    /// `KafkaConsumerCore.isSafeToDestroy`): Debian 12's librdkafka 2.0.2 may abort destroying it.
    ///
    /// - Throws: `KafkaError.Code.timedOut` when this has not finished within `timeout`; closing goes on
    ///   in the background (librdkafka's close can hang on an unreachable cluster).
    public func close(timeout: Duration = .seconds(30)) async throws(KafkaError) {
        guard core.requestStop() else { return }
        let (handle, core, context, logger) = (handle, core, context, logger)
        let finished = await RDKafkaThread.withDeadline(timeout, name: "faxd.kafka.consumer.close") {
            Self.end(handle, core, context, logger)
        }
        guard finished else {
            logger.warning("Kafka consumer close did not finish in time; it goes on in the background")
            throw KafkaError(code: .timedOut, reason: "consumer close did not finish within \(timeout)")
        }
    }
}

internal import CLibrdkafka
import Dispatch
import Logging
import Synchronization

/// The consumer's state shared by its poll thread, its rebalance callback and its public methods:
/// the assignment, which partitions are held back and why, the listener, and the stop flag.
///
/// Holding a partition back (the owner's `pause`, or back-pressure when the record buffer is full)
/// stops its records reaching the buffer at once (late arrivals are stashed), pauses it in librdkafka
/// once a record of it has been handed over, and resumes it with a seek to the offset after that
/// record. Correctness so does not rest on librdkafka's own idea of the application's position, which
/// it lacks for a partition paused before its first record.
///
/// - Important: librdkafka calls happen outside the lock; the lock only decides what to call. Only
///   the poll thread appends to the record buffer, so records of a partition stay in order.
final class KafkaConsumerCore: Sendable {
    private struct State {
        var assigned: Set<KafkaTopicPartition> = []
        /// Held back by the owner (`KafkaConsumer.pause`).
        var pausedByOwner: Set<KafkaTopicPartition> = []
        /// Every assigned partition is held back: the record buffer is above its high-water mark.
        var pausedForBackPressure = false
        /// Paused in librdkafka now.
        var pausedInLibrary: Set<KafkaTopicPartition> = []
        /// The offset after the last record handed over (buffered or stashed), per partition.
        var positions: [KafkaTopicPartition: Int64] = [:]
        /// Where the work of each partition stands: the offset the owner stored last, or before it
        /// stored any, the first offset handed over since the assignment (where the group resumed).
        var finished: [KafkaTopicPartition: Int64] = [:]
        /// Records of owner-paused partitions that arrived before librdkafka's pause took effect;
        /// buffered, in order, when the owner resumes.
        var stash: [KafkaTopicPartition: [KafkaRecord]] = [:]
        var listener: (any KafkaRebalanceListener)?
        var stopRequested = false
        /// Subscribed to topics (a group member), as opposed to assigned partitions by hand.
        var subscribed = false
        /// The group assigned partitions to this member at least once.
        var everAssigned = false

        /// The partitions that should be paused in librdkafka: held back and with a known position.
        var shouldBePausedInLibrary: Set<KafkaTopicPartition> {
            let held = pausedForBackPressure ? assigned : pausedByOwner.intersection(assigned)
            return held.filter { positions[$0] != nil }
        }

        /// Drops everything known about partitions that left the assignment.
        mutating func forget(_ partitions: [KafkaTopicPartition]) {
            assigned.subtract(partitions)
            pausedByOwner.subtract(partitions)
            pausedInLibrary.subtract(partitions)
            for partition in partitions {
                positions[partition] = nil
                finished[partition] = nil
                stash[partition] = nil
            }
        }
    }

    private let state = Mutex(State())
    let buffer: KafkaRecordBuffer
    private let revokeTimeout: Duration
    private let logger: Logger
    private let pollStopped = DispatchSemaphore(value: 0)

    init(buffer: KafkaRecordBuffer, revokeTimeout: Duration, logger: Logger) {
        self.buffer = buffer
        self.revokeTimeout = revokeTimeout
        self.logger = logger
    }

    func setListener(_ listener: (any KafkaRebalanceListener)?) {
        state.withLock { $0.listener = listener }
    }

    /// Asks the poll loop to stop. - Returns: false when a stop was already requested.
    func requestStop() -> Bool {
        state.withLock { state in
            defer { state.stopRequested = true }
            return !state.stopRequested
        }
    }

    /// Blocks until the poll loop has returned. Call from a dedicated thread.
    func waitUntilPollStopped() {
        pollStopped.wait()
    }

    /// The poll thread's body: serves records, rebalances and errors until a stop is requested.
    func pollLoop(_ handle: RDKafkaPointer) {
        defer { pollStopped.signal() }
        while !state.withLock({ $0.stopRequested }) {
            // While back-pressure holds fetching, look again soon: once the reader drained the buffer,
            // a poll with nothing to return must not keep the partitions paused for long.
            let holdingBack = reconcilePausing(handle)
            guard let message = rd_kafka_consumer_poll(handle.pointer, holdingBack ? 10 : 100) else { continue }
            defer { rd_kafka_message_destroy(message) }
            let err = message.pointee.err
            if err == RD_KAFKA_RESP_ERR_NO_ERROR {
                hand(KafkaRecord(copying: message))
            } else if err == RD_KAFKA_RESP_ERR__FATAL {
                var text = [CChar](repeating: 0, count: 512)
                let code = rd_kafka_fatal_error(handle.pointer, &text, text.count)
                let error = KafkaError(code, message: String(nulTerminated: text))
                logger.error("Kafka consumer hit a fatal error", metadata: ["error": "\(error)"])
                buffer.finish(error: KafkaError(code: error.code, reason: error.reason, isFatal: true))
                return
            } else if err != RD_KAFKA_RESP_ERR__PARTITION_EOF {
                let error = KafkaError(err, message: String(cString: rd_kafka_message_errstr(message)))
                logger.log(level: error.isRetriable ? .notice : .warning, "Kafka consumer error", metadata: ["error": "\(error)"])
            }
        }
    }

    /// Buffers a polled record, or stashes it while its partition is paused by the owner.
    private func hand(_ record: KafkaRecord) {
        let partition = record.topicPartition
        let stashed = state.withLock { state in
            state.positions[partition] = record.offset + 1
            if state.finished[partition] == nil { state.finished[partition] = record.offset }
            guard state.pausedByOwner.contains(partition) else { return false }
            state.stash[partition, default: []].append(record)
            return true
        }
        if !stashed { buffer.append(record) }
    }

    // MARK: Pausing

    /// Brings librdkafka's paused set in line with what should be held back: switches back-pressure
    /// on above the buffer's high-water mark and off at its low-water mark, buffers the stash of
    /// partitions the owner resumed, pauses and resumes, and seeks resumed partitions to their
    /// positions. Runs on the poll thread before every poll.
    ///
    /// - Returns: whether back-pressure holds every partition now.
    private func reconcilePausing(_ handle: RDKafkaPointer) -> Bool {
        let buffered = buffer.count
        let (toPause, toResume, unstashed, backPressureChanged, holdingBack) = state.withLock { state in
            var backPressureChanged: Bool?
            if !state.pausedForBackPressure, buffered >= buffer.highWater {
                state.pausedForBackPressure = true
                backPressureChanged = true
            } else if state.pausedForBackPressure, buffered <= buffer.lowWater {
                state.pausedForBackPressure = false
                backPressureChanged = false
            }
            var unstashed: [KafkaRecord] = []
            for partition in state.stash.keys where !state.pausedByOwner.contains(partition) {
                unstashed += state.stash.removeValue(forKey: partition) ?? []
            }
            let target = state.shouldBePausedInLibrary
            let toPause = target.subtracting(state.pausedInLibrary)
            let toResume = state.pausedInLibrary.subtracting(target).map { ($0, state.positions[$0]) }
            state.pausedInLibrary = target
            return (toPause, toResume, unstashed, backPressureChanged, state.pausedForBackPressure)
        }
        if let backPressureChanged {
            logger.debug(
                backPressureChanged ? "Record buffer full; pausing fetch" : "Record buffer drained; resuming fetch",
                metadata: ["kafka.buffered": "\(buffered)"]
            )
        }
        unstashed.forEach(buffer.append)
        if !toPause.isEmpty {
            logIfFailed("pause") { () throws(KafkaError) in try Self.setPaused(handle, toPause, paused: true) }
        }
        if !toResume.isEmpty {
            logIfFailed("resume") { () throws(KafkaError) in
                try Self.setPaused(handle, Set(toResume.map(\.0)), paused: false)
                try Self.seek(handle, toResume.compactMap { entry in entry.1.map { (entry.0, $0) } })
            }
        }
        return holdingBack
    }

    /// Where each assigned partition's work stands (see `State.finished`), per partition that
    /// delivered a record.
    var finished: [KafkaTopicPartition: Int64] {
        state.withLock { state in state.finished.filter { state.assigned.contains($0.key) } }
    }

    /// Notes that the owner stored `offset` for `partition` (the next offset to read after a restart).
    func stored(_ partition: KafkaTopicPartition, offset: Int64) {
        state.withLock { state in
            if state.assigned.contains(partition) { state.finished[partition] = offset }
        }
    }

    /// Notes that the consumer subscribed: it is a member of its group from now on.
    func markSubscribed() {
        state.withLock { $0.subscribed = true }
    }

    /// Whether `rd_kafka_destroy` is safe after `rd_kafka_consumer_close`. librdkafka before 2.3.0
    /// asserts in the cooperative-sticky assignor's destroy (`assignor_state`, its issue #4312) when a
    /// member is destroyed after its group chose the assignor and before the first assignment: a
    /// worker stopped while it joins would abort instead of exiting cleanly. Not safe then: a member
    /// that subscribed and was never assigned anything.
    var isSafeToDestroy: Bool {
        state.withLock { !$0.subscribed || $0.everAssigned }
    }

    /// Makes `partitions` the whole assignment (a manual `assign`), forgetting the others.
    func replaceAssignment(_ partitions: Set<KafkaTopicPartition>) {
        let left = state.withLock { state in
            let left = state.assigned.subtracting(partitions)
            state.forget(Array(left))
            state.assigned = partitions
            return left
        }
        buffer.remove(partitions: left)
    }

    /// Holds `partitions` back: their records stop reaching the buffer at once.
    func pause(_ partitions: Set<KafkaTopicPartition>) {
        state.withLock { $0.pausedByOwner.formUnion(partitions) }
    }

    /// Lets `partitions` flow again, starting with the records stashed while they were held.
    func resume(_ partitions: Set<KafkaTopicPartition>) {
        state.withLock { $0.pausedByOwner.subtract(partitions) }
    }

    /// Forgets what was handed over of `partition` before a seek to `offset`.
    func willSeek(_ partition: KafkaTopicPartition, to offset: Int64) {
        buffer.remove(partitions: [partition])
        state.withLock { state in
            state.stash[partition] = nil
            state.positions[partition] = offset
            state.finished[partition] = nil
        }
    }

    private static func setPaused(_ handle: RDKafkaPointer, _ partitions: Set<KafkaTopicPartition>, paused: Bool) throws(KafkaError) {
        guard !partitions.isEmpty else { return }
        let list = RDKafkaPartitionList.make(Array(partitions))
        defer { rd_kafka_topic_partition_list_destroy(list) }
        let err = paused ? rd_kafka_pause_partitions(handle.pointer, list) : rd_kafka_resume_partitions(handle.pointer, list)
        try KafkaError.check(err)
    }

    /// Moves the fetchers of `positions` (asynchronously: the poll loop must not block).
    private static func seek(_ handle: RDKafkaPointer, _ positions: [(KafkaTopicPartition, Int64)]) throws(KafkaError) {
        guard !positions.isEmpty else { return }
        let list = RDKafkaPartitionList.make(positions.map { ($0.0, $0.1) })
        defer { rd_kafka_topic_partition_list_destroy(list) }
        try KafkaError.check(consuming: rd_kafka_seek_partitions(handle.pointer, list, 0))
    }

    // MARK: Rebalancing

    /// librdkafka's rebalance callback, on the poll thread (or the closing thread during close).
    func rebalance(
        _ rk: OpaquePointer,
        _ err: rd_kafka_resp_err_t,
        _ list: UnsafeMutablePointer<rd_kafka_topic_partition_list_t>
    ) {
        let partitions = RDKafkaPartitionList.partitions(list)
        let cooperative = String(cString: rd_kafka_rebalance_protocol(rk)) == "COOPERATIVE"
        switch err {
        case RD_KAFKA_RESP_ERR__ASSIGN_PARTITIONS:
            logger.info("Kafka partitions assigned", metadata: ["kafka.partitions": "\(partitions)"])
            if cooperative {
                logIfFailed("incremental assign") { () throws(KafkaError) in
                    try KafkaError.check(consuming: rd_kafka_incremental_assign(rk, list))
                }
            } else {
                logIfFailed("assign") { () throws(KafkaError) in try KafkaError.check(rd_kafka_assign(rk, list)) }
            }
            let listener = state.withLock { state in
                state.assigned.formUnion(partitions)
                state.everAssigned = true
                return state.listener
            }
            if let listener { runBounded("assign") { await listener.partitionsAssigned(partitions) } }

        case RD_KAFKA_RESP_ERR__REVOKE_PARTITIONS:
            let lost = rd_kafka_assignment_lost(rk) != 0
            logger.info("Kafka partitions revoked", metadata: ["kafka.partitions": "\(partitions)", "kafka.lost": "\(lost)"])
            let dropped = buffer.remove(partitions: Set(partitions))
            if dropped > 0 { logger.debug("Dropped buffered records of revoked partitions", metadata: ["count": "\(dropped)"]) }
            if let listener = state.withLock({ $0.listener }) {
                runBounded("revoke") { await listener.partitionsRevoked(partitions, lost: lost) }
            }
            if !lost {
                let commitErr = rd_kafka_commit(rk, nil, 0)
                if commitErr != RD_KAFKA_RESP_ERR_NO_ERROR, commitErr != RD_KAFKA_RESP_ERR__NO_OFFSET {
                    logger.notice(
                        "Commit on revoke failed; the next owner may redo some work",
                        metadata: ["error": "\(KafkaError(commitErr))"]
                    )
                }
            }
            if cooperative {
                logIfFailed("incremental unassign") { () throws(KafkaError) in
                    try KafkaError.check(consuming: rd_kafka_incremental_unassign(rk, list))
                }
            } else {
                logIfFailed("unassign") { () throws(KafkaError) in try KafkaError.check(rd_kafka_assign(rk, nil)) }
            }
            state.withLock { state in
                state.forget(partitions)
            }

        default:
            logger.error("Kafka rebalance failed", metadata: ["error": "\(KafkaError(err))"])
            if cooperative {
                logIfFailed("incremental unassign") { () throws(KafkaError) in
                    try KafkaError.check(consuming: rd_kafka_incremental_unassign(rk, list))
                }
            } else {
                logIfFailed("unassign") { () throws(KafkaError) in try KafkaError.check(rd_kafka_assign(rk, nil)) }
            }
            state.withLock { $0.forget(partitions) }
        }
    }

    /// Runs an async listener hook from the (non-async) poll thread and waits for it, at most
    /// `revokeTimeout`.
    private func runBounded(_ what: String, _ hook: @escaping @Sendable () async -> Void) {
        let done = DispatchSemaphore(value: 0)
        Task {
            await hook()
            done.signal()
        }
        if done.wait(timeout: .now() + .milliseconds(Int(revokeTimeout.milliseconds))) == .timedOut {
            logger.warning("Rebalance \(what) hook did not finish within \(revokeTimeout); going on")
        }
    }

    private func logIfFailed(_ what: String, _ body: () throws(KafkaError) -> Void) {
        do { try body() } catch { logger.error("Kafka \(what) failed", metadata: ["error": "\(error)"]) }
    }
}

internal import CLibrdkafka
import Dispatch
import Logging
import Synchronization

/// The consumer's state shared by its poll thread, its rebalance callback and its public methods:
/// the assignment, which partitions are paused and why, the listener, and the stop flag.
///
/// - Important: librdkafka calls happen outside the lock; the lock only decides what to call.
final class KafkaConsumerCore: Sendable {
    private struct State {
        var assigned: Set<KafkaTopicPartition> = []
        /// Paused by the owner (`KafkaConsumer.pause`).
        var pausedByOwner: Set<KafkaTopicPartition> = []
        /// Every assigned partition is paused because the record buffer is above its high-water mark.
        var pausedForBackPressure = false
        var listener: (any KafkaRebalanceListener)?
        var stopRequested = false
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
            applyBackPressure(handle)
            guard let message = rd_kafka_consumer_poll(handle.pointer, 100) else { continue }
            defer { rd_kafka_message_destroy(message) }
            let err = message.pointee.err
            if err == RD_KAFKA_RESP_ERR_NO_ERROR {
                buffer.append(KafkaRecord(copying: message))
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

    // MARK: Pausing

    private enum PauseAction {
        case none
        case pause(Set<KafkaTopicPartition>)
        case resume(Set<KafkaTopicPartition>)
    }

    /// Pauses every assigned partition above the buffer's high-water mark and resumes them (but those
    /// the owner paused) at its low-water mark.
    private func applyBackPressure(_ handle: RDKafkaPointer) {
        let buffered = buffer.count
        let action: PauseAction = state.withLock { state in
            if !state.pausedForBackPressure, buffered >= buffer.highWater {
                state.pausedForBackPressure = true
                return .pause(state.assigned.subtracting(state.pausedByOwner))
            }
            if state.pausedForBackPressure, buffered <= buffer.lowWater {
                state.pausedForBackPressure = false
                return .resume(state.assigned.subtracting(state.pausedByOwner))
            }
            return .none
        }
        switch action {
        case .none: break
        case .pause(let partitions): try? Self.setPaused(handle, partitions, paused: true)
        case .resume(let partitions): try? Self.setPaused(handle, partitions, paused: false)
        }
    }

    func pause(_ handle: RDKafkaPointer, _ partitions: Set<KafkaTopicPartition>) throws(KafkaError) {
        let alreadyPaused = state.withLock { state in
            state.pausedByOwner.formUnion(partitions)
            return state.pausedForBackPressure
        }
        if !alreadyPaused { try Self.setPaused(handle, partitions, paused: true) }
    }

    func resume(_ handle: RDKafkaPointer, _ partitions: Set<KafkaTopicPartition>) throws(KafkaError) {
        let stillPaused = state.withLock { state in
            state.pausedByOwner.subtract(partitions)
            return state.pausedForBackPressure
        }
        if !stillPaused { try Self.setPaused(handle, partitions, paused: false) }
    }

    private static func setPaused(_ handle: RDKafkaPointer, _ partitions: Set<KafkaTopicPartition>, paused: Bool) throws(KafkaError) {
        guard !partitions.isEmpty else { return }
        let list = RDKafkaPartitionList.make(Array(partitions))
        defer { rd_kafka_topic_partition_list_destroy(list) }
        let err = paused ? rd_kafka_pause_partitions(handle.pointer, list) : rd_kafka_resume_partitions(handle.pointer, list)
        try KafkaError.check(err)
    }

    // MARK: Rebalancing

    /// librdkafka's rebalance callback, on the poll thread (or the closing thread during close).
    func rebalance(
        _ rk: OpaquePointer, _ err: rd_kafka_resp_err_t, _ list: UnsafeMutablePointer<rd_kafka_topic_partition_list_t>
    ) {
        let handle = RDKafkaPointer(rk)
        let partitions = RDKafkaPartitionList.partitions(list)
        let cooperative = String(cString: rd_kafka_rebalance_protocol(rk)) == "COOPERATIVE"
        switch err {
        case RD_KAFKA_RESP_ERR__ASSIGN_PARTITIONS:
            logger.info("Kafka partitions assigned", metadata: ["kafka.partitions": "\(partitions)"])
            if cooperative {
                logIfFailed("incremental assign") { () throws(KafkaError) in try KafkaError.check(consuming: rd_kafka_incremental_assign(rk, list)) }
            } else {
                logIfFailed("assign") { () throws(KafkaError) in try KafkaError.check(rd_kafka_assign(rk, list)) }
            }
            let (pauseNow, listener) = state.withLock { state in
                state.assigned.formUnion(partitions)
                return (state.pausedForBackPressure ? Set(partitions) : [], state.listener)
            }
            logIfFailed("pause new partitions") { () throws(KafkaError) in try Self.setPaused(handle, pauseNow, paused: true) }
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
                    logger.notice("Commit on revoke failed; the next owner may redo some work", metadata: ["error": "\(KafkaError(commitErr))"])
                }
            }
            if cooperative {
                logIfFailed("incremental unassign") { () throws(KafkaError) in try KafkaError.check(consuming: rd_kafka_incremental_unassign(rk, list)) }
            } else {
                logIfFailed("unassign") { () throws(KafkaError) in try KafkaError.check(rd_kafka_assign(rk, nil)) }
            }
            state.withLock { state in
                state.assigned.subtract(partitions)
                state.pausedByOwner.subtract(partitions)
            }

        default:
            logger.error("Kafka rebalance failed", metadata: ["error": "\(KafkaError(err))"])
            if cooperative {
                logIfFailed("incremental unassign") { () throws(KafkaError) in try KafkaError.check(consuming: rd_kafka_incremental_unassign(rk, list)) }
            } else {
                logIfFailed("unassign") { () throws(KafkaError) in try KafkaError.check(rd_kafka_assign(rk, nil)) }
            }
            state.withLock { $0.assigned.subtract(partitions) }
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

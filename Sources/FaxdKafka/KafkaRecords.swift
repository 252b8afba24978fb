import DequeModule
import Synchronization

/// The records a `KafkaConsumer` polled, in the order librdkafka delivered them per partition.
///
/// Bounded: the poll thread pauses fetching while more than the configured number of records wait here.
/// There is one reader: iterate it from one task.
public struct KafkaRecords: AsyncSequence, Sendable {
    public typealias Element = KafkaRecord
    let buffer: KafkaRecordBuffer

    public struct AsyncIterator: AsyncIteratorProtocol {
        let buffer: KafkaRecordBuffer

        /// The next record; nil once the consumer is closed. Throws the consumer's fatal error, or
        /// `CancellationError` when the reading task is cancelled.
        public mutating func next() async throws -> KafkaRecord? {
            try await buffer.next()
        }
    }

    public func makeAsyncIterator() -> AsyncIterator { AsyncIterator(buffer: buffer) }
}

/// The hand-over between the consumer's poll thread (producer side) and one reading task.
final class KafkaRecordBuffer: Sendable {
    private struct State {
        var records = Deque<KafkaRecord>()
        var waiter: CheckedContinuation<KafkaRecord?, any Error>?
        var finished = false
        var failure: KafkaError?
    }

    private let state = Mutex(State())
    let highWater: Int
    let lowWater: Int

    init(capacity: Int) {
        highWater = max(1, capacity)
        lowWater = max(0, capacity / 2)
    }

    var count: Int { state.withLock { $0.records.count } }

    /// Appends a record, or hands it straight to a waiting reader.
    func append(_ record: KafkaRecord) {
        let waiter: CheckedContinuation<KafkaRecord?, any Error>? = state.withLock { state in
            guard !state.finished else { return nil }
            if let waiter = state.waiter {
                state.waiter = nil
                return waiter
            }
            state.records.append(record)
            return nil
        }
        waiter?.resume(returning: record)
    }

    /// Drops buffered records of `partitions` (revoked: their next owner reads them again).
    /// - Returns: how many were dropped.
    @discardableResult
    func remove(partitions: Set<KafkaTopicPartition>) -> Int {
        state.withLock { state in
            let before = state.records.count
            state.records.removeAll { partitions.contains($0.topicPartition) }
            return before - state.records.count
        }
    }

    /// Ends the sequence: the reader gets the remaining records, then nil (or `error`).
    func finish(error: KafkaError? = nil) {
        let waiter: CheckedContinuation<KafkaRecord?, any Error>? = state.withLock { state in
            guard !state.finished else { return nil }
            state.finished = true
            state.failure = error
            defer { state.waiter = nil }
            return state.waiter
        }
        if let error { waiter?.resume(throwing: error) } else { waiter?.resume(returning: nil) }
    }

    func next() async throws -> KafkaRecord? {
        try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<KafkaRecord?, any Error>) in
                enum Action {
                    case record(KafkaRecord?)
                    case fail(any Error)
                    case wait
                }
                let action: Action = state.withLock { state in
                    if let record = state.records.popFirst() { return .record(record) }
                    if state.finished {
                        if let failure = state.failure { return .fail(failure) }
                        return .record(nil)
                    }
                    if Task.isCancelled { return .fail(CancellationError()) }
                    state.waiter = continuation
                    return .wait
                }
                switch action {
                case .record(let record): continuation.resume(returning: record)
                case .fail(let error): continuation.resume(throwing: error)
                case .wait: break
                }
            }
        } onCancel: {
            let waiter = state.withLock { state in
                defer { state.waiter = nil }
                return state.waiter
            }
            waiter?.resume(throwing: CancellationError())
        }
    }
}

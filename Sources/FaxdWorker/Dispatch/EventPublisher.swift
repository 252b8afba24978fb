public import FaxdCore
public import FaxdKafka
public import Logging
import Synchronization

/// Writes status and usage events and dead letters through the idempotent producer, and returns only
/// once Kafka acknowledged every record: a job is done when its events are durable.
///
/// Public for `faxd-bench`, whose Kafka-only baseline publishes through it (the pipeline's own code).
public struct EventPublisher: Sendable {
    let producer: KafkaProducer
    let topics: TopicNames
    let logger: Logger

    public init(producer: KafkaProducer, topics: TopicNames, logger: Logger) {
        self.producer = producer
        self.topics = topics
        self.logger = logger
    }

    /// Why a job went to the dead-letter topic, carried as record headers.
    public struct DeadLetterReason: Sendable {
        public var error: ErrorInfo
        public var attempts: Int

        public init(error: ErrorInfo, attempts: Int) {
            self.error = error
            self.attempts = attempts
        }
    }

    /// Publishes the job-ledger record, if any, `status` and `usage` (keyed by tenant) and the dead
    /// letter, if any, retrying each send until Kafka takes it or the task is cancelled. Records are
    /// handed to the producer in the order given, so one tenant's events land on their partition in
    /// that order (a record that has to be sent again may land after its successors).
    /// - Returns: false when cancelled before everything was acknowledged.
    public func publish(
        tenantKey: [UInt8], ledger: KafkaOutgoingMessage? = nil, status: [StatusEvent], usage: [UsageEvent] = [],
        deadLetter: (record: KafkaRecord, reason: DeadLetterReason)? = nil
    ) async -> Bool {
        var messages = ledger.map { [$0] } ?? []
        messages += status.map { KafkaOutgoingMessage(topic: topics.status, key: tenantKey, value: $0.jsonBytes()) }
        messages += usage.map { KafkaOutgoingMessage(topic: topics.usage, key: tenantKey, value: $0.jsonBytes()) }
        if let (record, reason) = deadLetter {
            messages.append(Self.deadLetter(record, reason: reason, topic: topics.deadLetters))
        }
        for index in await produceInOrder(messages) {
            guard await send(messages[index]) else { return false }
        }
        return true
    }

    /// Hands every message to librdkafka in order and waits for their delivery reports.
    /// - Returns: the indices of the messages that failed or were refused (to be sent again).
    private func produceInOrder(_ messages: [KafkaOutgoingMessage]) async -> [Int] {
        guard !messages.isEmpty else { return [] }
        return await withCheckedContinuation { continuation in
            let reports = DeliveryReports(count: messages.count, continuation: continuation)
            for (index, message) in messages.enumerated() {
                do {
                    try producer.produce(message) { result in reports.report(index, delivered: (try? result.get()) != nil) }
                } catch {
                    reports.report(index, delivered: false)
                }
            }
        }
    }

    /// Collects one batch's delivery reports; resumes its waiter after the last.
    private final class DeliveryReports: Sendable {
        private struct State {
            var outstanding: Int
            var failed: [Int] = []
            var continuation: CheckedContinuation<[Int], Never>?
        }
        private let state: Mutex<State>

        init(count: Int, continuation: CheckedContinuation<[Int], Never>) {
            state = Mutex(State(outstanding: count, continuation: continuation))
        }

        func report(_ index: Int, delivered: Bool) {
            let finished = state.withLock { state -> (CheckedContinuation<[Int], Never>, [Int])? in
                if !delivered { state.failed.append(index) }
                state.outstanding -= 1
                guard state.outstanding == 0, let continuation = state.continuation else { return nil }
                state.continuation = nil
                return (continuation, state.failed.sorted())
            }
            if let (continuation, failed) = finished { continuation.resume(returning: failed) }
        }
    }

    private func send(_ message: KafkaOutgoingMessage) async -> Bool {
        var delay = Duration.milliseconds(200)
        while !Task.isCancelled {
            do {
                _ = try await producer.send(message)
                return true
            } catch {
                logger.error("Publishing to Kafka failed; retrying", metadata: ["kafka.topic": "\(message.topic)", "error": "\(error)"])
                try? await Task.sleep(for: delay)
                delay = min(delay * 2, .seconds(10))
            }
        }
        return false
    }

    /// The original record, bytes unchanged, with the reason in headers (DESIGN §2).
    static func deadLetter(_ record: KafkaRecord, reason: DeadLetterReason, topic: String) -> KafkaOutgoingMessage {
        KafkaOutgoingMessage(
            topic: topic, key: record.key, value: record.value,
            headers: record.headers + [
                KafkaHeader(name: "faxd.origin.topic", string: record.topic),
                KafkaHeader(name: "faxd.origin.partition", string: String(record.partition)),
                KafkaHeader(name: "faxd.origin.offset", string: String(record.offset)),
                KafkaHeader(name: "faxd.error.code", string: reason.error.code),
                KafkaHeader(name: "faxd.error.message", string: reason.error.message),
                KafkaHeader(name: "faxd.attempts", string: String(reason.attempts)),
            ])
    }
}

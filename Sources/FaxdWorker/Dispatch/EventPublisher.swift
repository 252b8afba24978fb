import FaxdCore
import FaxdKafka
import Logging

/// Writes status and usage events and dead letters through the idempotent producer, and returns only
/// once Kafka acknowledged every record: a job is done when its events are durable.
struct EventPublisher: Sendable {
    let producer: KafkaProducer
    let topics: TopicNames
    let logger: Logger

    /// Why a job went to the dead-letter topic, carried as record headers.
    struct DeadLetterReason: Sendable {
        var error: ErrorInfo
        var attempts: Int
    }

    /// Publishes `status` and `usage` (keyed by tenant) and the dead letter, if any, retrying each
    /// send until Kafka takes it or the task is cancelled.
    /// - Returns: false when cancelled before everything was acknowledged.
    func publish(
        tenantKey: [UInt8], status: [StatusEvent], usage: [UsageEvent] = [],
        deadLetter: (record: KafkaRecord, reason: DeadLetterReason)? = nil
    ) async -> Bool {
        var messages = status.map { KafkaOutgoingMessage(topic: topics.status, key: tenantKey, value: $0.jsonBytes()) }
        messages += usage.map { KafkaOutgoingMessage(topic: topics.usage, key: tenantKey, value: $0.jsonBytes()) }
        if let (record, reason) = deadLetter {
            messages.append(Self.deadLetter(record, reason: reason, topic: topics.deadLetters))
        }
        return await withTaskGroup(of: Bool.self) { group in
            for message in messages {
                group.addTask { await send(message) }
            }
            return await group.allSatisfy { $0 }
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

import Crypto
public import FaxdCore
public import FaxdKafka
public import Logging
import Tracing

/// Writes status and usage events and dead letters through the idempotent producer, and returns only
/// once Kafka acknowledged every record: a job is done when its events are durable.
///
/// Public for `faxd-bench`, whose Kafka-only baseline publishes through it (the pipeline's own code).
public struct EventPublisher: Sendable {
    let producer: KafkaProducer
    let topics: TopicNames
    let logger: Logger
    /// Counts dead letters written as a reference; nil in the benchmark's baseline.
    let metrics: WorkerMetrics?

    public init(producer: KafkaProducer, topics: TopicNames, logger: Logger) {
        self.init(producer: producer, topics: topics, metrics: nil, logger: logger)
    }

    init(producer: KafkaProducer, topics: TopicNames, metrics: WorkerMetrics?, logger: Logger) {
        self.producer = producer
        self.topics = topics
        self.metrics = metrics
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
    ///
    /// A dead letter Kafka refuses for what it is (larger than `message.max.bytes` with faxd's
    /// headers, say) is written as a bounded reference instead (`deadLetterReference`); any other
    /// record so refused is logged and left out, so that no record can stop the pipeline.
    /// - Returns: false when cancelled before everything was acknowledged.
    public func publish(
        tenantKey: [UInt8],
        ledger: KafkaOutgoingMessage? = nil,
        status: [StatusEvent],
        usage: [UsageEvent] = [],
        deadLetter: (record: KafkaRecord, reason: DeadLetterReason)? = nil
    ) async -> Bool {
        // One array, its room reserved: the records of a job, not an array per kind (docs/benchmarks.md).
        var messages: [KafkaOutgoingMessage] = []
        messages.reserveCapacity((ledger == nil ? 0 : 1) + status.count + usage.count + (deadLetter == nil ? 0 : 1))
        if let ledger { messages.append(ledger) }
        // The trace context of the job's span, when there is one, so consumers can join the trace.
        var traceHeaders: [KafkaHeader] = []
        if let context = ServiceContext.current {
            InstrumentationSystem.instrument.inject(context, into: &traceHeaders, using: KafkaHeadersInjector())
        }
        for event in status {
            messages.append(KafkaOutgoingMessage(topic: topics.status, key: tenantKey, value: event.jsonBytes(), headers: traceHeaders))
        }
        for event in usage {
            messages.append(KafkaOutgoingMessage(topic: topics.usage, key: tenantKey, value: event.jsonBytes(), headers: traceHeaders))
        }
        if let (record, reason) = deadLetter {
            messages.append(Self.deadLetter(record, reason: reason, topic: topics.deadLetters))
        }
        for index in await producer.produce(messages) {
            switch await send(messages[index]) {
            case .sent:
                continue
            case .cancelled:
                return false
            case .refused(let error):
                if let (record, reason) = deadLetter, index == messages.count - 1 {
                    logger.warning(
                        "A dead letter is too large for Kafka; writing a reference to it",
                        metadata: ["kafka.partition": "\(record.partition)", "kafka.offset": "\(record.offset)", "error": "\(error)"]
                    )
                    metrics?.deadLetterTruncated()
                    let reference = Self.deadLetterReference(record, reason: reason, topic: topics.deadLetters, refusal: error)
                    guard case .sent = await send(reference) else { return false }
                } else {
                    logger.critical(
                        "Kafka refuses an event; leaving it out",
                        metadata: ["kafka.topic": "\(messages[index].topic)", "error": "\(error)"]
                    )
                }
            }
        }
        return true
    }

    private enum Sent {
        case sent
        /// Kafka refuses the record itself: sending it again cannot help.
        case refused(KafkaError)
        case cancelled
    }

    /// Sends `message` until Kafka takes it, waiting out every failure but a refusal of the record.
    private func send(_ message: KafkaOutgoingMessage) async -> Sent {
        var delay = Duration.milliseconds(200)
        while !Task.isCancelled {
            do {
                _ = try await producer.send(message)
                return .sent
            } catch  where error.refusesTheRecord {
                return .refused(error)
            } catch {
                logger.error("Publishing to Kafka failed; retrying", metadata: ["kafka.topic": "\(message.topic)", "error": "\(error)"])
                try? await Task.sleep(for: delay)
                delay = min(delay * 2, .seconds(10))
            }
        }
        return .cancelled
    }

    /// The original record, bytes unchanged, with the reason in headers (DESIGN §2).
    static func deadLetter(_ record: KafkaRecord, reason: DeadLetterReason, topic: String) -> KafkaOutgoingMessage {
        KafkaOutgoingMessage(topic: topic, key: record.key, value: record.value, headers: record.headers + reasonHeaders(record, reason))
    }

    /// The bytes of a record kept whole in a reference dead letter, and of its producer's headers.
    static let referencePrefixBytes = 1024
    static let referenceHeaderBytes = 16 * 1024

    /// A dead letter for a record Kafka refused whole: the key, the value's first
    /// `referencePrefixBytes`, the producer's headers when they are small, the reason headers, and
    /// `faxd.truncated` (why), `faxd.original.size` and `faxd.original.sha256` (hex) naming the
    /// original, which stays on the jobs topic at its origin offset until retention removes it.
    static func deadLetterReference(
        _ record: KafkaRecord,
        reason: DeadLetterReason,
        topic: String,
        refusal: KafkaError
    ) -> KafkaOutgoingMessage {
        let headerBytes = record.headers.reduce(0) { $0 + $1.name.utf8.count + ($1.value?.count ?? 0) }
        let digest = Hex.string(SHA256.hash(data: record.value))
        return KafkaOutgoingMessage(
            topic: topic,
            key: record.key.map { Array($0.prefix(referencePrefixBytes)) },
            value: Array(record.value.prefix(referencePrefixBytes)),
            headers: (headerBytes <= referenceHeaderBytes ? record.headers : []) + reasonHeaders(record, reason) + [
                KafkaHeader(name: "faxd.truncated", string: "\(refusal.code): the record with faxd's headers is more than Kafka takes"),
                KafkaHeader(name: "faxd.original.size", string: String(record.value.count)),
                KafkaHeader(name: "faxd.original.sha256", string: digest),
            ]
        )
    }

    private static func reasonHeaders(_ record: KafkaRecord, _ reason: DeadLetterReason) -> [KafkaHeader] {
        [
            KafkaHeader(name: "faxd.origin.topic", string: record.topic),
            KafkaHeader(name: "faxd.origin.partition", string: String(record.partition)),
            KafkaHeader(name: "faxd.origin.offset", string: String(record.offset)),
            KafkaHeader(name: "faxd.error.code", string: reason.error.code),
            KafkaHeader(name: "faxd.error.message", string: reason.error.message),
            KafkaHeader(name: "faxd.attempts", string: String(reason.attempts)),
        ]
    }
}

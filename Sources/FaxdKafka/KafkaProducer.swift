internal import CLibrdkafka
public import Logging
import Synchronization

/// A record to send.
public struct KafkaOutgoingMessage: Sendable {
    public var topic: String
    /// A fixed partition, or nil to let the partitioner choose by key.
    public var partition: Int32?
    public var key: [UInt8]?
    public var value: [UInt8]
    public var headers: [KafkaHeader]
    /// The record's timestamp (CreateTime), milliseconds since the epoch; nil for the time of
    /// sending.
    public var timestampMilliseconds: Int64?

    public init(
        topic: String,
        partition: Int32? = nil,
        key: [UInt8]?,
        value: [UInt8],
        headers: [KafkaHeader] = [],
        timestampMilliseconds: Int64? = nil
    ) {
        self.topic = topic
        self.partition = partition
        self.key = key
        self.value = value
        self.headers = headers
        self.timestampMilliseconds = timestampMilliseconds
    }
}

/// Where the broker put an acknowledged record.
public struct KafkaDeliveryReport: Sendable, Hashable {
    public var topic: String
    public var partition: Int32
    /// The record's offset; -1 when the idempotent producer could not learn it (a retried record the
    /// broker had already written).
    public var offset: Int64
}

/// A Kafka producer, idempotent by default.
///
/// Delivery reports are served on a dedicated poll thread.
///
/// - Important: call `close(timeout:)` before dropping the last reference, or records still queued
///   are lost.
public final class KafkaProducer: Sendable {
    private let poller: RDKafkaMainPoller
    private var handle: RDKafkaPointer { poller.handle }
    private let logger: Logger

    public init(configuration: KafkaProducerConfiguration, logger: Logger) throws(KafkaError) {
        self.logger = logger
        let (handle, context) = try RDKafkaClient.make(
            type: RD_KAFKA_PRODUCER,
            properties: configuration.librdkafkaProperties,
            context: RDKafkaClientContext(logger: logger)
        ) { conf in
            rd_kafka_conf_set_dr_msg_cb(conf) { _, message, _ in
                guard let message, let opaque = message.pointee._private else { return }
                Unmanaged<DeliveryCallback>.fromOpaque(opaque).takeRetainedValue().complete(message.pointee)
            }
        }
        poller = RDKafkaMainPoller(handle, context: context, name: "faxd.kafka.producer")
    }

    deinit {
        poller.shutdownInBackground(name: "faxd.kafka.producer.close")
    }

    /// Sends a record and returns when the broker acknowledged it.
    ///
    /// Waits while librdkafka's local queue is full. Cancelling the calling task does not withdraw a
    /// record already handed to librdkafka.
    public func send(_ message: KafkaOutgoingMessage) async throws(KafkaError) -> KafkaDeliveryReport {
        while true {
            let result = await withCheckedContinuation {
                (continuation: CheckedContinuation<Result<KafkaDeliveryReport, KafkaError>, Never>) in
                do throws(KafkaError) {
                    try enqueue(message, callback: ClosureDelivery { continuation.resume(returning: $0) })
                } catch {
                    continuation.resume(returning: .failure(error))
                }
            }
            if case .failure(let error) = result, error.code == .queueFull {
                // Back-pressure: the poll thread drains the queue as the broker acknowledges.
                try? await Task.sleep(for: .milliseconds(1))
                continue
            }
            return try result.get()
        }
    }

    /// Asks the cluster for every topic's metadata, which librdkafka keeps: the first record for a
    /// topic then goes out at once. Without it, librdkafka looks a new topic up on its next
    /// one-second timer, so a worker's first jobs waited up to a second per topic they write
    /// (`docs/benchmarks.md`). Nothing is created: the request names no topic.
    /// - Throws: the request's error.
    public func loadMetadata(timeout: Duration = .seconds(10)) async throws(KafkaError) {
        let handle = handle
        let err = await RDKafkaThread.run(name: "faxd.kafka.metadata") { () -> rd_kafka_resp_err_t in
            var metadata: UnsafePointer<rd_kafka_metadata>?
            let err = rd_kafka_metadata(handle.pointer, 1, nil, &metadata, Int32(timeout.milliseconds))
            if let metadata { rd_kafka_metadata_destroy(metadata) }
            return err
        }
        guard err == RD_KAFKA_RESP_ERR_NO_ERROR else { throw KafkaError(err) }
    }

    /// Hands a record to librdkafka; `onDelivery` runs on the poll thread once the broker answered.
    ///
    /// - Throws: `KafkaError.Code.queueFull` when librdkafka's local queue is full (try again after the
    ///   queue drains); `onDelivery` is not called when this throws.
    public func produce(
        _ message: KafkaOutgoingMessage,
        onDelivery: @escaping @Sendable (Result<KafkaDeliveryReport, KafkaError>) -> Void
    ) throws(KafkaError) {
        try enqueue(message, callback: ClosureDelivery(onDelivery))
    }

    /// Hands every message to librdkafka in order and waits for all their delivery reports: one
    /// wait and one small object per record, where a closure per record was two (docs/benchmarks.md).
    /// - Returns: the indices of the messages not delivered, in order: refused by librdkafka (its
    ///   queue full, say) or failed. Send those again.
    public func produce(_ messages: [KafkaOutgoingMessage]) async -> [Int] {
        guard !messages.isEmpty else { return [] }
        return await withCheckedContinuation { continuation in
            let batch = BatchDelivery(count: messages.count, continuation: continuation)
            // By index: the messages are read in place, where enumerating copied each.
            for index in messages.indices {
                do throws(KafkaError) {
                    try enqueue(messages[index], callback: BatchMember(batch, index: index))
                } catch {
                    batch.report(index, delivered: false)
                }
            }
        }
    }

    private func enqueue(_ message: KafkaOutgoingMessage, callback: DeliveryCallback) throws(KafkaError) {
        // The callback is retained for librdkafka; the delivery report callback releases it, or we do
        // when librdkafka refuses the record.
        let opaque = Unmanaged.passRetained(callback)
        // Headers: librdkafka owns them only when produceva succeeds.
        let headers: OpaquePointer? = message.headers.isEmpty ? nil : rd_kafka_headers_new(message.headers.count)
        for header in message.headers {
            if let value = header.value {
                _ = value.withUnsafeBytes { rd_kafka_header_add(headers, header.name, -1, $0.baseAddress, $0.count) }
            } else {
                _ = rd_kafka_header_add(headers, header.name, -1, nil, 0)
            }
        }
        let error: OpaquePointer? = message.topic.withCString { topic in
            message.value.withUnsafeBytes { value in
                withOptionalBytes(message.key) { key in
                    // Every field below, on the stack: an array of them was an allocation per record.
                    withUnsafeTemporaryAllocation(of: rd_kafka_vu_t.self, capacity: 8) { args in
                        var count = 0
                        func add(_ type: rd_kafka_vtype_t, _ set: (inout rd_kafka_vu_t.__Unnamed_union_u) -> Void) {
                            args[count] = Self.vu(type, set)
                            count += 1
                        }
                        add(RD_KAFKA_VTYPE_TOPIC) { $0.cstr = topic }
                        add(RD_KAFKA_VTYPE_VALUE) {
                            $0.mem = .init(ptr: UnsafeMutableRawPointer(mutating: value.baseAddress), size: value.count)
                        }
                        if let key {
                            add(RD_KAFKA_VTYPE_KEY) {
                                $0.mem = .init(ptr: UnsafeMutableRawPointer(mutating: key.baseAddress), size: key.count)
                            }
                        }
                        if let partition = message.partition { add(RD_KAFKA_VTYPE_PARTITION) { $0.i32 = partition } }
                        if let headers { add(RD_KAFKA_VTYPE_HEADERS) { $0.headers = headers } }
                        if let timestamp = message.timestampMilliseconds { add(RD_KAFKA_VTYPE_TIMESTAMP) { $0.i64 = timestamp } }
                        add(RD_KAFKA_VTYPE_MSGFLAGS) { $0.i = RD_KAFKA_MSG_F_COPY }
                        add(RD_KAFKA_VTYPE_OPAQUE) { $0.ptr = opaque.toOpaque() }
                        return rd_kafka_produceva(handle.pointer, args.baseAddress, count)
                    }
                }
            }
        }
        if let error {
            opaque.release()
            if let headers { rd_kafka_headers_destroy(headers) }
            throw KafkaError(consuming: error)
        }
    }

    private static func vu(_ type: rd_kafka_vtype_t, _ set: (inout rd_kafka_vu_t.__Unnamed_union_u) -> Void) -> rd_kafka_vu_t {
        var vu = rd_kafka_vu_t()
        vu.vtype = type
        set(&vu.u)
        return vu
    }

    /// Waits until every queued record is acknowledged or failed.
    /// - Throws: `KafkaError.Code.timedOut` when records are still outstanding after `timeout`.
    public func flush(timeout: Duration) async throws(KafkaError) {
        let handle = handle
        let err = await RDKafkaThread.run(name: "faxd.kafka.flush") { rd_kafka_flush(handle.pointer, Int32(timeout.milliseconds)) }
        if err == RD_KAFKA_RESP_ERR__TIMED_OUT {
            let outstanding = rd_kafka_outq_len(handle.pointer)
            throw KafkaError(code: .timedOut, reason: "\(outstanding) records still unacknowledged after \(timeout)")
        }
        try KafkaError.check(err)
    }

    /// Flushes for at most `timeout`, then stops the poll thread and destroys the client. Records not
    /// acknowledged by then fail with `KafkaError.Code.closed`.
    public func close(timeout: Duration = .seconds(10)) async {
        do { try await flush(timeout: timeout) } catch {
            logger.warning("Kafka producer closed with records unacknowledged", metadata: ["error": "\(error)"])
        }
        await poller.shutdown(name: "faxd.kafka.producer.close") { handle in
            rd_kafka_purge(handle.pointer, RD_KAFKA_PURGE_F_QUEUE | RD_KAFKA_PURGE_F_INFLIGHT)
            rd_kafka_poll(handle.pointer, 0)  // serve the purged records' delivery reports
        }
    }
}

/// A record's completion, retained across the C boundary as its per-message opaque: a closure
/// (`ClosureDelivery`) or a member of a batch (`BatchMember`). Subclasses hold only constants.
class DeliveryCallback: @unchecked Sendable {
    /// Called once, on the poll thread, with the record's delivery report.
    func complete(_ message: rd_kafka_message_t) {}
}

private final class ClosureDelivery: DeliveryCallback, @unchecked Sendable {
    let completion: @Sendable (Result<KafkaDeliveryReport, KafkaError>) -> Void

    init(_ completion: @escaping @Sendable (Result<KafkaDeliveryReport, KafkaError>) -> Void) {
        self.completion = completion
    }

    override func complete(_ message: rd_kafka_message_t) {
        guard message.err == RD_KAFKA_RESP_ERR_NO_ERROR else { return completion(.failure(KafkaError(message.err))) }
        completion(
            .success(
                KafkaDeliveryReport(
                    topic: String(cString: rd_kafka_topic_name(message.rkt)),
                    partition: message.partition,
                    offset: message.offset
                )
            )
        )
    }
}

/// One record of `KafkaProducer.produce(_:)`'s batch.
private final class BatchMember: DeliveryCallback, @unchecked Sendable {
    let batch: BatchDelivery
    let index: Int

    init(_ batch: BatchDelivery, index: Int) {
        self.batch = batch
        self.index = index
    }

    /// Only whether the record was delivered: no report is built for a batch's record.
    override func complete(_ message: rd_kafka_message_t) {
        batch.report(index, delivered: message.err == RD_KAFKA_RESP_ERR_NO_ERROR)
    }
}

/// Collects a batch's delivery reports; resumes its waiter after the last.
private final class BatchDelivery: Sendable {
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

private func withOptionalBytes<R>(_ bytes: [UInt8]?, _ body: (UnsafeRawBufferPointer?) -> R) -> R {
    guard let bytes else { return body(nil) }
    return bytes.withUnsafeBytes { body($0) }
}

internal import CLibrdkafka
import Logging

/// The Swift object behind a librdkafka client's `opaque`: callbacks running on librdkafka's threads
/// reach the logger and the owner's handlers through it.
///
/// - Important: retained once when passed to `rd_kafka_conf_set_opaque` and released by `release()`
///   after `rd_kafka_destroy` returned, so it outlives every callback.
final class RDKafkaClientContext: Sendable {
    let logger: Logger
    /// The consumer's rebalance handling; nil for producers and admin handles.
    let rebalance: (@Sendable (OpaquePointer, rd_kafka_resp_err_t, UnsafeMutablePointer<rd_kafka_topic_partition_list_t>) -> Void)?

    init(
        logger: Logger,
        rebalance: (@Sendable (OpaquePointer, rd_kafka_resp_err_t, UnsafeMutablePointer<rd_kafka_topic_partition_list_t>) -> Void)? = nil
    ) {
        self.logger = logger
        self.rebalance = rebalance
    }

    static func from(_ rk: OpaquePointer?) -> RDKafkaClientContext? {
        guard let rk, let opaque = rd_kafka_opaque(rk) else { return nil }
        return Unmanaged<RDKafkaClientContext>.fromOpaque(opaque).takeUnretainedValue()
    }
}

/// Builds librdkafka clients from property dictionaries.
enum RDKafkaClient {
    /// Creates a client handle of `type` with `properties`, librdkafka's log routed to `context.logger`,
    /// and the callbacks `configure` sets.
    ///
    /// - Returns: the handle and the retained context pointer; the caller releases the context with
    ///   `Unmanaged.release()` after destroying the handle.
    static func make(
        type: rd_kafka_type_t,
        properties: [String: String],
        context: RDKafkaClientContext,
        configure: (OpaquePointer) -> Void = { _ in }
    ) throws(KafkaError) -> (RDKafkaPointer, Unmanaged<RDKafkaClientContext>) {
        let conf = rd_kafka_conf_new()!
        var errstr = [CChar](repeating: 0, count: 512)
        // Sorted so that a bad property is reported the same way every time.
        for (name, value) in properties.sorted(by: { $0.key < $1.key }) {
            if rd_kafka_conf_set(conf, name, value, &errstr, errstr.count) != RD_KAFKA_CONF_OK {
                rd_kafka_conf_destroy(conf)
                let text = String(nulTerminated: errstr)
                throw KafkaError(code: .invalidConfiguration, reason: "Kafka property \(name): \(text)")
            }
        }
        rd_kafka_conf_set_log_cb(conf) { rk, level, facility, message in
            guard let context = RDKafkaClientContext.from(rk), let facility, let message else { return }
            // syslog levels: 0 emerg … 7 debug.
            let swiftLevel: Logger.Level =
                switch level {
                case ...3: .error
                case 4: .warning
                case 5, 6: .info
                default: .debug
                }
            context.logger.log(
                level: swiftLevel,
                "\(String(cString: message))",
                metadata: ["kafka.facility": "\(String(cString: facility))"]
            )
        }
        configure(conf)
        let unmanaged = Unmanaged.passRetained(context)
        rd_kafka_conf_set_opaque(conf, unmanaged.toOpaque())
        // rd_kafka_new takes ownership of conf only on success.
        guard let rk = rd_kafka_new(type, conf, &errstr, errstr.count) else {
            rd_kafka_conf_destroy(conf)
            unmanaged.release()
            let text = String(nulTerminated: errstr)
            throw KafkaError(code: .invalidConfiguration, reason: text)
        }
        return (RDKafkaPointer(rk), unmanaged)
    }
}

extension String {
    /// Decodes a NUL-terminated C buffer filled by librdkafka (error strings).
    init(nulTerminated buffer: [CChar]) {
        self.init(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }
}

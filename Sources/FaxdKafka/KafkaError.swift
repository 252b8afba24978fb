internal import CLibrdkafka

/// An error from the Kafka adapter, mapped once from librdkafka at the C boundary.
///
/// `code` carries librdkafka's `rd_kafka_resp_err_t` value, so any librdkafka error can be represented;
/// the static members name the ones callers branch on.
public struct KafkaError: Error, Sendable, Hashable, CustomStringConvertible {
    /// An extensible error code: the raw value is librdkafka's `rd_kafka_resp_err_t`.
    public struct Code: Sendable, Hashable, RawRepresentable, CustomStringConvertible {
        public let rawValue: Int32
        public init(rawValue: Int32) { self.rawValue = rawValue }
        init(_ err: rd_kafka_resp_err_t) { self.rawValue = err.rawValue }

        /// The partition is no longer assigned to this consumer (`ERR__STATE` from the offset store):
        /// it was revoked or lost. Not a crash: the next owner redoes the work.
        public static let partitionLost = Code(RD_KAFKA_RESP_ERR__STATE)
        public static let timedOut = Code(RD_KAFKA_RESP_ERR__TIMED_OUT)
        public static let messageTimedOut = Code(RD_KAFKA_RESP_ERR__MSG_TIMED_OUT)
        public static let queueFull = Code(RD_KAFKA_RESP_ERR__QUEUE_FULL)
        public static let transport = Code(RD_KAFKA_RESP_ERR__TRANSPORT)
        public static let allBrokersDown = Code(RD_KAFKA_RESP_ERR__ALL_BROKERS_DOWN)
        public static let fatal = Code(RD_KAFKA_RESP_ERR__FATAL)
        public static let invalidArgument = Code(RD_KAFKA_RESP_ERR__INVALID_ARG)
        public static let invalidConfiguration = Code(RD_KAFKA_RESP_ERR__INVALID_TYPE)
        public static let unknownTopicOrPartition = Code(RD_KAFKA_RESP_ERR_UNKNOWN_TOPIC_OR_PART)
        public static let rebalanceInProgress = Code(RD_KAFKA_RESP_ERR_REBALANCE_IN_PROGRESS)
        public static let notCoordinator = Code(RD_KAFKA_RESP_ERR_NOT_COORDINATOR)
        public static let notLeaderForPartition = Code(RD_KAFKA_RESP_ERR_NOT_LEADER_FOR_PARTITION)
        public static let requestTimedOut = Code(RD_KAFKA_RESP_ERR_REQUEST_TIMED_OUT)
        public static let brokerNotAvailable = Code(RD_KAFKA_RESP_ERR_BROKER_NOT_AVAILABLE)
        public static let leaderNotAvailable = Code(RD_KAFKA_RESP_ERR_LEADER_NOT_AVAILABLE)
        public static let notEnoughReplicas = Code(RD_KAFKA_RESP_ERR_NOT_ENOUGH_REPLICAS)
        public static let topicAlreadyExists = Code(RD_KAFKA_RESP_ERR_TOPIC_ALREADY_EXISTS)
        public static let noOffset = Code(RD_KAFKA_RESP_ERR__NO_OFFSET)
        /// The group has members (`NON_EMPTY_GROUP`); also raised by `KafkaAdmin.alterCommittedOffsets`.
        public static let nonEmptyGroup = Code(RD_KAFKA_RESP_ERR_NON_EMPTY_GROUP)
        /// A message is larger than the cluster or the client takes (`MSG_SIZE_TOO_LARGE`).
        public static let messageTooLarge = Code(RD_KAFKA_RESP_ERR_MSG_SIZE_TOO_LARGE)

        /// Codes with which sending the same record again fails again: too large, or refused as
        /// invalid. Every other failure of a send may pass.
        static let refusingTheRecord: Set<Code> = [
            messageTooLarge, Code(RD_KAFKA_RESP_ERR_RECORD_LIST_TOO_LARGE), Code(RD_KAFKA_RESP_ERR_INVALID_RECORD),
            Code(RD_KAFKA_RESP_ERR_INVALID_MSG), Code(RD_KAFKA_RESP_ERR_INVALID_MSG_SIZE),
        ]
        /// The client was closed (`ERR__DESTROY`).
        public static let closed = Code(RD_KAFKA_RESP_ERR__DESTROY)

        /// librdkafka's symbolic name, e.g. `_STATE` or `REBALANCE_IN_PROGRESS`.
        public var description: String {
            String(cString: rd_kafka_err2name(rd_kafka_resp_err_t(rawValue: rawValue)))
        }
    }

    public let code: Code
    /// A human-readable reason: librdkafka's text, or the adapter's own for errors it raises.
    public let reason: String
    /// Trying the same operation again may succeed.
    public let isRetriable: Bool
    /// The client instance is unusable; it must be closed and recreated.
    public let isFatal: Bool

    /// Whether the cluster or the client refuses this record for what it is (too large, invalid):
    /// sending it again fails the same way, unlike a broker that is down or a full queue.
    public var refusesTheRecord: Bool { Code.refusingTheRecord.contains(code) }

    public init(code: Code, reason: String, isRetriable: Bool = false, isFatal: Bool = false) {
        self.code = code
        self.reason = reason
        self.isRetriable = isRetriable
        self.isFatal = isFatal
    }

    public var description: String { "kafka error \(code): \(reason)" }

    /// Codes librdkafka reports as bare `rd_kafka_resp_err_t` (without an `rd_kafka_error_t`) whose
    /// operation is worth retrying: transient broker, network and coordinator conditions.
    private static let retriableCodes: Set<Code> = [
        .timedOut, .messageTimedOut, .queueFull, .transport, .allBrokersDown, .rebalanceInProgress,
        .notCoordinator, .notLeaderForPartition, .requestTimedOut, .brokerNotAvailable, .leaderNotAvailable,
        Code(RD_KAFKA_RESP_ERR_COORDINATOR_LOAD_IN_PROGRESS), Code(RD_KAFKA_RESP_ERR_COORDINATOR_NOT_AVAILABLE),
        .notEnoughReplicas, Code(RD_KAFKA_RESP_ERR_NOT_ENOUGH_REPLICAS_AFTER_APPEND),
    ]

    /// Maps a bare librdkafka error code, with an optional message that replaces librdkafka's text.
    init(_ err: rd_kafka_resp_err_t, message: String? = nil) {
        let code = Code(err)
        self.init(
            code: code,
            reason: message ?? String(cString: rd_kafka_err2str(err)),
            isRetriable: Self.retriableCodes.contains(code),
            isFatal: code == .fatal
        )
    }

    /// Maps and destroys an `rd_kafka_error_t`.
    /// - Important: takes ownership of `error`: it is destroyed here.
    init(consuming error: OpaquePointer) {
        defer { rd_kafka_error_destroy(error) }
        self.init(
            code: Code(rd_kafka_error_code(error)),
            reason: String(cString: rd_kafka_error_string(error)),
            isRetriable: rd_kafka_error_is_retriable(error) != 0,
            isFatal: rd_kafka_error_is_fatal(error) != 0
        )
    }

    /// Throws when `err` is not `NO_ERROR`.
    static func check(_ err: rd_kafka_resp_err_t) throws(KafkaError) {
        if err != RD_KAFKA_RESP_ERR_NO_ERROR { throw KafkaError(err) }
    }

    /// Throws (and destroys) a non-nil `rd_kafka_error_t`.
    static func check(consuming error: OpaquePointer?) throws(KafkaError) {
        if let error { throw KafkaError(consuming: error) }
    }
}

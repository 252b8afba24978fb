public import FaxdCore
public import FaxdKafka
public import Foundation
public import Logging

/// Reads the dead-letter topic from its first record to the end it has when the read starts and
/// re-publishes the selected dead letters to the jobs topic — or, on a dry run, only counts them: what
/// `faxd redrive` and the console's redrive do (DESIGN §8).
///
/// Each job goes back byte for byte, so it keeps its job id and idempotency key: mintfax answers a job
/// it already took with the fax it has, never a second one. Nothing is committed and the dead letters
/// stay where they are.
public struct DeadLetterRedrive: Sendable {
    /// A tenant ("-" for a record without a key) and an error code ("-" without one).
    public struct Row: Hashable, Sendable, Comparable {
        public var tenant: String
        public var errorCode: String

        public static func < (lhs: Row, rhs: Row) -> Bool { (lhs.tenant, lhs.errorCode) < (rhs.tenant, rhs.errorCode) }
    }

    /// What a read found and did.
    public struct Outcome: Sendable {
        public var readCount = 0
        /// Selected dead letters by tenant and error code.
        public var selected: [Row: Int] = [:]
        public var skippedRejected = 0
        /// Dead letters kept only as a reference to the job (`faxd.truncated`): not re-published.
        public var skippedTruncated = 0
        /// Records Kafka acknowledged on the jobs topic (0 on a dry run).
        public var published = 0
        /// The first publication that failed.
        public var failure: KafkaError?
        /// Why reading ended before the end of the topic; nil when it reached the end.
        public var stopped: String?

        public var selectedCount: Int { selected.values.reduce(0, +) }
    }

    public let cluster: KafkaClientConfiguration
    public let jobsTopic: String
    public let selection: DeadLetterSelection
    private let reader: KafkaTopicSnapshotReader
    private let logger: Logger

    /// Notes where the dead-letter topic's partitions start and end; nothing is read yet.
    ///
    /// - Parameter readTimeout: how long the read waits for a record before the end before it gives up.
    /// - Throws: `KafkaError` when the topic's partitions cannot be found.
    public init(
        cluster: KafkaClientConfiguration,
        deadLetterTopic: String,
        jobsTopic: String,
        selection: DeadLetterSelection,
        readTimeout: Duration = .seconds(30),
        logger: Logger
    ) async throws(KafkaError) {
        self.cluster = cluster
        self.jobsTopic = jobsTopic
        self.selection = selection
        self.logger = logger
        reader = try await KafkaTopicSnapshotReader(
            topic: deadLetterTopic,
            configuration: cluster,
            idleTimeout: readTimeout,
            logger: logger
        )
    }

    /// Reads the topic up to the end noted at `init` and re-publishes what is selected (nothing on a
    /// dry run).
    ///
    /// - Throws: `KafkaError` when the producer cannot be made; a read that stops is reported in
    ///   ``Outcome/stopped``, with what was published before.
    public func run(dryRun: Bool) async throws(KafkaError) -> Outcome {
        var republisher = try Republisher(cluster: cluster, dryRun: dryRun, logger: logger)
        var outcome = Outcome()
        do {
            try await reader.read { record in
                outcome.readCount += 1
                let deadLetter = DeadLetter(record)
                switch selection.verdict(tenant: deadLetter.tenant, errorCode: deadLetter.errorCode, writtenAt: deadLetter.writtenAt) {
                case .redrive where deadLetter.truncated:
                    outcome.skippedTruncated += 1
                case .redrive:
                    outcome.selected[Row(tenant: deadLetter.tenant ?? "-", errorCode: deadLetter.errorCode ?? "-"), default: 0] += 1
                    try await republisher.publish(Self.redriven(record, to: jobsTopic))
                case .skipRejected:
                    outcome.skippedRejected += 1
                case .notSelected:
                    break
                }
            }
        } catch {
            outcome.stopped = "\(error)"
        }
        (outcome.published, outcome.failure) = await republisher.finish(cut: outcome.stopped != nil)
        return outcome
    }

    /// A dead letter as the selection sees it.
    struct DeadLetter {
        var tenant: String?
        var errorCode: String?
        var writtenAt: Date?
        /// Only a reference to the job was kept (the record was too large for Kafka with the reason).
        var truncated: Bool

        init(_ record: KafkaRecord) {
            tenant = record.key.map { String(decoding: $0, as: UTF8.self) }
            errorCode = record.header(Self.errorCodeHeader).map { String(decoding: $0, as: UTF8.self) }
            writtenAt = record.timestampMilliseconds.map { Date(timeIntervalSince1970: Double($0) / 1000) }
            truncated = record.header("faxd.truncated") != nil
        }

        /// Written by the worker's `EventPublisher.deadLetter`, like every `faxd.` header.
        static let errorCodeHeader = "faxd.error.code"
    }

    /// The job of a dead letter, bytes unchanged, without the `faxd.` reason headers (the worker adds
    /// new ones if it parks the job again), with the producer's other headers, and with
    /// `faxd.redriven-from` naming the dead letter (`topic/partition/offset`).
    public static func redriven(_ record: KafkaRecord, to topic: String) -> KafkaOutgoingMessage {
        KafkaOutgoingMessage(
            topic: topic,
            key: record.key,
            value: record.value,
            headers: record.headers.filter { !$0.name.hasPrefix("faxd.") }
                + [KafkaHeader(name: "faxd.redriven-from", string: "\(record.topic)/\(record.partition)/\(record.offset)")]
        )
    }
}

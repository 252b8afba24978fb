internal import CLibrdkafka
public import Logging

/// Cluster and group administration: topics, watermarks, and a group's committed offsets.
///
/// - Important: call `close()` when done.
public final class KafkaAdmin: Sendable {
    private let configuration: KafkaClientConfiguration
    private let poller: RDKafkaMainPoller
    private var handle: RDKafkaPointer { poller.handle }
    private let logger: Logger

    public init(configuration: KafkaClientConfiguration, logger: Logger) throws(KafkaError) {
        self.configuration = configuration
        self.logger = logger
        let (handle, context) = try RDKafkaClient.make(
            type: RD_KAFKA_PRODUCER,
            properties: configuration.merged(over: [:]),
            context: RDKafkaClientContext(logger: logger)
        )
        poller = RDKafkaMainPoller(handle, context: context, name: "faxd.kafka.admin")
    }

    deinit {
        poller.shutdownInBackground(name: "faxd.kafka.admin.close")
    }

    /// Stops the poll thread and destroys the client.
    public func close() async {
        await poller.shutdown(name: "faxd.kafka.admin.close")
    }

    /// A partition's low and high watermarks.
    public func watermarks(_ partition: KafkaTopicPartition, timeout: Duration = .seconds(10)) async throws(KafkaError) -> KafkaWatermarks {
        try await RDKafkaQueries.watermarks(handle, partition, timeout: timeout)
    }

    /// The low and high watermarks of every partition of `topic` now: one metadata request for the
    /// partitions, then one watermark query per partition, each bounded by `timeout`. Empty partitions
    /// are included (`low == high`); callers that want the partitions holding records keep `high > low`.
    ///
    /// - Throws: `KafkaError.Code.unknownTopicOrPartition` when the topic does not exist (the lookup
    ///   does not create it; see `partitionCounts(of:timeout:)`); otherwise the first request that
    ///   failed.
    public func watermarks(
        ofTopic topic: String,
        timeout: Duration = .seconds(10)
    ) async throws(KafkaError) -> [KafkaTopicPartition: KafkaWatermarks] {
        let count = try await partitionCount(topic: topic, timeout: timeout)
        return try await watermarks(of: (0..<count).map { KafkaTopicPartition(topic: topic, partition: Int32($0)) }, timeout: timeout)
    }

    /// The low and high watermarks of each of `partitions`, one query each, bounded by `timeout`.
    /// - Throws: the first request that failed.
    public func watermarks(
        of partitions: [KafkaTopicPartition],
        timeout: Duration = .seconds(10)
    ) async throws(KafkaError) -> [KafkaTopicPartition: KafkaWatermarks] {
        var result: [KafkaTopicPartition: KafkaWatermarks] = [:]
        for partition in partitions { result[partition] = try await watermarks(partition, timeout: timeout) }
        return result
    }

    /// For each partition, the earliest offset whose timestamp is at or after the given time
    /// (milliseconds since the epoch); -1 where no such record exists.
    public func offsets(
        forTimes times: [KafkaTopicPartition: Int64],
        timeout: Duration = .seconds(10)
    ) async throws(KafkaError) -> [KafkaTopicPartition: Int64] {
        try await RDKafkaQueries.offsetsForTimes(handle, times, timeout: timeout)
    }

    /// The number of partitions of `topic`, from the cluster's metadata (see
    /// `partitionCounts(of:timeout:)`).
    ///
    /// - Throws: `KafkaError.Code.unknownTopicOrPartition` when the cluster does not list `topic`;
    ///   the topic's own error (a leader not yet elected, say); the request's error.
    public func partitionCount(topic: String, timeout: Duration = .seconds(10)) async throws(KafkaError) -> Int {
        guard let count = try await partitionCounts(of: [topic], timeout: timeout)[topic] else {
            throw KafkaError(code: .unknownTopicOrPartition, reason: "topic \(topic) does not exist")
        }
        return count
    }

    /// The number of partitions of each of `topics` the cluster lists, from one metadata request;
    /// a topic it does not list is absent from the result.
    ///
    /// It asks for every topic's metadata, not for `topics`': a request naming a topic lets the
    /// cluster create it (the mock cluster always does, as do clusters with
    /// `auto.create.topics.enable`), and a mistyped topic must be reported missing, not created
    /// empty. A topic this client may not describe is not listed either, so it is reported missing.
    ///
    /// - Throws: the first listed topic's own error (a leader not yet elected, say); the request's error.
    public func partitionCounts(of topics: [String], timeout: Duration = .seconds(10)) async throws(KafkaError) -> [String: Int] {
        let handle = handle
        let wanted = Set(topics)
        let result = await RDKafkaThread.run(name: "faxd.kafka.metadata") { () -> Result<[String: Int], KafkaError> in
            var metadata: UnsafePointer<rd_kafka_metadata>?
            let err = rd_kafka_metadata(handle.pointer, 1, nil, &metadata, Int32(timeout.milliseconds))
            guard err == RD_KAFKA_RESP_ERR_NO_ERROR, let metadata else { return .failure(KafkaError(err)) }
            defer { rd_kafka_metadata_destroy(metadata) }
            var counts: [String: Int] = [:]
            for entry in UnsafeBufferPointer(start: metadata.pointee.topics, count: Int(metadata.pointee.topic_cnt)) {
                let name = String(cString: entry.topic)
                guard wanted.contains(name) else { continue }
                if entry.err != RD_KAFKA_RESP_ERR_NO_ERROR { return .failure(KafkaError(entry.err)) }
                counts[name] = Int(entry.partition_cnt)
            }
            return .success(counts)
        }
        return try result.get()
    }

    /// Creates topics with the CreateTopics admin request; a topic that already exists is not an error.
    ///
    /// - Throws: the first topic's error otherwise. librdkafka's mock cluster does not serve this
    ///   request (use `MockKafkaCluster.createTopic` there).
    public func createTopics(
        _ topics: [(name: String, partitions: Int, replicationFactor: Int)],
        timeout: Duration = .seconds(30)
    ) async throws(KafkaError) {
        let handle = handle
        let requests = topics.map { ($0.name, Int32($0.partitions), Int32($0.replicationFactor)) }
        let failure = await RDKafkaThread.run(name: "faxd.kafka.create_topics") { () -> KafkaError? in
            var errstr = [CChar](repeating: 0, count: 512)
            var newTopics: [OpaquePointer?] = []
            defer {
                for topic in newTopics { rd_kafka_NewTopic_destroy(topic) }
            }
            for (name, partitions, replication) in requests {
                guard let topic = rd_kafka_NewTopic_new(name, partitions, replication, &errstr, errstr.count) else {
                    return KafkaError(code: .invalidArgument, reason: "topic \(name): \(String(nulTerminated: errstr))")
                }
                newTopics.append(topic)
            }
            let queue = rd_kafka_queue_new(handle.pointer)
            defer { rd_kafka_queue_destroy(queue) }
            let options = rd_kafka_AdminOptions_new(handle.pointer, RD_KAFKA_ADMIN_OP_CREATETOPICS)
            defer { rd_kafka_AdminOptions_destroy(options) }
            _ = rd_kafka_AdminOptions_set_request_timeout(options, Int32(timeout.milliseconds), &errstr, errstr.count)
            rd_kafka_CreateTopics(handle.pointer, &newTopics, newTopics.count, options, queue)
            guard let event = rd_kafka_queue_poll(queue, Int32(timeout.milliseconds) + 1000) else {
                return KafkaError(code: .timedOut, reason: "CreateTopics got no answer within \(timeout)")
            }
            defer { rd_kafka_event_destroy(event) }
            let eventError = rd_kafka_event_error(event)
            if eventError != RD_KAFKA_RESP_ERR_NO_ERROR {
                return KafkaError(eventError, message: String(cString: rd_kafka_event_error_string(event)))
            }
            guard let result = rd_kafka_event_CreateTopics_result(event) else {
                return KafkaError(code: .invalidArgument, reason: "CreateTopics answered with an unexpected event")
            }
            var count = 0
            guard let results = rd_kafka_CreateTopics_result_topics(result, &count) else { return nil }
            for index in 0..<count {
                let err = rd_kafka_topic_result_error(results[index])
                if err == RD_KAFKA_RESP_ERR_NO_ERROR || err == RD_KAFKA_RESP_ERR_TOPIC_ALREADY_EXISTS { continue }
                let name = String(cString: rd_kafka_topic_result_name(results[index]))
                let text = rd_kafka_topic_result_error_string(results[index]).map { String(cString: $0) } ?? ""
                return KafkaError(err, message: "topic \(name): \(text)")
            }
            return nil
        }
        if let failure { throw failure }
    }

    /// How many members `group` has now (0 for a group that is empty or unknown), from the
    /// DescribeConsumerGroups admin request; nil when the cluster does not serve it (librdkafka's mock
    /// cluster, behind `faxd broker`, does not).
    ///
    /// It asks through a client of its own, destroyed in the background: librdkafka 2.0's
    /// `rd_kafka_destroy` does not return once a cluster refused this request as unsupported.
    ///
    /// - Throws: the request's or the group's error otherwise.
    public func memberCount(group: String, timeout: Duration = .seconds(10)) async throws(KafkaError) -> Int? {
        let (handle, context) = try RDKafkaClient.make(
            type: RD_KAFKA_PRODUCER,
            properties: configuration.merged(over: [:]),
            context: RDKafkaClientContext(logger: logger)
        )
        defer { Self.destroy(handle, context) }
        let result = await RDKafkaThread.run(name: "faxd.kafka.describe_group") { () -> Result<Int?, KafkaError> in
            var errstr = [CChar](repeating: 0, count: 512)
            let queue = rd_kafka_queue_new(handle.pointer)
            defer { rd_kafka_queue_destroy(queue) }
            let options = rd_kafka_AdminOptions_new(handle.pointer, RD_KAFKA_ADMIN_OP_DESCRIBECONSUMERGROUPS)
            defer { rd_kafka_AdminOptions_destroy(options) }
            _ = rd_kafka_AdminOptions_set_request_timeout(options, Int32(timeout.milliseconds), &errstr, errstr.count)
            group.withCString { name in
                var names: [UnsafePointer<CChar>?] = [name]
                rd_kafka_DescribeConsumerGroups(handle.pointer, &names, 1, options, queue)
            }
            guard let event = rd_kafka_queue_poll(queue, Int32(timeout.milliseconds) + 1000) else {
                return .failure(KafkaError(code: .timedOut, reason: "DescribeConsumerGroups got no answer within \(timeout)"))
            }
            defer { rd_kafka_event_destroy(event) }
            let eventError = rd_kafka_event_error(event)
            if eventError != RD_KAFKA_RESP_ERR_NO_ERROR {
                return .failure(KafkaError(eventError, message: String(cString: rd_kafka_event_error_string(event))))
            }
            var count = 0
            guard let described = rd_kafka_event_DescribeConsumerGroups_result(event),
                let groups = rd_kafka_DescribeConsumerGroups_result_groups(described, &count), count == 1, let description = groups[0]
            else {
                return .failure(KafkaError(code: .invalidArgument, reason: "DescribeConsumerGroups answered with an unexpected event"))
            }
            if let error = rd_kafka_ConsumerGroupDescription_error(description) {
                let code = rd_kafka_error_code(error)
                if code == RD_KAFKA_RESP_ERR__UNSUPPORTED_FEATURE || code == RD_KAFKA_RESP_ERR_UNSUPPORTED_VERSION { return .success(nil) }
                if code == RD_KAFKA_RESP_ERR_GROUP_ID_NOT_FOUND { return .success(0) }
                return .failure(KafkaError(code, message: String(cString: rd_kafka_error_string(error))))
            }
            return .success(rd_kafka_ConsumerGroupDescription_member_count(description))
        }
        return try result.get()
    }

    /// `group`'s committed offsets (the next offset it reads) for `partitions`; nil where it has none.
    public func committedOffsets(
        group: String,
        partitions: [KafkaTopicPartition],
        timeout: Duration = .seconds(10)
    ) async throws(KafkaError) -> [KafkaTopicPartition: Int64?] {
        let (groupHandle, groupContext) = try groupClient(group)
        defer { Self.destroy(groupHandle, groupContext) }
        return try await RDKafkaQueries.committed(groupHandle, partitions, timeout: timeout)
    }

    /// Sets `group`'s committed offsets, as a replay does. The group should have no active members:
    /// a running member would overwrite them with its own commits.
    ///
    /// - Throws: `.nonEmptyGroup` when the short-lived member below was given only some partitions;
    ///   `.timedOut` when it was given none within `timeout`.
    ///
    /// Commits from outside the group first; a cluster that takes commits only from members (the
    /// mock cluster, once the group has had members, answers `UNKNOWN_MEMBER_ID`) gets them from a
    /// short-lived member that joins, waits to hold every partition concerned, commits and leaves.
    public func alterCommittedOffsets(
        group: String,
        offsets: [KafkaTopicPartition: Int64],
        timeout: Duration = .seconds(30)
    ) async throws(KafkaError) {
        do {
            try await commitFromOutside(group: group, offsets: offsets)
        } catch  where [Self.unknownMember, Self.illegalGeneration].contains(error.code) {
            try await commitAsMember(group: group, offsets: offsets, timeout: timeout)
        }
    }

    private static let unknownMember = KafkaError.Code(rawValue: RD_KAFKA_RESP_ERR_UNKNOWN_MEMBER_ID.rawValue)
    private static let illegalGeneration = KafkaError.Code(rawValue: RD_KAFKA_RESP_ERR_ILLEGAL_GENERATION.rawValue)

    private func commitAsMember(group: String, offsets: [KafkaTopicPartition: Int64], timeout: Duration) async throws(KafkaError) {
        let member = try KafkaConsumer(
            configuration: KafkaConsumerConfiguration(
                bootstrapServers: configuration.bootstrapServers,
                groupID: group,
                properties: configuration.properties
            ),
            logger: logger
        )
        let wanted = Set(offsets.keys)
        try member.subscribe(topics: Array(Set(wanted.map(\.topic))))
        let deadline = ContinuousClock.now.advanced(by: timeout)
        while true {
            let held = Set(try member.assignment())
            if wanted.isSubset(of: held) { break }
            // Given some partitions and not all: other members hold the rest.
            guard held.isEmpty, ContinuousClock.now < deadline else {
                try? await member.close()
                throw KafkaError(
                    code: held.isEmpty ? .timedOut : .nonEmptyGroup,
                    reason: held.isEmpty
                        ? "could not join group \(group) to commit offsets within \(timeout); is a member still running?"
                        : "group \(group) has other members; offsets not changed"
                )
            }
            try? await Task.sleep(for: .milliseconds(100))
        }
        do {
            try await member.commit(offsets)
        } catch {
            try? await member.close()
            throw error
        }
        try await member.close()
    }

    private func commitFromOutside(group: String, offsets: [KafkaTopicPartition: Int64]) async throws(KafkaError) {
        let (groupHandle, groupContext) = try groupClient(group)
        defer { Self.destroy(groupHandle, groupContext) }
        try await RDKafkaQueries.commit(groupHandle, offsets)
    }

    /// A consumer handle in `group` that never subscribes: it reads and writes the group's offsets
    /// without joining it.
    private func groupClient(_ group: String) throws(KafkaError) -> (RDKafkaPointer, Unmanaged<RDKafkaClientContext>) {
        try RDKafkaClient.make(
            type: RD_KAFKA_CONSUMER,
            properties: configuration.merged(over: ["group.id": group, "enable.auto.commit": "false"]),
            context: RDKafkaClientContext(logger: logger)
        )
    }

    private static func destroy(_ handle: RDKafkaPointer, _ context: Unmanaged<RDKafkaClientContext>) {
        RDKafkaThread.start(name: "faxd.kafka.admin.group_close") {
            rd_kafka_destroy(handle.pointer)
            context.release()
        }
    }
}

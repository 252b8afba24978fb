internal import CLibrdkafka
public import Logging

/// An in-memory Kafka cluster from librdkafka's mock cluster (`rdkafka_mock.h`): real brokers speaking
/// the Kafka protocol on loopback, with consumer groups, commits and the idempotent producer, plus
/// fault injection. For tests and `faxd broker`; not for production.
///
/// - Important: call `shutdown()` when done; every client of the cluster should be closed first.
public final class MockKafkaCluster: Sendable {
    private let poller: RDKafkaMainPoller
    private let cluster: RDKafkaPointer
    /// `host:port,…` of the cluster's brokers.
    public let bootstrapServers: String
    /// Broker ids, 1…`brokers`.
    public let brokerIDs: [Int32]

    /// Starts a cluster of `brokers` brokers on ephemeral loopback ports.
    public init(brokers: Int = 3, logger: Logger) throws(KafkaError) {
        // The mock cluster hangs off a client handle; a producer handle with no brokers of its own.
        let (handle, context) = try RDKafkaClient.make(
            type: RD_KAFKA_PRODUCER, properties: [:], context: RDKafkaClientContext(logger: logger))
        poller = RDKafkaMainPoller(handle, context: context, name: "faxd.kafka.mock")
        guard let cluster = rd_kafka_mock_cluster_new(handle.pointer, Int32(brokers)) else {
            poller.shutdownInBackground(name: "faxd.kafka.mock.close")
            throw KafkaError(code: .invalidArgument, reason: "could not start a mock cluster of \(brokers) brokers")
        }
        self.cluster = RDKafkaPointer(cluster)
        bootstrapServers = String(cString: rd_kafka_mock_cluster_bootstraps(cluster))
        brokerIDs = (1...Int32(max(brokers, 1))).map { $0 }
    }

    /// Creates a topic (the mock cluster does not serve the CreateTopics admin request).
    public func createTopic(_ name: String, partitions: Int, replicationFactor: Int = 1) throws(KafkaError) {
        try KafkaError.check(rd_kafka_mock_topic_create(cluster.pointer, name, Int32(partitions), Int32(replicationFactor)))
    }

    /// Takes a broker down: its connections are closed and new ones refused until `setBrokerUp`.
    public func setBrokerDown(_ brokerID: Int32) throws(KafkaError) {
        try KafkaError.check(rd_kafka_mock_broker_set_down(cluster.pointer, brokerID))
    }

    public func setBrokerUp(_ brokerID: Int32) throws(KafkaError) {
        try KafkaError.check(rd_kafka_mock_broker_set_up(cluster.pointer, brokerID))
    }

    /// Moves a partition's leadership to `brokerID`.
    public func setPartitionLeader(_ partition: KafkaTopicPartition, brokerID: Int32) throws(KafkaError) {
        try KafkaError.check(rd_kafka_mock_partition_set_leader(cluster.pointer, partition.topic, partition.partition, brokerID))
    }

    /// Makes the next requests of Kafka API `apiKey` (0 Produce, 1 Fetch, 8 OffsetCommit, …) fail with
    /// `errors`, one each, in order.
    public func pushRequestErrors(apiKey: Int16, _ errors: [KafkaError.Code]) {
        let raw = errors.map { rd_kafka_resp_err_t(rawValue: $0.rawValue) }
        rd_kafka_mock_push_request_errors_array(cluster.pointer, apiKey, raw.count, raw)
    }

    /// Destroys the cluster and its handle (blocking, off the cooperative pool).
    public func shutdown() async {
        let cluster = cluster
        await poller.shutdown(name: "faxd.kafka.mock.close") { _ in rd_kafka_mock_cluster_destroy(cluster.pointer) }
    }

    deinit {
        let cluster = cluster
        poller.shutdownInBackground(name: "faxd.kafka.mock.close") { _ in rd_kafka_mock_cluster_destroy(cluster.pointer) }
    }
}

internal import CLibrdkafka
import Glibc
public import Logging
import Synchronization

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
    /// Sockets of ours bound to the ports of brokers that are down, by broker id (see `setBrokerDown`).
    private let heldPorts = Mutex<[Int32: Int32]>([:])

    /// Starts a cluster of `brokers` brokers on ephemeral loopback ports.
    public init(brokers: Int = 3, logger: Logger) throws(KafkaError) {
        // The mock cluster hangs off a client handle; a producer handle with no brokers of its own.
        let (handle, context) = try RDKafkaClient.make(
            type: RD_KAFKA_PRODUCER,
            properties: [:],
            context: RDKafkaClientContext(logger: logger)
        )
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
    ///
    /// The broker's listener is closed, and `setBrokerUp` binds its port again; librdkafka 2.0.2's mock
    /// aborts the process when that bind fails. So while the broker is down a socket of ours holds
    /// the port (bound, not listening: connections are still refused), so that no other socket of the
    /// machine takes it as its ephemeral port meanwhile.
    public func setBrokerDown(_ brokerID: Int32) throws(KafkaError) {
        try KafkaError.check(rd_kafka_mock_broker_set_down(cluster.pointer, brokerID))
        guard let port = port(of: brokerID), let socket = Self.bind(port: port) else { return }
        heldPorts.withLock { held in
            if let previous = held.updateValue(socket, forKey: brokerID) { close(previous) }
        }
    }

    /// Brings a broker taken down by `setBrokerDown` back on its port.
    public func setBrokerUp(_ brokerID: Int32) throws(KafkaError) {
        if let socket = heldPorts.withLock({ $0.removeValue(forKey: brokerID) }) { close(socket) }
        try KafkaError.check(rd_kafka_mock_broker_set_up(cluster.pointer, brokerID))
    }

    /// The port of broker `brokerID`: the mock lists its brokers in id order in `bootstrapServers`.
    private func port(of brokerID: Int32) -> UInt16? {
        let addresses = bootstrapServers.split(separator: ",")
        guard brokerID >= 1, Int(brokerID) <= addresses.count else { return nil }
        return addresses[Int(brokerID) - 1].split(separator: ":").last.flatMap { UInt16($0) }
    }

    /// A TCP socket bound to 127.0.0.1:`port` with `SO_REUSEADDR` (the port's closed connections may
    /// linger in TIME_WAIT), not listening; nil when the port cannot be bound.
    private static func bind(port: UInt16) -> Int32? {
        let socket = Glibc.socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard socket >= 0 else { return nil }
        var reuse: Int32 = 1
        _ = setsockopt(socket, SOL_SOCKET, SO_REUSEADDR, &reuse, socklen_t(MemoryLayout<Int32>.size))
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = port.bigEndian
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        let bound = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { Glibc.bind(socket, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard bound == 0 else {
            close(socket)
            return nil
        }
        return socket
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
        heldPorts.withLock { held in
            for socket in held.values { close(socket) }
            held.removeAll()
        }
        let cluster = cluster
        await poller.shutdown(name: "faxd.kafka.mock.close") { _ in rd_kafka_mock_cluster_destroy(cluster.pointer) }
    }

    deinit {
        heldPorts.withLock { held in
            for socket in held.values { close(socket) }
        }
        let cluster = cluster
        poller.shutdownInBackground(name: "faxd.kafka.mock.close") { _ in rd_kafka_mock_cluster_destroy(cluster.pointer) }
    }
}

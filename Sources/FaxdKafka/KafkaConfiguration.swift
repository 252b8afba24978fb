/// Settings shared by consumers, producers and admin clients.
public struct KafkaClientConfiguration: Sendable {
    /// `host:port[,host:port…]` of one or more brokers.
    public var bootstrapServers: String
    /// Raw librdkafka properties, passed through unchanged and applied last, so they override the
    /// adapter's defaults: TLS (`security.protocol=ssl`, `ssl.ca.location`, …) and SASL
    /// (`sasl.mechanisms`, `sasl.username`, `sasl.password`) for real clusters. See librdkafka's
    /// CONFIGURATION.md for the full list.
    public var properties: [String: String]

    public init(bootstrapServers: String, properties: [String: String] = [:]) {
        self.bootstrapServers = bootstrapServers
        self.properties = properties
    }

    func merged(over defaults: [String: String]) -> [String: String] {
        var result = defaults
        result["bootstrap.servers"] = bootstrapServers
        result.merge(properties) { _, raw in raw }
        return result
    }
}

/// How a `KafkaConsumer` joins its group and buffers records.
public struct KafkaConsumerConfiguration: Sendable {
    public var client: KafkaClientConfiguration
    /// The consumer group (`group.id`).
    public var groupID: String
    /// Static membership (`group.instance.id`): a restarted member with the same id gets its partitions
    /// back without a rebalance, within `session.timeout.ms`. Default nil (dynamic membership).
    public var groupInstanceID: String?
    /// `partition.assignment.strategy`; default `cooperative-sticky` (incremental rebalances).
    public var assignmentStrategy: String = "cooperative-sticky"
    /// Where a partition without a committed offset starts: `earliest` (default) or `latest`.
    public var autoOffsetReset: String = "earliest"
    /// Records held between the poll thread and the reader. Above this the consumer pauses fetching
    /// (while it keeps polling); below half of it, it resumes. Default 10,000.
    public var maxBufferedRecords: Int = 10_000
    /// How long the revoke hook may take to drain and store offsets before partitions are released
    /// anyway. Default 30 s.
    public var revokeTimeout: Duration = .seconds(30)
    /// Interval at which stored offsets are committed in the background (`auto.commit.interval.ms`).
    /// Default 1 s.
    public var commitInterval: Duration = .seconds(1)

    public init(bootstrapServers: String, groupID: String, properties: [String: String] = [:]) {
        self.client = KafkaClientConfiguration(bootstrapServers: bootstrapServers, properties: properties)
        self.groupID = groupID
    }

    var librdkafkaProperties: [String: String] {
        var defaults = [
            "group.id": groupID,
            "partition.assignment.strategy": assignmentStrategy,
            "auto.offset.reset": autoOffsetReset,
            "enable.auto.offset.store": "false",
            "enable.auto.commit": "true",
            "auto.commit.interval.ms": String(commitInterval.milliseconds),
            "enable.partition.eof": "false",
        ]
        if let groupInstanceID { defaults["group.instance.id"] = groupInstanceID }
        return client.merged(over: defaults)
    }
}

/// How a `KafkaProducer` sends.
public struct KafkaProducerConfiguration: Sendable {
    public var client: KafkaClientConfiguration
    /// `enable.idempotence`: exactly-once per partition on the broker, ordering kept across retries.
    /// Default true.
    public var idempotent: Bool = true
    /// `linger.ms`: how long a batch may wait to fill. Default 5 ms.
    public var linger: Duration = .milliseconds(5)
    /// `message.timeout.ms`: a send that is not acknowledged within this fails. Default 5 minutes.
    public var deliveryTimeout: Duration = .seconds(300)
    /// `partitioner`: how a keyed record's partition is chosen. Default `murmur2_random`, the Java
    /// client's (librdkafka's own default is CRC32), so a tenant's jobs land on one partition whichever
    /// client produced them (`Murmur2Partitioner` in FaxdCore).
    public var partitioner = "murmur2_random"

    public init(bootstrapServers: String, properties: [String: String] = [:]) {
        self.client = KafkaClientConfiguration(bootstrapServers: bootstrapServers, properties: properties)
    }

    var librdkafkaProperties: [String: String] {
        client.merged(over: [
            "enable.idempotence": idempotent ? "true" : "false",
            "linger.ms": String(linger.milliseconds),
            "message.timeout.ms": String(deliveryTimeout.milliseconds),
            "partitioner": partitioner,
        ])
    }
}

extension Duration {
    /// Whole milliseconds, rounded down.
    var milliseconds: Int64 {
        let (seconds, attoseconds) = components
        return seconds * 1000 + attoseconds / 1_000_000_000_000_000
    }
}

internal import CLibrdkafka

/// A partition of a topic.
public struct KafkaTopicPartition: Sendable, Hashable, CustomStringConvertible {
    public var topic: String
    public var partition: Int32

    public init(topic: String, partition: Int32) {
        self.topic = topic
        self.partition = partition
    }

    public var description: String { "\(topic)[\(partition)]" }
}

/// Conversions between Swift values and `rd_kafka_topic_partition_list_t`.
///
/// - Important: every list returned by `make` is owned by the caller, who destroys it with
///   `rd_kafka_topic_partition_list_destroy` on every path.
enum RDKafkaPartitionList {
    /// A new list of partitions with the given offsets (`RD_KAFKA_OFFSET_INVALID` where nil).
    static func make(_ entries: [(KafkaTopicPartition, Int64?)]) -> UnsafeMutablePointer<rd_kafka_topic_partition_list_t> {
        let list = rd_kafka_topic_partition_list_new(Int32(entries.count))!
        for (tp, offset) in entries {
            let element = rd_kafka_topic_partition_list_add(list, tp.topic, tp.partition)!
            element.pointee.offset = offset ?? Int64(RD_KAFKA_OFFSET_INVALID)
        }
        return list
    }

    static func make(_ partitions: [KafkaTopicPartition]) -> UnsafeMutablePointer<rd_kafka_topic_partition_list_t> {
        make(partitions.map { ($0, nil) })
    }

    /// The entries of a list librdkafka owns or the caller owns; the list is not destroyed.
    static func entries(
        _ list: UnsafePointer<rd_kafka_topic_partition_list_t>
    ) -> [(partition: KafkaTopicPartition, offset: Int64, error: KafkaError?)] {
        (0..<Int(list.pointee.cnt)).map { index in
            let element = list.pointee.elems[index]
            let tp = KafkaTopicPartition(topic: String(cString: element.topic), partition: element.partition)
            let error = element.err == RD_KAFKA_RESP_ERR_NO_ERROR ? nil : KafkaError(element.err)
            return (tp, element.offset, error)
        }
    }

    static func partitions(_ list: UnsafePointer<rd_kafka_topic_partition_list_t>) -> [KafkaTopicPartition] {
        entries(list).map(\.partition)
    }
}

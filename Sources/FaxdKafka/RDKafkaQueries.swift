internal import CLibrdkafka

/// Blocking librdkafka look-ups, each run on its own thread.
enum RDKafkaQueries {
    /// Committed offsets of the handle's group; nil where the group has none.
    static func committed(
        _ handle: RDKafkaPointer,
        _ partitions: [KafkaTopicPartition],
        timeout: Duration
    ) async throws(KafkaError) -> [KafkaTopicPartition: Int64?] {
        let result = await RDKafkaThread.run(name: "faxd.kafka.committed") { () -> Result<[KafkaTopicPartition: Int64?], KafkaError> in
            let list = RDKafkaPartitionList.make(partitions)
            defer { rd_kafka_topic_partition_list_destroy(list) }
            let err = rd_kafka_committed(handle.pointer, list, Int32(timeout.milliseconds))
            guard err == RD_KAFKA_RESP_ERR_NO_ERROR else { return .failure(KafkaError(err)) }
            var offsets: [KafkaTopicPartition: Int64?] = [:]
            for entry in RDKafkaPartitionList.entries(list) {
                if let error = entry.error { return .failure(error) }
                offsets[entry.partition] = entry.offset >= 0 ? entry.offset : nil
            }
            return .success(offsets)
        }
        return try result.get()
    }

    static func offsetsForTimes(
        _ handle: RDKafkaPointer,
        _ times: [KafkaTopicPartition: Int64],
        timeout: Duration
    ) async throws(KafkaError) -> [KafkaTopicPartition: Int64] {
        let result = await RDKafkaThread.run(name: "faxd.kafka.offsets_for_times") {
            () -> Result<[KafkaTopicPartition: Int64], KafkaError> in
            let list = RDKafkaPartitionList.make(times.map { ($0.key, $0.value) })
            defer { rd_kafka_topic_partition_list_destroy(list) }
            let err = rd_kafka_offsets_for_times(handle.pointer, list, Int32(timeout.milliseconds))
            guard err == RD_KAFKA_RESP_ERR_NO_ERROR else { return .failure(KafkaError(err)) }
            var offsets: [KafkaTopicPartition: Int64] = [:]
            for entry in RDKafkaPartitionList.entries(list) {
                if let error = entry.error { return .failure(error) }
                offsets[entry.partition] = entry.offset
            }
            return .success(offsets)
        }
        return try result.get()
    }

    /// Commits `offsets` (next offsets to read) for the handle's group and waits for the answer.
    static func commit(_ handle: RDKafkaPointer, _ offsets: [KafkaTopicPartition: Int64]) async throws(KafkaError) {
        let error = await RDKafkaThread.run(name: "faxd.kafka.commit") { () -> KafkaError? in
            let list = RDKafkaPartitionList.make(offsets.map { ($0.key, $0.value) })
            defer { rd_kafka_topic_partition_list_destroy(list) }
            let err = rd_kafka_commit(handle.pointer, list, 0)
            if err != RD_KAFKA_RESP_ERR_NO_ERROR { return KafkaError(err) }
            return RDKafkaPartitionList.entries(list).compactMap(\.error).first
        }
        if let error { throw error }
    }

    /// The low (first) and high (next to be written) offsets of a partition, asked of its leader.
    static func watermarks(
        _ handle: RDKafkaPointer,
        _ partition: KafkaTopicPartition,
        timeout: Duration
    ) async throws(KafkaError) -> KafkaWatermarks {
        let result = await RDKafkaThread.run(name: "faxd.kafka.watermarks") { () -> Result<KafkaWatermarks, KafkaError> in
            var low: Int64 = 0
            var high: Int64 = 0
            let err = rd_kafka_query_watermark_offsets(
                handle.pointer,
                partition.topic,
                partition.partition,
                &low,
                &high,
                Int32(timeout.milliseconds)
            )
            guard err == RD_KAFKA_RESP_ERR_NO_ERROR else { return .failure(KafkaError(err)) }
            return .success(KafkaWatermarks(low: low, high: high))
        }
        return try result.get()
    }
}

/// A partition's offsets range: `low` is the first offset kept, `high` the next one to be written.
public struct KafkaWatermarks: Sendable, Hashable {
    public var low: Int64
    public var high: Int64

    public init(low: Int64, high: Int64) {
        self.low = low
        self.high = high
    }
}

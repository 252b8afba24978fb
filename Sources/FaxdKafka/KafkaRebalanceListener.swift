/// Hooks a consumer's owner uses to follow its assignment.
///
/// - Important: both run while the consumer's poll thread waits for them, bounded by
///   `KafkaConsumerConfiguration.revokeTimeout`; no records are delivered meanwhile.
public protocol KafkaRebalanceListener: Sendable {
    /// `partitions` were added to this consumer's assignment; their records follow.
    func partitionsAssigned(_ partitions: [KafkaTopicPartition]) async

    /// `partitions` are about to leave this consumer. Records of theirs that were still buffered have
    /// been dropped. Stop starting work for them, let in-flight work finish, store its offsets
    /// (`KafkaConsumer.storeOffset`), then return: the stored offsets are committed and the partitions
    /// released after this returns. When `lost` is true the group already gave them to someone else:
    /// storing fails with `KafkaError.Code.partitionLost` and the work is redone by the new owner.
    func partitionsRevoked(_ partitions: [KafkaTopicPartition], lost: Bool) async
}

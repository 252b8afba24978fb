/// Which worker looks after a tenant's background duty, watching its balance (reconciling follows the
/// job ledger's partitions): the one assigned jobs-topic partition `of(tenant:partitionCount:)`.
///
/// The number is a fixed hash of the tenant id (FNV-1a, 32 bits), not the producer's partitioner:
/// producers in other languages may partition differently, and the duty only needs one owner at a
/// time, which the consumer group's assignment guarantees for any fixed mapping.
public enum DutyPartition {
    /// The partition whose owner has the tenant's duties; `partitionCount` must be positive.
    public static func of(tenant: String, partitionCount: Int) -> Int32 {
        precondition(partitionCount > 0, "a topic has at least one partition")
        var hash: UInt32 = 0x811C_9DC5
        for byte in tenant.utf8 {
            hash ^= UInt32(byte)
            hash = hash &* 0x0100_0193
        }
        return Int32(hash % UInt32(partitionCount))
    }
}

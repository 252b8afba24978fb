/// Notices tenants whose job records are not where `Murmur2Partitioner` puts their key: their producer
/// uses another partitioner (librdkafka's default CRC32, say), so a tenant produced from two languages
/// has its jobs on two partitions — its order, fairness and limits split, and the job ledger of one
/// partition cannot see a copy re-sent to the other.
public struct TenantPlacement: Sendable {
    /// The jobs topic's partition count.
    public let partitions: Int
    /// Tenants seen on a partition their key does not hash to.
    public private(set) var misplaced: Set<String> = []

    public init(partitions: Int) {
        self.partitions = partitions
    }

    /// Notes a record of `tenant` keyed `key` on `partition`.
    /// - Returns: true the first time one of the tenant's records is seen away from its partition; a
    ///   record without a key (placed at random by every partitioner) never counts.
    public mutating func observe(tenant: String, key: [UInt8]?, partition: Int32) -> Bool {
        guard let key, !key.isEmpty, !misplaced.contains(tenant) else { return false }
        guard Murmur2Partitioner.partition(key: key, partitions: partitions) != partition else { return false }
        misplaced.insert(tenant)
        return true
    }
}

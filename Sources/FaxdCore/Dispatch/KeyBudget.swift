/// One worker's share of a mintfax key's rate (DESIGN §6 step 2).
///
/// mintfax counts requests per key, whichever worker sends them, and nothing coordinates the workers.
/// Each takes the part of the key's rate that its partitions carry: the key's tenants live on known
/// partitions (murmur2 of the tenant id), so a worker owning k of the n partitions with the key's
/// tenants takes k/n of the rate, and the shares of all workers add up to the key's rate after every
/// rebalance. mintfax's own count (`X-RateLimit-Remaining`, `Retry-After`) narrows every worker further.
public struct KeyBudget: Sendable, Hashable {
    /// Requests per minute this worker may send with the key.
    public var ratePerMinute: Double
    /// Requests that may go back to back (the bucket's size), the key's burst times the share.
    public var burst: Int

    /// - Precondition: `ratePerMinute` > 0, `burst` ≥ 1.
    public init(ratePerMinute: Double, burst: Int) {
        precondition(ratePerMinute > 0, "ratePerMinute must be positive")
        precondition(burst >= 1, "burst must be at least 1")
        self.ratePerMinute = ratePerMinute
        self.burst = burst
    }

    /// This worker's part of a key allowed `ratePerMinute` with bursts of `burst`.
    ///
    /// - Parameters:
    ///   - keyPartitions: the partitions carrying the key's tenants; nil when they are not all known
    ///     (a shared workspace whose members are given by a pattern): every partition may.
    ///   - owned: the partitions this worker owns now.
    ///   - partitionCount: the jobs topic's partitions.
    /// - Returns: the rate times owned ∩ key's partitions ÷ key's partitions. A worker owning none of
    ///   them still gets one partition's part, for a job that arrives where its tenant does not hash.
    public static func share(
        ratePerMinute: Double,
        burst: Int,
        keyPartitions: Set<Int32>?,
        owned: Set<Int32>,
        partitionCount: Int
    ) -> KeyBudget {
        let carrying = keyPartitions ?? Set((0..<Int32(max(partitionCount, 1))))
        let total = max(carrying.count, 1)
        let mine = max(carrying.intersection(owned).count, 1)
        let fraction = Double(min(mine, total)) / Double(total)
        return KeyBudget(ratePerMinute: ratePerMinute * fraction, burst: max(1, Int((Double(burst) * fraction).rounded(.down))))
    }
}

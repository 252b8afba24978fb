/// The partition Kafka's Java client gives a keyed record — `toPositive(murmur2(key)) % partitions`,
/// also librdkafka's `murmur2_random`, franz-go's and kafkajs's default — so every producer of a tenant
/// puts its jobs on one partition, whatever its language (DESIGN §2).
public enum Murmur2Partitioner {
    /// Kafka's `Utils.murmur2`: 32-bit MurmurHash2 with seed `0x9747b28c`.
    public static func hash(_ data: [UInt8]) -> Int32 {
        let m: UInt32 = 0x5bd1_e995
        var h: UInt32 = 0x9747_b28c ^ UInt32(truncatingIfNeeded: data.count)
        let whole = data.count / 4 * 4
        var index = 0
        while index < whole {
            var k = UInt32(data[index]) | UInt32(data[index + 1]) << 8 | UInt32(data[index + 2]) << 16 | UInt32(data[index + 3]) << 24
            k = k &* m
            k ^= k >> 24
            k = k &* m
            h = h &* m
            h ^= k
            index += 4
        }
        let tail = data.count - whole
        if tail == 3 { h ^= UInt32(data[whole + 2]) << 16 }
        if tail >= 2 { h ^= UInt32(data[whole + 1]) << 8 }
        if tail >= 1 {
            h ^= UInt32(data[whole])
            h = h &* m
        }
        h ^= h >> 13
        h = h &* m
        h ^= h >> 15
        return Int32(bitPattern: h)
    }

    /// The partition of a record keyed `key` on a topic of `partitions` partitions (at least 1).
    public static func partition(key: [UInt8], partitions: Int) -> Int32 {
        Int32(Int(UInt32(bitPattern: hash(key)) & 0x7fff_ffff) % max(partitions, 1))
    }
}

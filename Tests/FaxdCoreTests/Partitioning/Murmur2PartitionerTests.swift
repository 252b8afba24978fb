import FaxdCore
import Testing

@Suite struct Murmur2PartitionerTests {
    /// Kafka's own `Utils.murmur2` values for these keys.
    @Test(arguments: [
        ("1", -1_993_445_489), ("12", 126_087_238), ("123", -267_702_483), ("1234", -1_614_185_708), ("12345", -1_188_365_604),
    ])
    func theHashIsKafkasMurmur2(key: String, expected: Int32) {
        #expect(Murmur2Partitioner.hash(Array(key.utf8)) == expected)
    }

    @Test func thePartitionIsThePositiveHashModuloTheCount() {
        // 0x7fffffff & -1993445489 = 154038159
        #expect(Murmur2Partitioner.partition(key: Array("1".utf8), partitions: 6) == Int32(154_038_159 % 6))
        #expect(Murmur2Partitioner.partition(key: Array("12".utf8), partitions: 1) == 0)
    }

    @Test func aTenantAwayFromItsPartitionIsNoticedOnceAndKeylessRecordsNever() {
        var placement = TenantPlacement(partitions: 6)
        let key = Array("acme".utf8)
        let home = Murmur2Partitioner.partition(key: key, partitions: 6)
        let atHome = placement.observe(tenant: "acme", key: key, partition: home)
        let away = placement.observe(tenant: "acme", key: key, partition: (home + 1) % 6)
        let awayAgain = placement.observe(tenant: "acme", key: key, partition: (home + 2) % 6)
        let keyless = placement.observe(tenant: "globex", key: nil, partition: 5)
        #expect(!atHome)
        #expect(away)
        #expect(!awayAgain, "told once per tenant")
        #expect(!keyless)
        #expect(placement.misplaced == ["acme"])
    }
}

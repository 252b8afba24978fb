import FaxdTestSupport
import Testing

@Suite struct SplitMix64Tests {
    /// The reference outputs for seed 1234567 (from the algorithm's published C implementation).
    @Test func matchesTheReferenceSequence() {
        var generator = SplitMix64(seed: 1_234_567)
        #expect(generator.next() == 6_457_827_717_110_365_317)
        #expect(generator.next() == 3_203_168_211_198_807_973)
        #expect(generator.next() == 9_817_491_932_198_370_423)
    }
}

import FaxdCore
import Testing

@Suite struct SeededRandomNumberGeneratorTests {
    /// The reference outputs for seed 1234567 (from the algorithm's published C implementation).
    @Test func matchesTheReferenceSequence() {
        var generator = SeededRandomNumberGenerator(seed: 1_234_567)
        #expect(generator.next() == 6_457_827_717_110_365_317)
        #expect(generator.next() == 3_203_168_211_198_807_973)
        #expect(generator.next() == 9_817_491_932_198_370_423)
    }
}

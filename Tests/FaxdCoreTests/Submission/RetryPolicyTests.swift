import FaxdCore
import Testing

@Suite struct RetryPolicyTests {
    private let policy = RetryPolicy()

    @Test func defaults() {
        #expect(policy.initialDelay == .milliseconds(500))
        #expect(policy.multiplier == 2)
        #expect(policy.maxDelay == .seconds(30))
        #expect(policy.budget == .seconds(600))
    }

    @Test(arguments: [
        (1, Duration.milliseconds(500)), (2, .seconds(1)), (3, .seconds(2)), (4, .seconds(4)), (6, .seconds(16)),
        (7, .seconds(30)), (50, .seconds(30)), (10_000, .seconds(30)), (0, .milliseconds(500)),
        (-3, .milliseconds(500)),
    ])
    func theCapGrowsExponentiallyUpToMaxDelay(attempt: Int, cap: Duration) {
        #expect(policy.cap(afterAttempt: attempt) == cap)
    }

    @Test func delaysAreFullJitterBelowTheCap() throws {
        var random = SeededRandomNumberGenerator(seed: 42)
        for attempt in 1...12 {
            let cap = policy.cap(afterAttempt: attempt)
            var samples: [Duration] = []
            for _ in 0..<400 {
                samples.append(
                    try #require(policy.delay(afterAttempt: attempt, elapsed: .zero, notBefore: nil, random: &random))
                )
            }
            #expect(samples.allSatisfy { $0 >= .zero && $0 <= cap })
            // Uniform on 0...cap: the mean is near cap / 2 and both halves are used.
            let mean = samples.reduce(Duration.zero, +) / samples.count
            #expect(mean > cap * 0.4 && mean < cap * 0.6, "attempt \(attempt): mean \(mean) of cap \(cap)")
            #expect(samples.contains { $0 < cap / 4 } && samples.contains { $0 > cap * 0.75 })
        }
    }

    @Test func theSameSeedGivesTheSameDelays() {
        func delays(seed: UInt64) -> [Duration?] {
            var random = SeededRandomNumberGenerator(seed: seed)
            return (1...20).map {
                policy.delay(afterAttempt: $0, elapsed: .seconds($0), notBefore: nil, random: &random)
            }
        }
        #expect(delays(seed: 7) == delays(seed: 7))
        #expect(delays(seed: 7) != delays(seed: 8))
    }

    @Test func retryAfterIsAFloor() throws {
        var random = SeededRandomNumberGenerator(seed: 1)
        for attempt in 1...8 {
            let delay = try #require(
                policy.delay(afterAttempt: attempt, elapsed: .seconds(10), notBefore: .seconds(34), random: &random)
            )
            #expect(delay == .seconds(34), "34 s is above every cap up to 30 s")
        }
        let small = try #require(
            policy.delay(afterAttempt: 10, elapsed: .zero, notBefore: .milliseconds(1), random: &random)
        )
        #expect(small >= .milliseconds(1) && small <= .seconds(30))
    }

    @Test func theBudgetEndsTheRetries() {
        var random = SeededRandomNumberGenerator(seed: 3)
        #expect(policy.delay(afterAttempt: 3, elapsed: .seconds(601), notBefore: nil, random: &random) == nil)
        #expect(policy.delay(afterAttempt: 1, elapsed: .seconds(590), notBefore: .seconds(11), random: &random) == nil)
        #expect(policy.delay(afterAttempt: 1, elapsed: .zero, notBefore: .seconds(601), random: &random) == nil)
        #expect(
            policy.delay(afterAttempt: 1, elapsed: .seconds(590), notBefore: .seconds(10), random: &random)
                == .seconds(10)
        )
    }

    @Test func aDelayThatEndsExactlyAtTheBudgetIsAllowed() {
        var random = SeededRandomNumberGenerator(seed: 3)
        let tight = RetryPolicy(initialDelay: .seconds(1), multiplier: 1, maxDelay: .seconds(1), budget: .seconds(5))
        #expect(
            tight.delay(afterAttempt: 1, elapsed: .seconds(3), notBefore: .seconds(2), random: &random) == .seconds(2)
        )
    }

    @Test func aSimulatedJobRetriesUntilTheBudgetIsSpentAndNoLonger() {
        var random = SeededRandomNumberGenerator(seed: 2026)
        var elapsed = Duration.zero
        var attempt = 1
        while let delay = policy.delay(afterAttempt: attempt, elapsed: elapsed, notBefore: nil, random: &random) {
            elapsed += delay
            attempt += 1
        }
        #expect(elapsed <= policy.budget)
        #expect(attempt > 20, "about 10 minutes of waits averaging 15 s")
    }
}

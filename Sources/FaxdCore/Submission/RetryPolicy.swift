import Foundation

/// Exponential backoff with full jitter inside a time budget (DESIGN §6 step 4).
///
/// After attempt *n* fails, the next waits a uniformly random time in `0...min(maxDelay,
/// initialDelay × multiplier^(n−1))` ("full jitter"), at least `notBefore` (mintfax's `Retry-After`).
/// When that wait would end after `budget` since the first attempt, the job is out of retries and goes
/// to the dead-letter topic.
public struct RetryPolicy: Sendable, Hashable {
    /// The cap of the first wait. Default 500 ms.
    public let initialDelay: Duration
    /// The factor the cap grows by per attempt. Default 2.
    public let multiplier: Double
    /// The largest cap. Default 30 s. `notBefore` may exceed it.
    public let maxDelay: Duration
    /// The total time from the first attempt within which attempts may start. Default 10 minutes.
    public let budget: Duration

    /// - Precondition: `initialDelay` > 0, `multiplier` ≥ 1, `maxDelay` ≥ `initialDelay`, `budget` ≥ 0.
    public init(
        initialDelay: Duration = .milliseconds(500),
        multiplier: Double = 2,
        maxDelay: Duration = .seconds(30),
        budget: Duration = .seconds(600)
    ) {
        precondition(initialDelay > .zero, "initialDelay must be positive")
        precondition(multiplier >= 1, "multiplier must be at least 1")
        precondition(maxDelay >= initialDelay, "maxDelay must be at least initialDelay")
        precondition(budget >= .zero, "budget must not be negative")
        self.initialDelay = initialDelay
        self.multiplier = multiplier
        self.maxDelay = maxDelay
        self.budget = budget
    }

    /// The wait before the next attempt, or nil when the budget is spent.
    ///
    /// - Parameters:
    ///   - attempt: The attempt that just failed, from 1 (values below 1 count as 1).
    ///   - elapsed: The time since the first attempt started.
    ///   - notBefore: The least wait, e.g. mintfax's `Retry-After`; nil for none.
    ///   - random: The source of jitter (a seeded generator in tests).
    /// - Returns: The wait, or nil when `elapsed` plus the wait would exceed `budget`.
    public func delay(
        afterAttempt attempt: Int,
        elapsed: Duration,
        notBefore: Duration?,
        random: inout some RandomNumberGenerator
    ) -> Duration? {
        let jittered = Duration.nanoseconds(
            Int64.random(in: 0...cap(afterAttempt: attempt).inNanoseconds, using: &random)
        )
        let delay = max(jittered, notBefore ?? .zero)
        return elapsed + delay > budget ? nil : delay
    }

    /// The upper bound of the jittered wait after `attempt`: `min(maxDelay, initialDelay × multiplier^(attempt−1))`.
    public func cap(afterAttempt attempt: Int) -> Duration {
        let exponent = Double(max(attempt, 1) - 1)
        let seconds = initialDelay.inSeconds * pow(multiplier, exponent)
        return seconds >= maxDelay.inSeconds ? maxDelay : .seconds(seconds)
    }
}

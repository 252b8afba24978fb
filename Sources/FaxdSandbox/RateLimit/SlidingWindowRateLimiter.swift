import DequeModule
import Foundation

/// A sliding one-minute window: a request is allowed when fewer than ``limit`` requests were
/// allowed in the 60 seconds before it. Rejected requests are not counted, so a client that
/// waits for `Retry-After` gets through.
struct SlidingWindowRateLimiter: Sendable {
    /// The window length, in seconds.
    static let window: TimeInterval = 60

    /// Requests allowed per window, at least 1.
    let limit: Int
    /// The times of the allowed requests still inside the window, oldest first.
    private var allowed: Deque<Date> = []

    init(limit: Int) {
        self.limit = max(1, limit)
    }

    /// Decides on a request arriving at `now` and counts it when allowed.
    mutating func acquire(now: Date) -> RateLimitDecision {
        while let oldest = allowed.first, now.timeIntervalSince(oldest) >= Self.window {
            allowed.removeFirst()
        }
        if allowed.count < limit {
            allowed.append(now)
            return RateLimitDecision(
                allowed: true,
                limit: limit,
                remaining: limit - allowed.count,
                resetSeconds: secondsUntilOldestLeaves(now: now),
                retryAfterSeconds: nil
            )
        }
        let wait = max(1, secondsUntilOldestLeaves(now: now))
        return RateLimitDecision(allowed: false, limit: limit, remaining: 0, resetSeconds: wait, retryAfterSeconds: wait)
    }

    /// Whole seconds, rounded up, until the oldest counted request leaves the window; 0 if none.
    private func secondsUntilOldestLeaves(now: Date) -> Int {
        guard let oldest = allowed.first else { return 0 }
        return max(0, Int((oldest.addingTimeInterval(Self.window).timeIntervalSince(now)).rounded(.up)))
    }
}

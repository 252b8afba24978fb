import Foundation

extension SandboxStore {
    /// The environment of a bearer token, or `nil` for a missing, malformed or unknown key.
    func authenticate(token: String?) -> EnvironmentHandle? {
        guard let token, APIKey.kind(of: token) != nil else { return nil }
        return withState { state in
            state.environmentByKey[token].map { state.environments[$0].handle(index: $0) }
        }
    }

    /// Counts a request against its environment's window (or the shared window of requests
    /// without a known key) and decides whether it may proceed. A rate-limit storm on the
    /// environment rejects it without counting.
    func admit(environment: EnvironmentHandle?, now: Date) -> RateLimitDecision {
        withState { state in
            guard let environment else { return state.unauthenticatedLimiter.acquire(now: now) }
            let limit = state.environments[environment.index].rateLimiter.limit
            if let remaining = state.faults.stormRemaining(environment: environment.name, now: now) {
                return RateLimitDecision(allowed: false, limit: limit, remaining: 0, resetSeconds: remaining, retryAfterSeconds: remaining)
            }
            return state.environments[environment.index].rateLimiter.acquire(now: now)
        }
    }
}

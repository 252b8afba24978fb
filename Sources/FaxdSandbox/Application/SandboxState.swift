import Foundation

/// Everything the sandbox holds in memory. Only ``SandboxStore`` touches it, under its lock.
struct SandboxState: Sendable {
    let configuration: SandboxConfiguration
    /// Bumped by every reset; lifecycles and webhook retries of an older generation stop.
    private(set) var generation = 0
    var environments: [SandboxEnvironment] = []
    private(set) var environmentByKey: [String: Int] = [:]
    /// The shared window of requests without a known key.
    var unauthenticatedLimiter: SlidingWindowRateLimiter
    var faults: FaultInjector
    var submissions: [SubmissionRecord] = []
    var deliveries: [WebhookDeliveryRecord] = []

    /// The state at start-up: environments, balances and faults as configured, nothing sent.
    init(configuration: SandboxConfiguration, now: Date) {
        self.configuration = configuration
        self.unauthenticatedLimiter = SlidingWindowRateLimiter(limit: configuration.unauthenticatedRateLimitPerMinute)
        self.faults = FaultInjector(configuration: configuration.faults, now: now)
        for (index, environment) in configuration.environments.enumerated() {
            environments.append(SandboxEnvironment(configuration: environment, now: now))
            environmentByKey[environment.apiKey] = index
        }
    }

    /// Back to the start-up state, in a new generation.
    mutating func reset(now: Date) {
        let next = generation + 1
        self = SandboxState(configuration: configuration, now: now)
        generation = next
    }
}

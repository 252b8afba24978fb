public import Foundation

/// Where the sandbox reads the current time: idempotency expiry, rate-limit windows, storm ends,
/// fax and attempt timestamps, webhook `created` and `webhook-timestamp` values.
///
/// Waiting (lifecycle steps, webhook retry delays, injected latency) uses real time scaled by
/// ``SandboxConfiguration/timeScale``, not this clock; tests pin or advance this clock to check
/// time-dependent answers without sleeping.
public struct SandboxClock: Sendable {
    /// Returns the current time.
    public let now: @Sendable () -> Date

    /// Creates a clock from a function returning the current time.
    public init(now: @escaping @Sendable () -> Date) {
        self.now = now
    }

    /// The system's wall clock.
    public static let system = SandboxClock { Date() }
}

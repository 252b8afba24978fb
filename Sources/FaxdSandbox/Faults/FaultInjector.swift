import FaxdCore
import Foundation

/// Decides which faults hit which request, from a ``FaultConfiguration`` and a seeded generator.
struct FaultInjector: Sendable {
    /// What happens to a `POST /v1/faxes` before any state changes.
    enum SubmissionFault: Sendable, Equatable {
        /// Close the connection without answering.
        case dropConnection
        /// Answer with this 5xx status.
        case serverError(status: Int)
    }

    private(set) var configuration: FaultConfiguration
    private var generator: SeededRandomNumberGenerator
    /// When each storming environment (by name) gets its normal limits back.
    private var stormEnds: [String: Date] = [:]

    /// Starts injecting `configuration`; its storms start at `now`.
    init(configuration: FaultConfiguration, now: Date) {
        self.configuration = configuration
        self.generator = SeededRandomNumberGenerator(seed: configuration.seed)
        for storm in configuration.rateLimitStorms {
            stormEnds[storm.environment] = now.addingTimeInterval(storm.seconds)
        }
    }

    /// The fault for one submission, or `nil` for none. Draws the drop first, then the error.
    mutating func submissionFault() -> SubmissionFault? {
        if configuration.dropConnectionRate > 0, Double.random(in: 0..<1, using: &generator) < configuration.dropConnectionRate {
            return .dropConnection
        }
        if configuration.serverErrorRate > 0, Double.random(in: 0..<1, using: &generator) < configuration.serverErrorRate {
            let statuses = configuration.serverErrorStatuses
            return .serverError(status: statuses[Int.random(in: 0..<statuses.count, using: &generator)])
        }
        return nil
    }

    /// The 5xx status for one lookup (`GET /v1/faxes`, `GET /v1/faxes/{id}`), or `nil` for none.
    mutating func lookupFault() -> Int? {
        guard configuration.lookupErrorRate > 0, Double.random(in: 0..<1, using: &generator) < configuration.lookupErrorRate else {
            return nil
        }
        let statuses = configuration.serverErrorStatuses
        return statuses[Int.random(in: 0..<statuses.count, using: &generator)]
    }

    /// The delay for one request, or `nil` when no latency is configured.
    mutating func latency() -> Duration? {
        guard let latency = configuration.latency, latency.maxMilliseconds > 0 else { return nil }
        return .milliseconds(Int.random(in: latency.minMilliseconds...latency.maxMilliseconds, using: &generator))
    }

    /// Whole seconds (at least 1) until the storm on `environment` ends, or `nil` when none rages.
    func stormRemaining(environment: String, now: Date) -> Int? {
        guard let end = stormEnds[environment], end > now else { return nil }
        return max(1, Int(end.timeIntervalSince(now).rounded(.up)))
    }
}

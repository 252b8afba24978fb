import Foundation

/// Waits for a condition instead of sleeping for a guessed time.
public enum Eventually {
    public struct TimedOut: Error, CustomStringConvertible {
        public let what: String
        public let timeout: Duration
        public var description: String { "timed out after \(timeout) waiting for \(what)" }
    }

    /// Re-evaluates `condition` every `interval` until it holds.
    /// - Throws: `TimedOut` when it still does not hold after `timeout`.
    public static func wait(
        for what: String,
        timeout: Duration = .seconds(30),
        interval: Duration = .milliseconds(50),
        _ condition: () async throws -> Bool
    ) async throws {
        let clock = ContinuousClock()
        let deadline = clock.now.advanced(by: timeout)
        while true {
            if try await condition() { return }
            if clock.now >= deadline { throw TimedOut(what: what, timeout: timeout) }
            try await Task.sleep(for: interval)
        }
    }
}

/// Names that no other test (or earlier run) uses.
public enum UniqueName {
    public static func make(_ prefix: String) -> String {
        "\(prefix)-\(UUID().uuidString.prefix(8).lowercased())"
    }
}

/// A configuration the sandbox cannot start with: a bad value, or a config file that cannot be
/// read or parsed. ``description`` is one line naming the setting, fit for a terminal.
public struct SandboxConfigurationError: Error, Sendable, CustomStringConvertible {
    /// What is wrong, naming the setting by its config-file path (`environments[1].api_key`).
    /// Never contains an API key or a webhook secret.
    public let reason: String

    /// Creates an error.
    public init(_ reason: String) {
        self.reason = reason
    }

    public var description: String { "invalid sandbox configuration: \(reason)" }
}

/// A configuration problem, said in one line: where, which key, what is wrong.
public struct ConfigurationError: Error, Sendable, CustomStringConvertible {
    /// The file or environment variable the value came from.
    public let source: String
    /// The dotted key path, e.g. `dispatch.max_in_flight`; empty for the whole file.
    public let path: String
    public let reason: String

    public init(source: String, path: String, reason: String) {
        self.source = source
        self.path = path
        self.reason = reason
    }

    public var description: String {
        path.isEmpty ? "\(source): \(reason)" : "\(source): \(path): \(reason)"
    }
}

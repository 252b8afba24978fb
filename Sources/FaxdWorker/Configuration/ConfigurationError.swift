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

    /// One line, whatever the file held: a key or value quoted from it with a line break in it
    /// (`"a\nb": 1`, found by `make fuzz`) shows the break escaped.
    public var description: String {
        let line = path.isEmpty ? "\(source): \(reason)" : "\(source): \(path): \(reason)"
        guard line.contains(where: \.isNewline) else { return line }
        return line.unicodeScalars.map { scalar in
            switch scalar {
            case "\n": "\\n"
            case "\r": "\\r"
            case _ where Character(scalar).isNewline: "\\u{\(String(scalar.value, radix: 16))}"
            default: String(scalar)
            }
        }.joined()
    }
}

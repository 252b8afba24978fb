import Foundation

/// The JSON encoding of every body the sandbox writes: keys sorted (stable output for people and
/// diffs), slashes unescaped.
enum JSONBody {
    /// Encodes `value`.
    static func encode(_ value: some Encodable) throws -> [UInt8] {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return Array(try encoder.encode(value))
    }
}

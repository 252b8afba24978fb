import Foundation

/// The one JSON encoding of events: keys sorted, slashes not escaped, no white space. The same event
/// always gives the same bytes, so a replay re-emits byte-identical records.
enum EventJSON {
    static func encode(_ value: some Encodable) -> [UInt8] {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        do {
            return Array(try encoder.encode(value))
        } catch {
            // Events hold only strings, integers, booleans and nulls, which JSONEncoder always encodes.
            preconditionFailure("Encoding an event failed: \(error)")
        }
    }
}

/// An ordered list of HTTP header fields with case-insensitive name lookup.
///
/// Order and duplicates are preserved as added (or as received). Names compare ASCII
/// case-insensitively, so `headers["retry-after"]` finds a `Retry-After` field.
public struct HTTPHeaders: Sendable, Equatable, ExpressibleByDictionaryLiteral, Sequence {
    /// One header field.
    public struct Field: Sendable, Equatable {
        /// The field name as added or received, original case preserved.
        public var name: String
        /// The field value, without surrounding whitespace when received from a server.
        public var value: String

        /// Creates a field.
        public init(name: String, value: String) {
            self.name = name
            self.value = value
        }
    }

    /// The fields in order.
    public private(set) var fields: [Field]

    /// Creates headers from `(name, value)` pairs, keeping their order.
    public init(_ pairs: [(name: String, value: String)] = []) {
        self.fields = pairs.map { Field(name: $0.name, value: $0.value) }
    }

    public init(dictionaryLiteral elements: (String, String)...) {
        self.fields = elements.map { Field(name: $0.0, value: $0.1) }
    }

    /// Appends a field, keeping any existing fields with the same name.
    public mutating func add(name: String, value: String) {
        fields.append(Field(name: name, value: value))
    }

    /// The value of the first field named `name` (case-insensitive), or `nil` if there is none.
    public subscript(name: String) -> String? {
        fields.first { Self.sameName($0.name, name) }?.value
    }

    /// The values of every field named `name` (case-insensitive), in order.
    public func values(forName name: String) -> [String] {
        fields.filter { Self.sameName($0.name, name) }.map(\.value)
    }

    /// Whether two field names are equal but for ASCII case (RFC 9110 §5.1: names are tokens, so
    /// ASCII). Without `lowercased()`, which allocated two strings per field compared.
    static func sameName(_ first: String, _ second: String) -> Bool {
        var first = first
        var second = second
        return first.withUTF8 { a in
            second.withUTF8 { b in
                a.count == b.count && zip(a, b).allSatisfy { Self.asciiLowercase($0) == Self.asciiLowercase($1) }
            }
        }
    }

    private static func asciiLowercase(_ byte: UInt8) -> UInt8 {
        (UInt8(ascii: "A")...UInt8(ascii: "Z")).contains(byte) ? byte + 32 : byte
    }

    /// The number of fields, counting duplicates.
    public var count: Int { fields.count }

    public func makeIterator() -> IndexingIterator<[Field]> {
        fields.makeIterator()
    }
}

/// An ordered list of HTTP header fields with case-insensitive name lookup.
///
/// Order and duplicates are preserved as added (or as received). Names compare ASCII
/// case-insensitively, so `headers["retry-after"]` finds a `Retry-After` field.
///
/// A response's headers are kept as the bytes received, each field's name and value found in
/// them: a lookup makes a `String` of the one value it returns, where a string per name and per
/// value of every field was most of the client's own work on a response (docs/benchmarks.md).
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

    private enum Storage: Sendable {
        case fields([Field])
        case received(Received)
    }

    private var storage: Storage

    /// Creates headers from `(name, value)` pairs, keeping their order.
    public init(_ pairs: [(name: String, value: String)] = []) {
        storage = .fields(pairs.map { Field(name: $0.name, value: $0.value) })
    }

    public init(dictionaryLiteral elements: (String, String)...) {
        storage = .fields(elements.map { Field(name: $0.0, value: $0.1) })
    }

    /// Headers as received: `received`'s fields, in order.
    init(_ received: Received) {
        storage = .received(received)
    }

    /// The fields in order.
    public var fields: [Field] {
        switch storage {
        case .fields(let fields):
            fields
        case .received(let received):
            received.ranges.map { Field(name: received.string(in: $0.name), value: received.string(in: $0.value)) }
        }
    }

    /// Appends a field, keeping any existing fields with the same name.
    public mutating func add(name: String, value: String) {
        var fields = fields
        // The old storage released first, so the array is not copied to grow.
        storage = .fields([])
        fields.append(Field(name: name, value: value))
        storage = .fields(fields)
    }

    /// The value of the first field named `name` (case-insensitive), or `nil` if there is none.
    public subscript(name: String) -> String? {
        switch storage {
        case .fields(let fields):
            fields.first { Self.sameName($0.name, name) }?.value
        case .received(let received):
            received.firstIndex(named: name, from: 0).map { received.string(in: received.ranges[$0].value) }
        }
    }

    /// The values of every field named `name` (case-insensitive), in order.
    public func values(forName name: String) -> [String] {
        switch storage {
        case .fields(let fields):
            return fields.filter { Self.sameName($0.name, name) }.map(\.value)
        case .received(let received):
            var values: [String] = []
            var next = 0
            while let index = received.firstIndex(named: name, from: next) {
                values.append(received.string(in: received.ranges[index].value))
                next = index + 1
            }
            return values
        }
    }

    /// Whether two field names are equal but for ASCII case (RFC 9110 §5.1: names are tokens, so
    /// ASCII). Without `lowercased()`, which allocated two strings per field compared.
    static func sameName(_ first: String, _ second: String) -> Bool {
        var first = first
        var second = second
        return first.withUTF8 { a in second.withUTF8 { b in sameName(a, b) } }
    }

    static func sameName(_ first: some Collection<UInt8>, _ second: some Collection<UInt8>) -> Bool {
        first.count == second.count && zip(first, second).allSatisfy { asciiLowercase($0) == asciiLowercase($1) }
    }

    private static func asciiLowercase(_ byte: UInt8) -> UInt8 {
        (UInt8(ascii: "A")...UInt8(ascii: "Z")).contains(byte) ? byte + 32 : byte
    }

    /// The number of fields, counting duplicates.
    public var count: Int {
        switch storage {
        case .fields(let fields): fields.count
        case .received(let received): received.ranges.count
        }
    }

    public func makeIterator() -> IndexingIterator<[Field]> {
        fields.makeIterator()
    }

    public static func == (lhs: HTTPHeaders, rhs: HTTPHeaders) -> Bool {
        lhs.fields == rhs.fields
    }
}

extension HTTPHeaders {
    /// A response's fields as received: their names and values, one after another in `text`
    /// (UTF-8 as it came; invalid sequences are replaced when a string is made of one).
    struct Received: Sendable {
        struct FieldRange: Sendable {
            var name: Range<Int>
            var value: Range<Int>
        }

        private(set) var text: [UInt8] = []
        private(set) var ranges: [FieldRange] = []

        /// Forgets every field: a new response's status line came.
        mutating func removeAll() {
            text.removeAll(keepingCapacity: true)
            ranges.removeAll(keepingCapacity: true)
            // Room for a typical response's fields at once, not grown one doubling at a time.
            text.reserveCapacity(512)
            ranges.reserveCapacity(12)
        }

        /// Appends a field; `name` and `value` without surrounding whitespace.
        mutating func append(name: some Collection<UInt8>, value: some Collection<UInt8>) {
            let nameStart = text.count
            text.append(contentsOf: name)
            let valueStart = text.count
            text.append(contentsOf: value)
            ranges.append(FieldRange(name: nameStart..<valueStart, value: valueStart..<text.count))
        }

        /// Continues the last field's value with `continuation` (obsolete line folding), after a
        /// space. The last value ends the text, so it grows in place.
        mutating func continueLastValue(_ continuation: some Collection<UInt8>) {
            guard let last = ranges.indices.last else { return }
            text.append(UInt8(ascii: " "))
            text.append(contentsOf: continuation)
            ranges[last].value = ranges[last].value.lowerBound..<text.count
        }

        func string(in range: Range<Int>) -> String {
            String(decoding: text[range], as: UTF8.self)
        }

        /// The index of the first field at or after `start` named `name` (case-insensitive).
        func firstIndex(named name: String, from start: Int) -> Int? {
            var name = name
            return name.withUTF8 { wanted in
                text.withUnsafeBufferPointer { text in
                    (start..<ranges.count).first { HTTPHeaders.sameName(wanted, UnsafeBufferPointer(rebasing: text[ranges[$0].name])) }
                }
            }
        }
    }
}

public import Foundation

/// Writes one JSON value into bytes, as `JSONEncoder` with `[.sortedKeys, .withoutEscapingSlashes]`
/// writes it — no white space, strings escaped the same way, slashes not — for the records faxd writes
/// once per job (status and usage events, ledger entries) and its log lines, where `JSONEncoder`'s
/// generic machinery was a tenth of a worker's CPU (docs/benchmarks.md).
///
/// The caller writes an object's keys in sorted order; `EventJSONTests` holds every event type to
/// `JSONEncoder`'s bytes.
public struct JSONWriter: Sendable {
    public private(set) var bytes: [UInt8] = []
    /// Whether the next key or element needs a comma before it.
    private var needsComma = false

    public init(capacity: Int = 384) {
        bytes.reserveCapacity(capacity)
    }

    public mutating func beginObject() {
        separate()
        bytes.append(UInt8(ascii: "{"))
        needsComma = false
    }

    public mutating func endObject() {
        bytes.append(UInt8(ascii: "}"))
        needsComma = true
    }

    public mutating func beginArray() {
        separate()
        bytes.append(UInt8(ascii: "["))
        needsComma = false
    }

    public mutating func endArray() {
        bytes.append(UInt8(ascii: "]"))
        needsComma = true
    }

    /// An object's key; its value is what is written next.
    public mutating func key(_ key: String) {
        separate()
        appendQuoted(key)
        bytes.append(UInt8(ascii: ":"))
        needsComma = false
    }

    public mutating func string(_ value: String) {
        separate()
        appendQuoted(value)
        needsComma = true
    }

    public mutating func integer(_ value: some BinaryInteger) {
        separate()
        // Digits written backwards into a stack buffer: `String(value)` was most of an event's
        // integer fields (docs/benchmarks.md). 20 digits and a sign hold any 64-bit integer; a
        // wider one's magnitude may not fit, and goes through `String`.
        guard let magnitude = UInt64(exactly: value.magnitude) else {
            bytes.append(contentsOf: String(value).utf8)
            needsComma = true
            return
        }
        withUnsafeTemporaryAllocation(of: UInt8.self, capacity: 21) { digits in
            var start = digits.count
            var rest = magnitude
            repeat {
                start -= 1
                digits[start] = UInt8(ascii: "0") + UInt8(rest % 10)
                rest /= 10
            } while rest > 0
            if value < 0 {
                start -= 1
                digits[start] = UInt8(ascii: "-")
            }
            bytes.append(contentsOf: UnsafeBufferPointer(rebasing: digits[start...]))
        }
        needsComma = true
    }

    public mutating func bool(_ value: Bool) {
        separate()
        bytes.append(contentsOf: value ? Self.trueBytes : Self.falseBytes)
        needsComma = true
    }

    public mutating func null() {
        separate()
        bytes.append(contentsOf: Self.nullBytes)
        needsComma = true
    }

    /// `key` and a string, or null.
    public mutating func field(_ key: String, _ value: String?) {
        self.key(key)
        if let value { string(value) } else { null() }
    }

    /// `key` and an integer, or null.
    public mutating func field(_ key: String, _ value: (some BinaryInteger)?) {
        self.key(key)
        if let value { integer(value) } else { null() }
    }

    public mutating func field(_ key: String, _ value: Bool) {
        self.key(key)
        bool(value)
    }

    /// `key` and a UUID's canonical form, written from the stack (no `String` per UUID).
    public mutating func field(_ key: String, _ value: UUIDv5) {
        self.key(key)
        value.withCanonicalForm { appendQuoted(utf8: $0) }
        needsComma = true
    }

    /// `key` and `date` as RFC 3339 in whole seconds (`RFC3339Timestamp.format(wholeSeconds:)`),
    /// written from the stack.
    public mutating func field(_ key: String, wholeSeconds date: Date) {
        self.key(key)
        RFC3339Timestamp.withFormatted(date, fractionDigits: 0) { appendQuoted(utf8: $0) }
        needsComma = true
    }

    /// `key` and `date` as RFC 3339 in UTC with milliseconds (rounding down), e.g.
    /// `2026-11-27T10:30:05.042Z`, written from the stack.
    public mutating func field(_ key: String, milliseconds date: Date) {
        self.key(key)
        RFC3339Timestamp.withFormatted(date, fractionDigits: 3) { appendQuoted(utf8: $0) }
        needsComma = true
    }

    /// Ends what was written with a line feed, for a JSON-lines stream; nothing may follow.
    public mutating func endLine() {
        bytes.append(UInt8(ascii: "\n"))
    }

    private static let trueBytes = Array("true".utf8)
    private static let falseBytes = Array("false".utf8)
    private static let nullBytes = Array("null".utf8)

    private mutating func separate() {
        if needsComma { bytes.append(UInt8(ascii: ",")) }
    }

    /// `"`, `\` and control characters escaped as `JSONEncoder` escapes them; the rest as UTF-8.
    private mutating func appendQuoted(_ text: String) {
        var text = text
        // Over the string's own UTF-8 buffer: the generic UTF8View iterator was most of the cost.
        text.withUTF8 { appendQuoted(utf8: $0) }
    }

    private mutating func appendQuoted(utf8 text: UnsafeBufferPointer<UInt8>) {
        bytes.append(UInt8(ascii: "\""))
        // Most strings need no escape: appended whole, not byte by byte.
        if text.allSatisfy({ $0 >= 0x20 && $0 != UInt8(ascii: "\"") && $0 != UInt8(ascii: "\\") }) {
            bytes.append(contentsOf: text)
            bytes.append(UInt8(ascii: "\""))
            return
        }
        for byte in text {
            switch byte {
            case UInt8(ascii: "\""): bytes.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "\"")])
            case UInt8(ascii: "\\"): bytes.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "\\")])
            case 0x08: bytes.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "b")])
            case 0x0C: bytes.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "f")])
            case 0x0A: bytes.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "n")])
            case 0x0D: bytes.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "r")])
            case 0x09: bytes.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "t")])
            case 0x00..<0x20:
                bytes.append(contentsOf: Array("\\u00".utf8))
                bytes.append(Hex.digit(byte >> 4))
                bytes.append(Hex.digit(byte & 0x0F))
            default: bytes.append(byte)
            }
        }
        bytes.append(UInt8(ascii: "\""))
    }
}

/// A scanner for one JSON object as faxd writes its records (`JSONWriter`): string, integer, boolean
/// and null values, and objects of those one level down (a ledger entry's `origin`, an event's
/// `error`). Nil for anything else — escapes in strings, fractions, exponents, a key twice — which the
/// callers then hand to `JSONDecoder`, so this is a fast path that never changes what is read.
enum FlatJSON {
    enum Value: Equatable {
        case string(String)
        case integer(Int64)
        case bool(Bool)
        case null
        case object([String: Value])
    }

    static func fields(_ bytes: [UInt8]) -> [String: Value]? {
        var scanner = Scanner(bytes: bytes)
        guard let fields = scanner.object(nested: false), scanner.atEnd else { return nil }
        return fields
    }

    /// The value of the object's last member when that member is `key` with a string value, read
    /// from the end: nil unless `bytes` ends `,"key":"value"}` (or `{"key":"value"}`), has no escape
    /// anywhere, so every quote ends or starts a string, and has `key` nowhere else as a key. Says
    /// nothing about whether the rest is valid JSON.
    static func trailingString(_ bytes: [UInt8], key: String) -> String? {
        let quote = UInt8(ascii: "\"")
        let keyLength = key.utf8.count
        let memberLength = keyLength + 3  // "key":
        // `"key":` at `start`, compared in place: this runs on every record of the result topics.
        func isMember(at start: Int) -> Bool {
            start + memberLength <= bytes.count && bytes[start] == quote && bytes[start + keyLength + 1] == quote
                && bytes[start + keyLength + 2] == UInt8(ascii: ":") && bytes[(start + 1)..<(start + 1 + keyLength)].elementsEqual(key.utf8)
        }
        guard bytes.count >= memberLength + 4, bytes[bytes.count - 1] == UInt8(ascii: "}"), bytes[bytes.count - 2] == quote,
            let open = bytes[..<(bytes.count - 2)].lastIndex(of: quote)
        else { return nil }
        let memberStart = open - memberLength
        guard memberStart >= 1, isMember(at: memberStart),
            bytes[memberStart - 1] == UInt8(ascii: ",") || bytes[memberStart - 1] == UInt8(ascii: "{")
        else { return nil }
        for index in 0..<memberStart {
            if bytes[index] == UInt8(ascii: "\\") { return nil }
            if bytes[index] == quote, isMember(at: index) { return nil }
        }
        for byte in bytes[open...] where byte == UInt8(ascii: "\\") { return nil }
        return String(validating: bytes[(open + 1)..<(bytes.count - 2)], as: UTF8.self)
    }

    private struct Scanner {
        let bytes: [UInt8]
        var index = 0

        var atEnd: Bool { index == bytes.count }

        mutating func take(_ byte: UInt8) -> Bool {
            guard index < bytes.count, bytes[index] == byte else { return false }
            index += 1
            return true
        }

        /// `{"k":v,...}`; `nested`, an object inside the record, holds no object itself.
        mutating func object(nested: Bool) -> [String: Value]? {
            guard take(UInt8(ascii: "{")) else { return nil }
            var fields: [String: Value] = [:]
            if take(UInt8(ascii: "}")) { return fields }
            repeat {
                guard let key = string(), take(UInt8(ascii: ":")), let value = value(nested: nested),
                    fields.updateValue(value, forKey: key) == nil
                else { return nil }
            } while take(UInt8(ascii: ","))
            return take(UInt8(ascii: "}")) ? fields : nil
        }

        mutating func value(nested: Bool) -> Value? {
            guard index < bytes.count else { return nil }
            switch bytes[index] {
            case UInt8(ascii: "\""):
                return string().map(Value.string)
            case UInt8(ascii: "n"):
                return word(Self.nullWord) ? .null : nil
            case UInt8(ascii: "t"):
                return word(Self.trueWord) ? .bool(true) : nil
            case UInt8(ascii: "f"):
                return word(Self.falseWord) ? .bool(false) : nil
            case UInt8(ascii: "{"):
                guard !nested, let inner = object(nested: true) else { return nil }
                return .object(inner)
            default:
                return integer().map(Value.integer)
            }
        }

        private static let nullWord = Array("null".utf8)
        private static let trueWord = Array("true".utf8)
        private static let falseWord = Array("false".utf8)

        mutating func word(_ word: [UInt8]) -> Bool {
            guard bytes[index...].starts(with: word) else { return false }
            index += word.count
            return true
        }

        mutating func integer() -> Int64? {
            let negative = take(UInt8(ascii: "-"))
            var number: Int64 = 0
            var digits = 0
            while index < bytes.count, (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(bytes[index]) {
                let (times, overflowA) = number.multipliedReportingOverflow(by: 10)
                let (sum, overflowB) = times.addingReportingOverflow(Int64(bytes[index] - UInt8(ascii: "0")))
                guard !overflowA, !overflowB else { return nil }
                number = sum
                digits += 1
                index += 1
            }
            // No leading zeros, fractions or exponents: those go to JSONDecoder.
            guard digits > 0, digits == 1 || bytes[index - digits] != UInt8(ascii: "0") else { return nil }
            if index < bytes.count, [UInt8(ascii: "."), UInt8(ascii: "e"), UInt8(ascii: "E")].contains(bytes[index]) { return nil }
            return negative ? -number : number
        }

        /// A string without escapes; one with escapes (or a control character) goes to JSONDecoder.
        mutating func string() -> String? {
            guard take(UInt8(ascii: "\"")) else { return nil }
            let start = index
            while index < bytes.count {
                let byte = bytes[index]
                if byte == UInt8(ascii: "\"") {
                    let text = String(validating: bytes[start..<index], as: UTF8.self)
                    index += 1
                    return text
                }
                if byte == UInt8(ascii: "\\") || byte < 0x20 { return nil }
                index += 1
            }
            return nil
        }
    }
}

import Foundation

extension JSONValue {
    /// Reads `bytes`, one JSON text, as `JSONDecoder` decoding `JSONValue` would: the same value, or
    /// nil where it throws.
    ///
    /// Most input goes through `JSONValue.Reader`, a scanner over the bytes that builds the tree
    /// directly — no `Data`, no `Decoder` existentials, no error thrown for every value that is not
    /// a boolean — which was most of the cost of reading a job record or a mintfax answer (issue #16,
    /// docs/benchmarks.md). What it does not read itself — anything that is not plain RFC 8259 JSON,
    /// a key given twice, a number outside a `Double`'s normal range, nesting deeper than
    /// ``Reader/maximumDepth`` — goes to `JSONDecoder`, so what is read never depends on which path
    /// read it (`JSONValueReadingTests` holds the two to the same values).
    public static func decode(_ bytes: [UInt8]) -> JSONValue? {
        // No text at all, which `JSONDecoder` refuses too: every 2xx answer's classification asks
        // for an empty error envelope, and a decoder thrown through per job was a cost of its own.
        guard !bytes.isEmpty else { return nil }
        if let value = bytes.withUnsafeBufferPointer({ buffer -> JSONValue? in
            var reader = Reader(bytes: buffer)
            return reader.document()
        }) {
            return value
        }
        return try? JSONDecoder().decode(JSONValue.self, from: Data(bytes))
    }

    /// A recursive-descent reader of RFC 8259 JSON into a `JSONValue`. Every method returns nil,
    /// leaving the bytes to `JSONDecoder`, at the first thing it does not take.
    struct Reader {
        /// The deepest nesting of arrays and objects read here.
        static let maximumDepth = 64

        let bytes: UnsafeBufferPointer<UInt8>
        var index = 0

        init(bytes: UnsafeBufferPointer<UInt8>) {
            self.bytes = bytes
        }

        /// The one value of the text, with only whitespace around it.
        mutating func document() -> JSONValue? {
            skipWhitespace()
            guard let value = value(depth: 0) else { return nil }
            skipWhitespace()
            return index == bytes.count ? value : nil
        }

        private mutating func skipWhitespace() {
            while index < bytes.count {
                switch bytes[index] {
                case UInt8(ascii: " "), UInt8(ascii: "\t"), UInt8(ascii: "\n"), UInt8(ascii: "\r"): index += 1
                default: return
                }
            }
        }

        private mutating func value(depth: Int) -> JSONValue? {
            guard index < bytes.count else { return nil }
            switch bytes[index] {
            case UInt8(ascii: "\""):
                return string().map(JSONValue.string)
            case UInt8(ascii: "{"):
                return depth < Self.maximumDepth ? object(depth: depth + 1) : nil
            case UInt8(ascii: "["):
                return depth < Self.maximumDepth ? array(depth: depth + 1) : nil
            case UInt8(ascii: "t"):
                return word("true") ? .bool(true) : nil
            case UInt8(ascii: "f"):
                return word("false") ? .bool(false) : nil
            case UInt8(ascii: "n"):
                return word("null") ? .null : nil
            default:
                return number().map(JSONValue.number)
            }
        }

        private mutating func object(depth: Int) -> JSONValue? {
            index += 1
            var members: [String: JSONValue] = [:]
            skipWhitespace()
            if take(UInt8(ascii: "}")) { return .object(members) }
            repeat {
                skipWhitespace()
                guard index < bytes.count, bytes[index] == UInt8(ascii: "\""), let key = string() else { return nil }
                skipWhitespace()
                guard take(UInt8(ascii: ":")) else { return nil }
                skipWhitespace()
                // A key twice (Swift's `String` equality, so canonically equivalent spellings too):
                // which one counts is `JSONDecoder`'s to say.
                guard let value = value(depth: depth), members.updateValue(value, forKey: key) == nil else { return nil }
                skipWhitespace()
            } while take(UInt8(ascii: ","))
            return take(UInt8(ascii: "}")) ? .object(members) : nil
        }

        private mutating func array(depth: Int) -> JSONValue? {
            index += 1
            var elements: [JSONValue] = []
            skipWhitespace()
            if take(UInt8(ascii: "]")) { return .array(elements) }
            repeat {
                skipWhitespace()
                guard let element = value(depth: depth) else { return nil }
                elements.append(element)
                skipWhitespace()
            } while take(UInt8(ascii: ","))
            return take(UInt8(ascii: "]")) ? .array(elements) : nil
        }

        private mutating func take(_ byte: UInt8) -> Bool {
            guard index < bytes.count, bytes[index] == byte else { return false }
            index += 1
            return true
        }

        private mutating func word(_ word: StaticString) -> Bool {
            let length = word.utf8CodeUnitCount
            guard bytes.count - index >= length,
                UnsafeBufferPointer(rebasing: bytes[index..<index + length]).elementsEqual(
                    UnsafeBufferPointer(start: word.utf8Start, count: length)
                )
            else { return false }
            index += length
            return true
        }

        /// `-? (0 | [1-9][0-9]*) (. [0-9]+)? ([eE] [+-]? [0-9]+)?`, as the `Double` nearest to it;
        /// nil for one with a fraction or exponent that is not a normal `Double` (0.0 included).
        private mutating func number() -> Double? {
            let start = index
            _ = take(UInt8(ascii: "-"))
            guard index < bytes.count else { return nil }
            if bytes[index] == UInt8(ascii: "0") {
                index += 1
            } else {
                guard digits() > 0 else { return nil }
            }
            var integral = true
            if take(UInt8(ascii: ".")) {
                integral = false
                guard digits() > 0 else { return nil }
            }
            if take(UInt8(ascii: "e")) || take(UInt8(ascii: "E")) {
                integral = false
                if !take(UInt8(ascii: "+")) { _ = take(UInt8(ascii: "-")) }
                guard digits() > 0 else { return nil }
            }
            let text = UnsafeBufferPointer(rebasing: bytes[start..<index])
            let negative = text[0] == UInt8(ascii: "-")
            // An integer of up to 15 digits is exact in a Double: added up here without a string.
            if integral, text.count - (negative ? 1 : 0) <= 15 {
                var magnitude: Int64 = 0
                for byte in text.dropFirst(negative ? 1 : 0) { magnitude = magnitude * 10 + Int64(byte - UInt8(ascii: "0")) }
                return negative ? -Double(magnitude) : Double(magnitude)
            }
            // Beyond `Double`'s range either way — infinite, or below its normal numbers, where
            // `JSONDecoder` refuses some and rounds others — is `JSONDecoder`'s to say.
            guard let number = Double(String(decoding: text, as: UTF8.self)), number.isNormal else { return nil }
            return number
        }

        /// Skips ASCII digits. - Returns: how many.
        private mutating func digits() -> Int {
            let start = index
            while index < bytes.count, (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(bytes[index]) { index += 1 }
            return index - start
        }

        /// A string from its opening quote: valid UTF-8, no control characters, escapes as RFC 8259
        /// has them; nil for a lone surrogate.
        private mutating func string() -> String? {
            index += 1
            let start = index
            var ascii = true
            while index < bytes.count {
                let byte = bytes[index]
                if byte == UInt8(ascii: "\"") {
                    let text = UnsafeBufferPointer(rebasing: bytes[start..<index])
                    index += 1
                    return ascii ? String(decoding: text, as: UTF8.self) : String(validating: text, as: UTF8.self)
                }
                if byte == UInt8(ascii: "\\") {
                    index = start
                    return escapedString()
                }
                if byte < 0x20 { return nil }
                if byte >= 0x80 { ascii = false }
                index += 1
            }
            return nil
        }

        /// The slow path of `string()`, from the first byte after the opening quote.
        private mutating func escapedString() -> String? {
            var utf8: [UInt8] = []
            while index < bytes.count {
                let byte = bytes[index]
                index += 1
                switch byte {
                case UInt8(ascii: "\""):
                    return String(validating: utf8, as: UTF8.self)
                case UInt8(ascii: "\\"):
                    guard index < bytes.count else { return nil }
                    let escape = bytes[index]
                    index += 1
                    switch escape {
                    case UInt8(ascii: "\""), UInt8(ascii: "\\"), UInt8(ascii: "/"): utf8.append(escape)
                    case UInt8(ascii: "b"): utf8.append(0x08)
                    case UInt8(ascii: "f"): utf8.append(0x0C)
                    case UInt8(ascii: "n"): utf8.append(0x0A)
                    case UInt8(ascii: "r"): utf8.append(0x0D)
                    case UInt8(ascii: "t"): utf8.append(0x09)
                    case UInt8(ascii: "u"):
                        guard let scalar = unicodeEscape() else { return nil }
                        UTF8.encode(scalar) { utf8.append($0) }
                    default: return nil
                    }
                case 0..<0x20:
                    return nil
                default:
                    utf8.append(byte)
                }
            }
            return nil
        }

        /// The scalar of a `\u` escape after its `u`, a surrogate pair taking two escapes.
        private mutating func unicodeEscape() -> Unicode.Scalar? {
            guard let unit = hexUnit() else { return nil }
            switch unit {
            case 0xD800...0xDBFF:
                guard take(UInt8(ascii: "\\")), take(UInt8(ascii: "u")), let low = hexUnit(), (0xDC00...0xDFFF).contains(low) else {
                    return nil
                }
                return Unicode.Scalar(0x10000 + ((UInt32(unit) - 0xD800) << 10) + (UInt32(low) - 0xDC00))
            case 0xDC00...0xDFFF:
                return nil
            default:
                return Unicode.Scalar(UInt32(unit))
            }
        }

        /// Four hex digits.
        private mutating func hexUnit() -> UInt16? {
            guard bytes.count - index >= 4 else { return nil }
            var unit: UInt16 = 0
            for _ in 0..<4 {
                let byte = bytes[index]
                let digit: UInt8
                switch byte {
                case UInt8(ascii: "0")...UInt8(ascii: "9"): digit = byte - UInt8(ascii: "0")
                case UInt8(ascii: "a")...UInt8(ascii: "f"): digit = byte - UInt8(ascii: "a") + 10
                case UInt8(ascii: "A")...UInt8(ascii: "F"): digit = byte - UInt8(ascii: "A") + 10
                default: return nil
                }
                unit = unit << 4 | UInt16(digit)
                index += 1
            }
            return unit
        }
    }
}

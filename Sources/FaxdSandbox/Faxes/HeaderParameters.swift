/// Splits header values with `;`-separated parameters (`form-data; name="to"`), honouring quoted
/// strings, which may contain `;`.
///
/// A quoted value is taken as it stands, without backslash escapes: `multipart/form-data` senders
/// (browsers, after the HTML standard, and faxd's own `MultipartFormData`) write `"`, CR and LF as
/// `%22`, `%0D` and `%0A` and a backslash as itself, so `filename="C:\docs\a.pdf"` names that file.
/// (Reading `\d` as an escape lost the backslashes of such a name: found by `make fuzz`.)
///
/// By UTF-8 bytes: `"`, `;`, `=`, space and tab are ASCII, which no multi-byte sequence contains, and
/// going by `Character` was most of the sandbox's cost of reading a part's headers
/// (docs/benchmarks.md). So a quote or a space followed by a combining mark still counts as a quote
/// or a space, where a `Character` held both.
enum HeaderParameters {
    /// The pieces between unquoted semicolons, trimmed of spaces and tabs.
    static func split(_ value: String) -> [String] {
        var pieces: [String] = []
        var value = value
        value.withUTF8 { bytes in
            var quoted = false
            var start = 0
            for (index, byte) in bytes.enumerated() {
                if byte == UInt8(ascii: "\"") {
                    quoted.toggle()
                } else if byte == UInt8(ascii: ";") && !quoted {
                    pieces.append(trimmed(bytes[start..<index]))
                    start = index + 1
                }
            }
            pieces.append(trimmed(bytes[start...]))
        }
        return pieces.filter { !$0.isEmpty }
    }

    /// `name=value` or `name="value"` split into the name and the unquoted value (`nil` when
    /// there is no `=`).
    static func nameAndValue(_ piece: String) -> (name: String, value: String?) {
        var piece = piece
        return piece.withUTF8 { bytes in
            guard let equals = bytes.firstIndex(of: UInt8(ascii: "=")) else { return (trimmed(bytes[...]), nil) }
            let name = trimmed(bytes[..<equals])
            var value = trimmedRange(bytes[(equals + 1)...])
            if value.count >= 2, bytes[value.lowerBound] == UInt8(ascii: "\""), bytes[value.upperBound - 1] == UInt8(ascii: "\"") {
                value = (value.lowerBound + 1)..<(value.upperBound - 1)
            }
            return (name, String(decoding: bytes[value], as: UTF8.self))
        }
    }

    /// `text` without leading and trailing spaces and tabs.
    static func trim(_ text: some StringProtocol) -> String {
        var text = String(text)
        return text.withUTF8 { trimmed($0[...]) }
    }

    private static func trimmed(_ bytes: Slice<UnsafeBufferPointer<UInt8>>) -> String {
        String(decoding: bytes.base[trimmedRange(bytes)], as: UTF8.self)
    }

    /// The range of `bytes` without leading and trailing spaces and tabs; only ASCII bytes go, so
    /// what is left is whole UTF-8.
    private static func trimmedRange(_ bytes: Slice<UnsafeBufferPointer<UInt8>>) -> Range<Int> {
        let isBlank = { (byte: UInt8) in byte == UInt8(ascii: " ") || byte == UInt8(ascii: "\t") }
        guard let first = bytes.firstIndex(where: { !isBlank($0) }), let last = bytes.lastIndex(where: { !isBlank($0) }) else {
            return bytes.startIndex..<bytes.startIndex
        }
        return first..<(last + 1)
    }
}

/// Splits header values with `;`-separated parameters (`form-data; name="to"`), honouring
/// quoted strings, which may contain `;` and backslash escapes.
enum HeaderParameters {
    /// The pieces between unquoted semicolons, trimmed of spaces and tabs.
    static func split(_ value: String) -> [String] {
        var pieces: [String] = []
        var current = ""
        var quoted = false
        var escaped = false
        for character in value {
            if escaped {
                current.append(character)
                escaped = false
            } else if character == "\\" && quoted {
                current.append(character)
                escaped = true
            } else if character == "\"" {
                quoted.toggle()
                current.append(character)
            } else if character == ";" && !quoted {
                pieces.append(trim(current))
                current = ""
            } else {
                current.append(character)
            }
        }
        pieces.append(trim(current))
        return pieces.filter { !$0.isEmpty }
    }

    /// `name=value` or `name="value"` split into the name and the unquoted value (`nil` when
    /// there is no `=`).
    static func nameAndValue(_ piece: String) -> (name: String, value: String?) {
        guard let equals = piece.firstIndex(of: "=") else { return (trim(piece), nil) }
        let name = trim(String(piece[..<equals]))
        var value = trim(String(piece[piece.index(after: equals)...]))
        if value.count >= 2, value.hasPrefix("\""), value.hasSuffix("\"") {
            value = String(value.dropFirst().dropLast())
            var unescaped = ""
            var escaped = false
            for character in value {
                if escaped || character != "\\" {
                    unescaped.append(character)
                    escaped = false
                } else {
                    escaped = true
                }
            }
            value = unescaped
        }
        return (name, value)
    }

    private static func trim(_ text: String) -> String {
        var slice = Substring(text)
        while let first = slice.first, first == " " || first == "\t" { slice.removeFirst() }
        while let last = slice.last, last == " " || last == "\t" { slice.removeLast() }
        return String(slice)
    }
}

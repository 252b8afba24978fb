/// Splits header values with `;`-separated parameters (`form-data; name="to"`), honouring quoted
/// strings, which may contain `;`.
///
/// A quoted value is taken as it stands, without backslash escapes: `multipart/form-data` senders
/// (browsers, after the HTML standard, and faxd's own `MultipartFormData`) write `"`, CR and LF as
/// `%22`, `%0D` and `%0A` and a backslash as itself, so `filename="C:\docs\a.pdf"` names that file.
/// (Reading `\d` as an escape lost the backslashes of such a name: found by `make fuzz`.)
enum HeaderParameters {
    /// The pieces between unquoted semicolons, trimmed of spaces and tabs.
    static func split(_ value: String) -> [String] {
        var pieces: [String] = []
        var current = ""
        var quoted = false
        for character in value {
            if character == "\"" {
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
        }
        return (name, value)
    }

    /// `text` without leading and trailing spaces and tabs.
    static func trim(_ text: some StringProtocol) -> String {
        var slice = Substring(text)
        while let first = slice.first, first == " " || first == "\t" { slice.removeFirst() }
        while let last = slice.last, last == " " || last == "\t" { slice.removeLast() }
        return String(slice)
    }
}

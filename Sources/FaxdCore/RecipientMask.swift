/// Masks a recipient fax number for logs and terminal output: the country code's first digit and the
/// last two digits stay, everything else becomes `•`. `+12125551234` → `+1••••••••34`.
///
/// Logs never carry a full recipient number (DESIGN §1: no PHI in logs).
public enum RecipientMask {
    private static let bullet = Array("•".utf8)

    public static func mask(_ number: String) -> String {
        // Every valid recipient is ASCII, a byte a Character: counted by bytes, without the grapheme
        // breaking of `count`, which was most of the cost (a job's log lines carry its masked recipient).
        let count = number.utf8.allSatisfy({ $0 < 0x80 }) ? number.utf8.count : number.count
        guard count > 4 else { return String(repeating: "•", count: count) }
        let keepHead = number.first == "+" ? 2 : 1
        guard count == number.utf8.count else {
            return String(number.prefix(keepHead)) + String(repeating: "•", count: count - keepHead - 2) + String(number.suffix(2))
        }
        // ASCII, written in place: one allocation where the pieces and their joins were three.
        let bullet = Self.bullet
        let masked = count - keepHead - 2
        var number = number
        return number.withUTF8 { digits in
            String(unsafeUninitializedCapacity: keepHead + 2 + masked * bullet.count) { out in
                var position = 0
                for byte in digits[..<keepHead] {
                    out[position] = byte
                    position += 1
                }
                for _ in 0..<masked {
                    for byte in bullet {
                        out[position] = byte
                        position += 1
                    }
                }
                for byte in digits[(count - 2)...] {
                    out[position] = byte
                    position += 1
                }
                return position
            }
        }
    }
}

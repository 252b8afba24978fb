/// Masks a recipient fax number for logs and terminal output: the country code's first digit and the
/// last two digits stay, everything else becomes `•`. `+12125551234` → `+1••••••••34`.
///
/// Logs never carry a full recipient number (DESIGN §1: no PHI in logs).
public enum RecipientMask {
    public static func mask(_ number: String) -> String {
        // Every valid recipient is ASCII, a byte a Character: counted by bytes, without the grapheme
        // breaking of `count`, which was most of the cost (a job's log lines carry its masked recipient).
        let count = number.utf8.allSatisfy({ $0 < 0x80 }) ? number.utf8.count : number.count
        guard count > 4 else { return String(repeating: "•", count: count) }
        let keepHead = number.first == "+" ? 2 : 1
        return String(number.prefix(keepHead)) + String(repeating: "•", count: count - keepHead - 2) + String(number.suffix(2))
    }
}

/// Masks a recipient fax number for logs and terminal output: the country code's first digit and the
/// last two digits stay, everything else becomes `•`. `+12125551234` → `+1••••••••34`.
///
/// Logs never carry a full recipient number (DESIGN §1: no PHI in logs).
public enum RecipientMask {
    public static func mask(_ number: String) -> String {
        let characters = Array(number)
        guard characters.count > 4 else { return String(repeating: "•", count: characters.count) }
        let keepHead = characters.first == "+" ? 2 : 1
        let head = characters.prefix(keepHead)
        let tail = characters.suffix(2)
        return String(head) + String(repeating: "•", count: characters.count - keepHead - 2) + String(tail)
    }
}

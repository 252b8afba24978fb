/// Masks a recipient fax number for logs and terminal output: the country code's first digit and the
/// last two digits stay, everything else becomes `•`. `+12125551234` → `+1••••••••34`.
///
/// Logs never carry a full recipient number (DESIGN §1: no PHI in logs).
public enum RecipientMask {
    public static func mask(_ number: String) -> String {
        let bytes = number.utf8
        guard bytes.allSatisfy({ $0 < 0x80 }) else { return maskCharacters(number) }
        // ASCII, as every valid recipient is: by bytes, one Character each (a job's log lines carry
        // its masked recipient, so this runs per job; grapheme breaking was most of its cost).
        guard bytes.count > 4 else { return String(repeating: "•", count: bytes.count) }
        let keepHead = bytes.first == UInt8(ascii: "+") ? 2 : 1
        var masked = [UInt8](bytes.prefix(keepHead))
        masked.reserveCapacity(bytes.count * 3)
        for _ in 0..<(bytes.count - keepHead - 2) { masked += bullet }
        masked += bytes.suffix(2)
        return String(decoding: masked, as: UTF8.self)
    }

    private static let bullet = Array("•".utf8)

    private static func maskCharacters(_ number: String) -> String {
        let characters = Array(number)
        guard characters.count > 4 else { return String(repeating: "•", count: characters.count) }
        let keepHead = characters.first == "+" ? 2 : 1
        let head = characters.prefix(keepHead)
        let tail = characters.suffix(2)
        return String(head) + String(repeating: "•", count: characters.count - keepHead - 2) + String(tail)
    }
}

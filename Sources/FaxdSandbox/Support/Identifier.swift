import Foundation

/// The identifier formats of mintfax Gen C (API.md §1.6).
enum Identifier {
    private static let base62 = Array("0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz")
    private static let crockford = Array("0123456789ABCDEFGHJKMNPQRSTVWXYZ")

    /// `fax_` + 22 base62 characters.
    static func fax() -> String { "fax_" + randomBase62(22) }

    /// `evt_` + 22 base62 characters.
    static func event() -> String { "evt_" + randomBase62(22) }

    /// `webhook_` + 22 base62 characters.
    static func webhookEndpoint() -> String { "webhook_" + randomBase62(22) }

    /// `req_` + a 26-character ULID: 48 bits of milliseconds since 1970 then 80 random bits, in
    /// Crockford base32, so request ids sort by time.
    static func request(at date: Date) -> String {
        var generator = SystemRandomNumberGenerator()
        let milliseconds = UInt64(max(0, date.timeIntervalSince1970 * 1000)) & 0xFFFF_FFFF_FFFF
        var characters: [Character] = []
        characters.reserveCapacity(26)
        for index in (0..<10).reversed() {
            characters.append(crockford[Int((milliseconds >> (UInt64(index) * 5)) & 31)])
        }
        for _ in 0..<16 {
            characters.append(crockford[Int(generator.next() % 32)])
        }
        return "req_" + String(characters)
    }

    private static func randomBase62(_ count: Int) -> String {
        var generator = SystemRandomNumberGenerator()
        return String((0..<count).map { _ in base62[Int(generator.next(upperBound: UInt64(base62.count)))] })
    }
}

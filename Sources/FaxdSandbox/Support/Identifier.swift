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
        // 80 random bits as 16 five-bit digits, from two draws: each draw is a getrandom(2).
        var bits = RandomBits()
        for _ in 0..<16 {
            characters.append(crockford[Int(bits.take(5, from: &generator))])
        }
        return "req_" + String(characters)
    }

    /// `count` characters drawn uniformly from `base62`: six random bits each, 62 and 63 drawn again.
    private static func randomBase62(_ count: Int) -> String {
        var generator = SystemRandomNumberGenerator()
        var bits = RandomBits()
        var characters: [Character] = []
        characters.reserveCapacity(count)
        while characters.count < count {
            let digit = Int(bits.take(6, from: &generator))
            if digit < base62.count { characters.append(base62[digit]) }
        }
        return String(characters)
    }

    /// Random bits taken a few at a time from 64-bit draws: a draw per character was a system call
    /// per character, 40 per submission (docs/benchmarks.md).
    private struct RandomBits {
        private var bits: UInt64 = 0
        private var left = 0

        mutating func take(_ count: Int, from generator: inout SystemRandomNumberGenerator) -> UInt64 {
            if left < count {
                bits = generator.next()
                left = 64
            }
            defer {
                bits >>= UInt64(count)
                left -= count
            }
            return bits & ((1 << UInt64(count)) - 1)
        }
    }
}

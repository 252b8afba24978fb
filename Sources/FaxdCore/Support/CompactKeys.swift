import Foundation

/// The compact keys and times the in-memory ledgers (`DeliveryLedger`, `JobLedger`) store instead of
/// strings and dates.
enum CompactKeys {
    /// FNV-1a, 64 bits.
    static func hash(_ text: String) -> UInt64 {
        var hash: UInt64 = 0xCBF2_9CE4_8422_2325
        for byte in text.utf8 {
            hash ^= UInt64(byte)
            hash = hash &* 0x0000_0100_0000_01B3
        }
        return hash
    }

    /// Whole seconds since the Unix epoch (good until 2106), at least 1, so 0 can mean "none".
    static func seconds(_ date: Date) -> UInt32 {
        UInt32(clamping: max(1, Int64(date.timeIntervalSince1970)))
    }
}

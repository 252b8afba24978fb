import Crypto

/// A name-based UUID, version 5 (RFC 9562 §5.5): SHA-1 over a namespace UUID and a name.
public struct UUIDv5: Sendable, Hashable, CustomStringConvertible {
    /// The 16 bytes of the UUID.
    public let bytes: [UInt8]

    /// The DNS namespace of RFC 9562 (`6ba7b810-9dad-11d1-80b4-00c04fd430c8`).
    public static let dnsNamespace = UUIDv5(uncheckedString: "6ba7b810-9dad-11d1-80b4-00c04fd430c8")

    /// The UUID of `name` (its UTF-8 bytes) in `namespace`.
    public init(namespace: UUIDv5, name: String) {
        var hasher = Insecure.SHA1()
        hasher.update(data: namespace.bytes)
        var name = name
        // The name's own bytes, not an array copy of them: an event id is a hash per event.
        name.withUTF8 { hasher.update(bufferPointer: UnsafeRawBufferPointer($0)) }
        var bytes = hasher.finalize().withUnsafeBytes { Array($0.prefix(16)) }
        bytes[6] = (bytes[6] & 0x0F) | 0x50  // version 5
        bytes[8] = (bytes[8] & 0x3F) | 0x80  // RFC variant
        self.bytes = bytes
    }

    /// Parses the canonical 8-4-4-4-12 hexadecimal form, in either case; nil for anything else.
    public init?(_ string: String) {
        let utf8 = Array(string.utf8)
        guard utf8.count == 36 else { return nil }
        var bytes: [UInt8] = []
        bytes.reserveCapacity(16)
        var index = 0
        while index < 36 {
            if [8, 13, 18, 23].contains(index) {
                guard utf8[index] == UInt8(ascii: "-") else { return nil }
                index += 1
                continue
            }
            guard index + 1 < 36, let high = Self.hexValue(utf8[index]), let low = Self.hexValue(utf8[index + 1]) else {
                return nil
            }
            bytes.append(high << 4 | low)
            index += 2
        }
        guard bytes.count == 16 else { return nil }
        self.bytes = bytes
    }

    private init(uncheckedString string: String) {
        self.init(string)!
    }

    /// Lower-case canonical form, e.g. `c020cab0-5fa5-575d-8617-acd6fc49e2c0`.
    public var description: String {
        String(unsafeUninitializedCapacity: 36) { out in
            var position = 0
            for (index, byte) in bytes.enumerated() {
                if index == 4 || index == 6 || index == 8 || index == 10 {
                    out[position] = UInt8(ascii: "-")
                    position += 1
                }
                out[position] = Hex.digit(byte >> 4)
                out[position + 1] = Hex.digit(byte & 0x0F)
                position += 2
            }
            return position
        }
    }

    private static func hexValue(_ c: UInt8) -> UInt8? {
        switch c {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): c - UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"): c - UInt8(ascii: "a") + 10
        case UInt8(ascii: "A")...UInt8(ascii: "F"): c - UInt8(ascii: "A") + 10
        default: nil
        }
    }
}

import Crypto

/// A name-based UUID, version 5 (RFC 9562 §5.5): SHA-1 over a namespace UUID and a name.
///
/// Its 16 bytes are held inline, not in an array: a worker derives several per job (the key, its
/// events' ids), and each array was an allocation (docs/benchmarks.md).
public struct UUIDv5: Sendable, Hashable, CustomStringConvertible {
    /// The first and last 8 bytes, big-endian.
    private let high: UInt64
    private let low: UInt64

    /// The DNS namespace of RFC 9562 (`6ba7b810-9dad-11d1-80b4-00c04fd430c8`).
    public static let dnsNamespace = UUIDv5(uncheckedString: "6ba7b810-9dad-11d1-80b4-00c04fd430c8")

    /// The UUID of `name` (its UTF-8 bytes) in `namespace`.
    public init(namespace: UUIDv5, name: String) {
        self.init(namespace: namespace) { $0.update(name) }
    }

    /// The UUID of the name `first:second` in `namespace`, hashed without building it.
    public init(namespace: UUIDv5, joining first: String, _ second: String) {
        self.init(namespace: namespace) { hasher in
            hasher.update(first)
            hasher.update(":")
            hasher.update(second)
        }
    }

    /// The UUID of the name `first:second:third` in `namespace`, hashed without building it.
    public init(namespace: UUIDv5, joining first: String, _ second: String, _ third: String) {
        self.init(namespace: namespace) { hasher in
            hasher.update(first)
            hasher.update(":")
            hasher.update(second)
            hasher.update(":")
            hasher.update(third)
        }
    }

    /// The UUID of the name `uuid:second:third` in `namespace` (an event id: a key's canonical form
    /// and two more parts), hashed without building it.
    public init(namespace: UUIDv5, joining uuid: UUIDv5, _ second: String, _ third: String) {
        self.init(namespace: namespace) { hasher in
            uuid.withCanonicalForm { hasher.update(bufferPointer: UnsafeRawBufferPointer($0)) }
            hasher.update(":")
            hasher.update(second)
            hasher.update(":")
            hasher.update(third)
        }
    }

    private init(namespace: UUIDv5, name: (inout Insecure.SHA1) -> Void) {
        var hasher = Insecure.SHA1()
        withUnsafeBytes(of: (namespace.high.bigEndian, namespace.low.bigEndian)) { hasher.update(bufferPointer: $0) }
        name(&hasher)
        let (high, low) = hasher.finalize().withUnsafeBytes { digest in
            (
                UInt64(bigEndian: digest.loadUnaligned(as: UInt64.self)),
                UInt64(bigEndian: digest.loadUnaligned(fromByteOffset: 8, as: UInt64.self))
            )
        }
        self.high = (high & ~0xF000) | 0x5000  // version 5 (byte 6)
        self.low = (low & ~(0xC0 << 56)) | (0x80 << 56)  // RFC variant (byte 8)
    }

    /// Parses the canonical 8-4-4-4-12 hexadecimal form, in either case; nil for anything else.
    public init?(_ string: String) {
        var value: (high: UInt64, low: UInt64)?
        var string = string
        string.withUTF8 { utf8 in
            guard utf8.count == 36 else { return }
            var high: UInt64 = 0
            var low: UInt64 = 0
            var digits = 0
            for (index, character) in utf8.enumerated() {
                if index == 8 || index == 13 || index == 18 || index == 23 {
                    guard character == UInt8(ascii: "-") else { return }
                    continue
                }
                guard let nibble = Self.hexValue(character) else { return }
                if digits < 16 { high = high << 4 | UInt64(nibble) } else { low = low << 4 | UInt64(nibble) }
                digits += 1
            }
            value = (high, low)
        }
        guard let value else { return nil }
        self.high = value.high
        self.low = value.low
    }

    private init(uncheckedString string: String) {
        self.init(string)!
    }

    /// Lower-case canonical form, e.g. `c020cab0-5fa5-575d-8617-acd6fc49e2c0`.
    public var description: String {
        String(unsafeUninitializedCapacity: 36) { out in
            write(into: out)
            return 36
        }
    }

    /// Calls `body` with the canonical form's 36 bytes, on the stack.
    func withCanonicalForm<R>(_ body: (UnsafeBufferPointer<UInt8>) -> R) -> R {
        withUnsafeTemporaryAllocation(of: UInt8.self, capacity: 36) { out in
            write(into: out)
            return body(UnsafeBufferPointer(out))
        }
    }

    private func write(into out: UnsafeMutableBufferPointer<UInt8>) {
        var position = 0
        for index in 0..<16 {
            if index == 4 || index == 6 || index == 8 || index == 10 {
                out[position] = UInt8(ascii: "-")
                position += 1
            }
            let byte = UInt8(truncatingIfNeeded: (index < 8 ? high >> (56 - 8 * index) : low >> (56 - 8 * (index - 8))))
            out[position] = Hex.digit(byte >> 4)
            out[position + 1] = Hex.digit(byte & 0x0F)
            position += 2
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

extension Insecure.SHA1 {
    /// Hashes a string's own UTF-8 bytes, not an array copy of them.
    fileprivate mutating func update(_ text: String) {
        var text = text
        text.withUTF8 { update(bufferPointer: UnsafeRawBufferPointer($0)) }
    }
}

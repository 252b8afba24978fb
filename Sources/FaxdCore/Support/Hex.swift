public import Foundation

/// Lower-case hexadecimal of bytes (digests, fingerprints), two digits a byte.
public enum Hex {
    /// From the bytes' own storage: a digest's `Sequence` iterator, unspecialised across modules,
    /// cost more than the hashing (docs/benchmarks.md).
    public static func string(_ bytes: some ContiguousBytes) -> String {
        bytes.withUnsafeBytes { buffer in
            String(unsafeUninitializedCapacity: buffer.count * 2) { out in
                for (index, byte) in buffer.enumerated() {
                    out[2 * index] = digit(byte >> 4)
                    out[2 * index + 1] = digit(byte & 0x0F)
                }
                return buffer.count * 2
            }
        }
    }

    /// The lower-case hexadecimal digit of `nibble` (0–15), as an ASCII byte.
    static func digit(_ nibble: UInt8) -> UInt8 {
        nibble < 10 ? UInt8(ascii: "0") + nibble : UInt8(ascii: "a") + nibble - 10
    }
}

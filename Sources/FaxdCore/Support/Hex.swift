public import Foundation

/// Lower-case hexadecimal of bytes (digests, fingerprints), two digits a byte.
public enum Hex {
    private static let digits = Array("0123456789abcdef".utf8)

    /// From the bytes' own storage: a digest's `Sequence` iterator, unspecialised across modules,
    /// cost more than the hashing (docs/benchmarks.md).
    public static func string(_ bytes: some ContiguousBytes) -> String {
        bytes.withUnsafeBytes { buffer in
            String(unsafeUninitializedCapacity: buffer.count * 2) { out in
                for (index, byte) in buffer.enumerated() {
                    out[2 * index] = digits[Int(byte >> 4)]
                    out[2 * index + 1] = digits[Int(byte & 0x0F)]
                }
                return buffer.count * 2
            }
        }
    }
}

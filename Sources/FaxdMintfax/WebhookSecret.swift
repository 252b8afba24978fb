import Crypto
import Foundation

/// A Standard Webhooks signing secret: `whsec_` followed by the base64 encoding of the HMAC key.
///
/// The HMAC-SHA256 key is the base64-*decoded* part after the prefix, as the Standard Webhooks
/// specification defines it (not the text itself). The value is never printed: ``description``
/// and ``debugDescription`` show only `whsec_…` and the key length, so a secret can sit in a
/// logged configuration value without leaking. ``encoded`` is the one way to read it back, for
/// showing a freshly created secret once to its owner.
public struct WebhookSecret: Sendable, Hashable, CustomStringConvertible, CustomDebugStringConvertible {
    /// The text every encoded secret starts with.
    public static let prefix = "whsec_"

    /// The decoded HMAC key bytes, never empty.
    let keyBytes: [UInt8]

    /// Parses `whsec_<base64>`.
    ///
    /// - Returns: `nil` when the prefix is missing, the rest is not standard base64 (padding
    ///   optional), or it decodes to no bytes.
    public init?(_ encoded: String) {
        guard encoded.hasPrefix(Self.prefix) else { return nil }
        var base64 = String(encoded.dropFirst(Self.prefix.count))
        let remainder = base64.utf8.count % 4
        if remainder != 0 { base64 += String(repeating: "=", count: 4 - remainder) }
        guard let data = Data(base64Encoded: base64), !data.isEmpty else { return nil }
        self.keyBytes = Array(data)
    }

    /// Creates a secret from raw key bytes.
    ///
    /// - Precondition: `keyBytes` is not empty.
    public init(keyBytes: [UInt8]) {
        precondition(!keyBytes.isEmpty, "a webhook secret needs at least one key byte")
        self.keyBytes = keyBytes
    }

    /// A fresh secret of `byteCount` random bytes (default 24, as in the specification's example,
    /// which encodes to 32 base64 characters).
    public static func random(byteCount: Int = 24, using generator: inout some RandomNumberGenerator) -> WebhookSecret {
        WebhookSecret(keyBytes: (0..<max(1, byteCount)).map { _ in UInt8.random(in: .min ... .max, using: &generator) })
    }

    /// The full secret, `whsec_<base64>`. Show it once to its owner; never log it.
    public var encoded: String {
        Self.prefix + Data(keyBytes).base64EncodedString()
    }

    /// The HMAC key.
    var symmetricKey: SymmetricKey {
        SymmetricKey(data: keyBytes)
    }

    /// `whsec_…(<n> bytes)`: never the secret itself.
    public var description: String { "\(Self.prefix)…(\(keyBytes.count) bytes)" }

    /// Same as ``description``.
    public var debugDescription: String { description }
}

import Crypto
import Foundation

/// A mintfax API key. Its text is reachable only through `bearerValue`; printing, logging or
/// interpolating the key shows its kind and last four characters at most.
public struct MintfaxAPIKey: Sendable, Hashable, CustomStringConvertible, CustomDebugStringConvertible {
    /// Which mintfax environment a key belongs to, from its prefix.
    public enum Kind: String, Sendable {
        case sandbox = "mfx_test_"
        case live = "mfx_live_"
    }

    private let secret: String
    public let kind: Kind
    /// `key-` and 12 hex digits of the key's SHA-256: names the key in budgets, metrics and logs
    /// (two tenants with one key have one fingerprint) without revealing it. Computed once, here:
    /// the dispatcher asks for it on every record.
    public let fingerprint: String

    /// Nil unless `text` starts with `mfx_test_` or `mfx_live_` and has characters after the prefix
    /// (account keys, `mfx_acct_`, cannot send faxes).
    public init?(_ text: String) {
        let trimmed = text.trimmingCharacters(in: .whitespacesAndNewlines)
        guard let kind = [Kind.sandbox, .live].first(where: { trimmed.hasPrefix($0.rawValue) }),
            trimmed.count > kind.rawValue.count,
            trimmed.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "_") })
        else { return nil }
        self.secret = trimmed
        self.kind = kind
        self.fingerprint = "key-" + SHA256.hash(data: Data(trimmed.utf8)).prefix(6).map { String(format: "%02x", $0) }.joined()
    }

    /// `Bearer <key>`, for the `Authorization` header only.
    public var bearerValue: String { "Bearer \(secret)" }

    /// `mfx_test_…wxyz`: safe for logs.
    public var description: String { "\(kind.rawValue)…\(secret.suffix(4))" }
    public var debugDescription: String { description }
}

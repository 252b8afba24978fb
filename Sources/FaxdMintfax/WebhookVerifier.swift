import Crypto
public import Foundation

/// Verifies Standard Webhooks signatures on incoming deliveries.
///
/// A delivery is accepted when its timestamp is within ``tolerance`` of ``now`` and at least one
/// `v1,<base64>` token of its `webhook-signature` header (space-separated; tokens of other
/// versions are ignored) equals the HMAC-SHA256 of `{id}.{timestamp}.{body}` under at least one
/// of ``secrets``. Several secrets let an endpoint accept both sides of a rotation. MACs are
/// compared in constant time.
public struct WebhookVerifier: Sendable {
    /// The default ``tolerance``: 5 minutes either way, as the Standard Webhooks reference
    /// libraries use.
    public static let defaultTolerance: Duration = .seconds(300)
    /// The default ``maximumBodySize``: 1 MiB.
    public static let defaultMaximumBodySize = 1024 * 1024

    /// The accepted secrets, in any order; never empty.
    public let secrets: [WebhookSecret]
    /// How far the `webhook-timestamp` may lie from ``now`` in either direction. Default 5 minutes.
    public let tolerance: Duration
    /// The largest body accepted, in bytes. Default 1 MiB.
    public let maximumBodySize: Int
    /// The current time; injected so tests can pin it.
    public let now: @Sendable () -> Date

    /// Creates a verifier.
    ///
    /// - Parameters:
    ///   - secrets: every secret currently valid for the endpoint.
    ///   - tolerance: the allowed clock difference; default ``defaultTolerance``.
    ///   - maximumBodySize: the largest body, in bytes; default ``defaultMaximumBodySize``.
    ///   - now: the clock; default the system clock.
    /// - Precondition: `secrets` is not empty.
    public init(
        secrets: [WebhookSecret],
        tolerance: Duration = WebhookVerifier.defaultTolerance,
        maximumBodySize: Int = WebhookVerifier.defaultMaximumBodySize,
        now: @escaping @Sendable () -> Date = { Date() }
    ) {
        precondition(!secrets.isEmpty, "a webhook verifier needs at least one secret")
        self.secrets = secrets
        self.tolerance = tolerance
        self.maximumBodySize = maximumBodySize
        self.now = now
    }

    /// Checks one delivery.
    ///
    /// - Parameters:
    ///   - id: the `webhook-id` header, or `nil` when absent.
    ///   - timestamp: the `webhook-timestamp` header (Unix seconds), or `nil` when absent.
    ///   - signature: the `webhook-signature` header, or `nil` when absent.
    ///   - body: the raw request body, exactly as received.
    /// - Throws: ``WebhookVerificationError``, checked in this order: `.missingHeaders`,
    ///   `.bodyTooLarge`, `.malformedSignature` (timestamp not an integer), `.timestampTooOld`,
    ///   `.timestampTooNew`, `.malformedSignature` (no `v1` token), `.noMatchingSignature`.
    public func verify(id: String?, timestamp: String?, signature: String?, body: [UInt8]) throws(WebhookVerificationError) {
        guard let id, !id.isEmpty, let timestamp, !timestamp.isEmpty, let signature, !signature.isEmpty else {
            throw WebhookVerificationError(
                code: .missingHeaders,
                reason: "webhook-id, webhook-timestamp and webhook-signature are required"
            )
        }
        guard body.count <= maximumBodySize else {
            throw WebhookVerificationError(code: .bodyTooLarge, reason: "the body has \(body.count) bytes, more than \(maximumBodySize)")
        }
        guard let seconds = Int(timestamp) else {
            throw WebhookVerificationError(code: .malformedSignature, reason: "webhook-timestamp is not an integer")
        }
        let current = now().timeIntervalSince1970
        let allowed = Double(tolerance.components.seconds) + Double(tolerance.components.attoseconds) / 1e18
        if current - Double(seconds) > allowed {
            throw WebhookVerificationError(code: .timestampTooOld, reason: "webhook-timestamp is more than \(tolerance) in the past")
        }
        if Double(seconds) - current > allowed {
            throw WebhookVerificationError(code: .timestampTooNew, reason: "webhook-timestamp is more than \(tolerance) in the future")
        }
        let candidates = Self.versionOneSignatures(signature)
        guard !candidates.isEmpty else {
            throw WebhookVerificationError(code: .malformedSignature, reason: "webhook-signature holds no v1,<base64> token")
        }
        for secret in secrets {
            let expected = WebhookSigner.mac(id: id, timestamp: timestamp, body: body, key: secret.symmetricKey)
            for candidate in candidates where Self.constantTimeEquals(candidate, expected) {
                return
            }
        }
        throw WebhookVerificationError(code: .noMatchingSignature, reason: "no signature matches an accepted secret")
    }

    /// The decoded MACs of every well-formed `v1,<base64>` token in a signature header.
    static func versionOneSignatures(_ header: String) -> [[UInt8]] {
        header.split(separator: " ", omittingEmptySubsequences: true).compactMap { token in
            guard token.hasPrefix("v1,") else { return nil }
            guard let data = Data(base64Encoded: String(token.dropFirst(3))), !data.isEmpty else { return nil }
            return Array(data)
        }
    }

    /// Compares two byte strings in time that depends only on their lengths.
    static func constantTimeEquals(_ lhs: [UInt8], _ rhs: [UInt8]) -> Bool {
        guard lhs.count == rhs.count else { return false }
        var difference: UInt8 = 0
        for index in lhs.indices {
            difference |= lhs[index] ^ rhs[index]
        }
        return difference == 0
    }
}

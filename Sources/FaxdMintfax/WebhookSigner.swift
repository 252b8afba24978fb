import Crypto
import Foundation

/// Signs webhook deliveries per Standard Webhooks.
///
/// The signature is HMAC-SHA256, keyed with the secret's decoded key, over the bytes of
/// `{webhook-id}.{webhook-timestamp}.{raw body}`, base64-encoded and prefixed `v1,`. It goes in
/// the `webhook-signature` header next to `webhook-id` and `webhook-timestamp`.
public struct WebhookSigner: Sendable {
    /// The secret signatures are made with.
    public let secret: WebhookSecret

    /// Creates a signer for `secret`.
    public init(secret: WebhookSecret) {
        self.secret = secret
    }

    /// The `webhook-signature` token for one delivery attempt.
    ///
    /// - Parameters:
    ///   - id: the `webhook-id` header value (the event id, stable across retries).
    ///   - timestamp: the `webhook-timestamp` header value, Unix seconds, fresh per attempt.
    ///   - body: the exact bytes sent as the request body.
    /// - Returns: `v1,<base64 of the HMAC-SHA256>`.
    public func sign(id: String, timestamp: Int, body: [UInt8]) -> String {
        "v1," + Data(Self.mac(id: id, timestamp: String(timestamp), body: body, key: secret.symmetricKey)).base64EncodedString()
    }

    /// The raw HMAC-SHA256 over `{id}.{timestamp}.{body}`, 32 bytes.
    static func mac(id: String, timestamp: String, body: [UInt8], key: SymmetricKey) -> [UInt8] {
        var hmac = HMAC<SHA256>(key: key)
        hmac.update(data: Array("\(id).\(timestamp).".utf8))
        hmac.update(data: body)
        return Array(hmac.finalize())
    }
}

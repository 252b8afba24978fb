/// Why ``WebhookVerifier/verify(id:timestamp:signature:body:)`` rejected a delivery.
///
/// Switch on ``code``; ``reason`` is for logs and never contains a secret or a signature. Every
/// code means "answer with a non-2xx status and do not process the event".
public struct WebhookVerificationError: Error, Sendable, Hashable, CustomStringConvertible {
    /// The kind of rejection. Compare with the static members, e.g. `error.code == .timestampTooOld`.
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        private let name: String

        private init(_ name: String) {
            self.name = name
        }

        /// `webhook-id`, `webhook-timestamp` or `webhook-signature` is absent or empty.
        public static let missingHeaders = Code("missingHeaders")
        /// The signature header holds no `v1,<base64>` token, or the timestamp is not an integer.
        public static let malformedSignature = Code("malformedSignature")
        /// No `v1` token matches any accepted secret.
        public static let noMatchingSignature = Code("noMatchingSignature")
        /// The timestamp is further in the past than the tolerance allows (a possible replay).
        public static let timestampTooOld = Code("timestampTooOld")
        /// The timestamp is further in the future than the tolerance allows.
        public static let timestampTooNew = Code("timestampTooNew")
        /// The body is larger than ``WebhookVerifier/maximumBodySize``.
        public static let bodyTooLarge = Code("bodyTooLarge")

        public var description: String { name }
    }

    /// The kind of rejection.
    public let code: Code
    /// A human-readable explanation.
    public let reason: String

    /// Creates an error.
    public init(code: Code, reason: String) {
        self.code = code
        self.reason = reason
    }

    public var description: String { "WebhookVerificationError(\(code)): \(reason)" }
}

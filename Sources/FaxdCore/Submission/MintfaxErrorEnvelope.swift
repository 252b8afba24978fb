import Foundation

/// mintfax's error body (API §7.1): `error`, `message`, `action`, `docs`, `request_id`, `context`.
///
/// Built from any body without failing: a body that is not an envelope (a proxy's HTML page, an empty
/// body, truncated JSON) gives the code `http_<status>` and a generic message; the body itself is
/// never quoted.
public struct MintfaxErrorEnvelope: Sendable, Hashable {
    /// mintfax's stable machine code (`validation_failed`, `insufficient_balance`, …), or `http_<status>`.
    public var code: String
    /// mintfax's human text, or a generic sentence naming the status.
    public var message: String
    /// mintfax's suggested next step (`fix_request`, `wait_and_retry`, …), when given.
    public var action: String?
    /// The request id (`req_…`), when given; the same as the `X-Request-Id` header.
    public var requestID: String?
    /// Extra detail, when given; validation failures list per-field messages in `context.errors`.
    public var context: [String: JSONValue]?

    public init(
        code: String,
        message: String,
        action: String? = nil,
        requestID: String? = nil,
        context: [String: JSONValue]? = nil
    ) {
        self.code = code
        self.message = message
        self.action = action
        self.requestID = requestID
        self.context = context
    }

    /// Reads the envelope from the body of a response with HTTP `status`; never fails.
    public init(body: [UInt8], status: Int) {
        let object = JSONValue.decode(body)?.objectValue ?? [:]
        let code = object["error"]?.stringValue.flatMap { $0.isEmpty ? nil : $0 }
        self.init(
            code: code ?? "http_\(status)",
            message: object["message"]?.stringValue ?? "mintfax answered HTTP \(status) without a readable error body.",
            action: object["action"]?.stringValue,
            requestID: object["request_id"]?.stringValue,
            context: object["context"]?.objectValue
        )
    }
}

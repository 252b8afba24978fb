/// What went wrong, as carried in a status event's `error`:
/// `{ "code", "message", "retryable", "http_status" }` (DESIGN §5).
public struct ErrorInfo: Sendable, Hashable, Codable {
    /// A stable machine code: mintfax's `error` (e.g. `validation_failed`), `http_<status>` when mintfax
    /// named none, a transport failure (`connect_failed`, …) or a faxd code (`missing_field`, …).
    public var code: String
    /// One human sentence; it may change between releases, match on `code`.
    public var message: String
    /// Whether faxd will try again (or would, within its retry budget).
    public var retryable: Bool
    /// The HTTP status mintfax answered with; nil when there was no answer or no request.
    public var httpStatus: Int?

    public init(code: String, message: String, retryable: Bool, httpStatus: Int?) {
        self.code = code
        self.message = message
        self.retryable = retryable
        self.httpStatus = httpStatus
    }

    private enum CodingKeys: String, CodingKey {
        case code, message, retryable
        case httpStatus = "http_status"
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        code = try container.decode(String.self, forKey: .code)
        message = try container.decode(String.self, forKey: .message)
        retryable = try container.decode(Bool.self, forKey: .retryable)
        httpStatus = try container.decodeIfPresent(Int.self, forKey: .httpStatus)
    }

    /// Encodes every field; `http_status` is `null` when absent.
    /// The object `encode(to:)` writes, keys sorted (`JSONWriter`).
    public func write(to json: inout JSONWriter) {
        json.beginObject()
        json.field("code", code)
        json.field("http_status", httpStatus)
        json.field("message", message)
        json.field("retryable", retryable)
        json.endObject()
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(code, forKey: .code)
        try container.encode(message, forKey: .message)
        try container.encode(retryable, forKey: .retryable)
        try container.encode(httpStatus, forKey: .httpStatus)
    }
}

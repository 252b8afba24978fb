import Foundation

/// mintfax's answer to `POST /v1/faxes`, reduced to what classification needs.
public struct SubmissionResponse: Sendable, Hashable {
    /// The HTTP status.
    public let status: Int
    /// On a 2xx answer, the body's `id` (`fax_…`) when it has one.
    public let faxID: String?
    /// On any other answer, mintfax's error envelope (or `http_<status>` when the body is none).
    public let error: MintfaxErrorEnvelope?
    /// The `Retry-After` header as a duration; nil when absent or not whole seconds.
    public let retryAfter: Duration?
    /// Whether mintfax flagged the answer as an idempotent replay of an earlier request.
    public let replayed: Bool

    /// - Parameters:
    ///   - status: The HTTP status.
    ///   - body: The response body (JSON).
    ///   - retryAfter: The `Retry-After` header's value: whole seconds, as mintfax sends it (API §6);
    ///     an HTTP date or anything else is ignored.
    ///   - replayed: Whether the response carries mintfax's replay flag header.
    public init(status: Int, body: [UInt8], retryAfter: String? = nil, replayed: Bool = false) {
        self.status = status
        if (200..<300).contains(status) {
            faxID = JSONValue.decode(body)?.objectValue?["id"]?.stringValue.flatMap { $0.isEmpty ? nil : $0 }
            error = nil
        } else {
            faxID = nil
            error = MintfaxErrorEnvelope(body: body, status: status)
        }
        self.retryAfter = retryAfter.flatMap(Self.wholeSeconds)
        self.replayed = replayed
    }

    /// A header value of whole seconds (`34`, ` 34 `) as a duration; nil for anything else.
    public static func wholeSeconds(_ headerValue: String) -> Duration? {
        let digits = headerValue.trimmingCharacters(in: .whitespaces)
        guard (1...9).contains(digits.utf8.count),
            digits.utf8.allSatisfy({ (UInt8(ascii: "0")...UInt8(ascii: "9")).contains($0) }), let seconds = Int(digits)
        else { return nil }
        return .seconds(seconds)
    }
}

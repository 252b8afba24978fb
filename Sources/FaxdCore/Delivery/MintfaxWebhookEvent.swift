public import Foundation

/// A mintfax Gen C webhook delivery body (API.md §9.2): `{id, type, created, data: {object}}`.
///
/// `fax.*` events carry the fax as it was when the event happened; other types (`balance.*`, types
/// added later) are read without their object so the ingress can acknowledge and ignore them.
public struct MintfaxWebhookEvent: Sendable, Hashable {
    /// `evt_…`, equal to the `webhook-id` header and stable across redeliveries.
    public var id: String
    /// `fax.queued`, `fax.sending`, `fax.delivered`, `fax.failed`, `balance.low`, …
    public var type: String
    /// When mintfax produced the event.
    public var created: Date
    /// The fax snapshot of a `fax.*` event; nil for other types.
    public var fax: FaxSnapshot?

    public init(id: String, type: String, created: Date, fax: FaxSnapshot?) {
        self.id = id
        self.type = type
        self.created = created
        self.fax = fax
    }

    /// Why a body is not a webhook event faxd can read.
    public struct ParseError: Error, Sendable, Hashable, CustomStringConvertible {
        public var reason: String
        public var description: String { reason }
    }

    /// Parses a delivery body.
    /// - Throws: `ParseError` naming what is missing or malformed (never echoing the body).
    public static func parse(_ body: [UInt8]) throws(ParseError) -> MintfaxWebhookEvent {
        let envelope: Envelope
        do {
            envelope = try JSONDecoder().decode(Envelope.self, from: Data(body))
        } catch {
            throw ParseError(reason: "not a mintfax event envelope: \(Self.describe(error))")
        }
        var event = MintfaxWebhookEvent(
            id: envelope.id,
            type: envelope.type,
            created: Date(timeIntervalSince1970: TimeInterval(envelope.created)),
            fax: nil
        )
        guard envelope.type.hasPrefix("fax.") else { return event }
        do {
            event.fax = try JSONDecoder().decode(FaxEnvelope.self, from: Data(body)).data.object
        } catch {
            throw ParseError(reason: "\(envelope.type) without a readable fax: \(Self.describe(error))")
        }
        return event
    }

    private struct Envelope: Decodable {
        var id: String
        var type: String
        var created: Int64
    }

    private struct FaxEnvelope: Decodable {
        struct Payload: Decodable { var object: FaxSnapshot }
        var data: Payload
    }

    /// A decoding error as a field path and a reason.
    private static func describe(_ error: any Error) -> String {
        func path(_ keys: [any CodingKey]) -> String {
            keys.map { $0.intValue.map { "[\($0)]" } ?? $0.stringValue }.joined(separator: ".")
        }
        switch error {
        case DecodingError.keyNotFound(let key, let context): return "`\(path(context.codingPath + [key]))` is missing"
        case DecodingError.typeMismatch(_, let context), DecodingError.valueNotFound(_, let context):
            return "`\(path(context.codingPath))` has the wrong type"
        case DecodingError.dataCorrupted(let context):
            return context.codingPath.isEmpty ? "not JSON" : "`\(path(context.codingPath))`: \(context.debugDescription)"
        default: return "unreadable"
        }
    }
}

public import FaxdCore

/// A mintfax answer decoded once, here: the response as it came (status and the rate-limit headers
/// the scheduler narrows to) and either the typed value of a 2xx or mintfax's error envelope.
///
/// A 2xx whose body is not the documented resource reads as the error `unreadable_response`, so a
/// caller never has to look at bytes.
public struct MintfaxAnswer<Value: Sendable>: Sendable {
    public enum Body: Sendable {
        case value(Value)
        case error(MintfaxErrorEnvelope)
    }

    /// Status, headers and the raw body.
    public let response: MintfaxResponse
    public let body: Body

    public init(response: MintfaxResponse, body: Body) {
        self.response = response
        self.body = body
    }

    /// The value of a 2xx, nil otherwise.
    public var value: Value? {
        if case .value(let value) = body { return value }
        return nil
    }

    /// Decodes `response`: a 2xx with `decode`, anything else as an error envelope.
    static func decoding(_ response: MintfaxResponse, _ decode: ([UInt8]) -> Value?) -> MintfaxAnswer {
        guard (200..<300).contains(response.status) else {
            return MintfaxAnswer(response: response, body: .error(MintfaxErrorEnvelope(body: response.body, status: response.status)))
        }
        guard let value = decode(response.body) else {
            return MintfaxAnswer(
                response: response,
                body: .error(
                    MintfaxErrorEnvelope(
                        code: "unreadable_response",
                        message: "mintfax answered HTTP \(response.status) with a body that is not the documented resource."
                    )
                )
            )
        }
        return MintfaxAnswer(response: response, body: .value(value))
    }
}

/// One page of `GET /v1/faxes`: the faxes, newest first.
public struct FaxList: Sendable, Decodable {
    public var faxes: [FaxSnapshot]
    /// The cursor of the next page; nil on the last.
    public var nextCursor: String?

    enum CodingKeys: String, CodingKey {
        case faxes = "data"
        case nextCursor = "next_cursor"
    }
}

/// `GET /v1/environment/balance`: cents available and held.
public struct MintfaxBalance: Sendable, Decodable, Equatable {
    public var available: Int
    public var held: Int

    public init(available: Int, held: Int) {
        self.available = available
        self.held = held
    }
}

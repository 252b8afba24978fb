/// A UUID is encoded as its lower-case canonical string; decoding accepts either case.
extension UUIDv5: Codable {
    public init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        let text = try container.decode(String.self)
        guard let uuid = UUIDv5(text) else {
            throw DecodingError.dataCorruptedError(in: container, debugDescription: "Not a canonical UUID.")
        }
        self = uuid
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(description)
    }
}

/// One page of `GET /v1/faxes`: `{data: [FaxResource], next_cursor: string|null, has_more: bool}`.
struct FaxPage: Sendable, Encodable {
    var data: [FaxRecord]
    var nextCursor: String?
    var hasMore: Bool

    enum CodingKeys: String, CodingKey {
        case data
        case nextCursor = "next_cursor"
        case hasMore = "has_more"
    }

    func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(data, forKey: .data)
        try container.encode(nextCursor, forKey: .nextCursor)
        try container.encode(hasMore, forKey: .hasMore)
    }
}

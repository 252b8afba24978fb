/// A list answer: `{"data": [...]}`.
struct DataList<Element: Encodable & Sendable>: Encodable, Sendable {
    let data: [Element]
}

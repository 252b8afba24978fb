/// A fax in `GET /_sandbox/faxes`: the `FaxResource` fields plus `environment` (its name).
struct SandboxFaxEntry: Sendable, Encodable {
    let environment: String
    let fax: FaxRecord

    private enum CodingKeys: String, CodingKey {
        case environment
    }

    func encode(to encoder: any Encoder) throws {
        try fax.encode(to: encoder)
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(environment, forKey: .environment)
    }
}

/// The answer of `POST /v1/webhooks`: `{data: {id, url, is_active, created_at, updated_at,
/// events, description}, signing_secret: "whsec_…"}` — the only time the secret is shown.
struct WebhookEndpointCreated: Sendable, Encodable {
    let data: WebhookEndpoint

    enum CodingKeys: String, CodingKey {
        case data
        case signingSecret = "signing_secret"
    }

    func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(data, forKey: .data)
        try container.encode(data.secret.encoded, forKey: .signingSecret)
    }
}

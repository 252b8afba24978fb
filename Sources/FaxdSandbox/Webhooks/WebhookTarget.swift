import FaxdMintfax

/// Where one event goes: a URL and the secret its deliveries are signed with.
struct WebhookTarget: Sendable {
    let url: String
    let secret: WebhookSecret
    /// The registered endpoint, or `nil` for a fax's own `webhook_url`.
    let endpointID: String?
}

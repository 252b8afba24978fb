public import FaxdMintfax

/// A webhook endpoint registered from start-up.
public struct WebhookEndpointConfiguration: Sendable {
    /// The absolute `http` or `https` URL deliveries are posted to, at most 2048 characters.
    public var url: String
    /// The endpoint's signing secret, or `nil` to use the environment's ``EnvironmentConfiguration/webhookSecret``.
    public var secret: WebhookSecret?
    /// The event types delivered (`fax.queued`, `fax.sending`, `fax.delivered`, `fax.failed`),
    /// or `nil` for all.
    public var events: [String]?

    /// Creates an endpoint configuration.
    public init(url: String, secret: WebhookSecret? = nil, events: [String]? = nil) {
        self.url = url
        self.secret = secret
        self.events = events
    }

    /// Checks the URL and event names.
    func validate(path: String) throws(SandboxConfigurationError) {
        guard WebhookURL.isValid(url) else {
            throw SandboxConfigurationError("\(path).url must be an absolute http or https URL of at most 2048 characters")
        }
        for event in events ?? [] where !WebhookEventType.allowedNames.contains(event) {
            throw SandboxConfigurationError(
                "\(path).events: '\(event)' is not one of \(WebhookEventType.allowedNames.sorted().joined(separator: ", "))"
            )
        }
    }
}

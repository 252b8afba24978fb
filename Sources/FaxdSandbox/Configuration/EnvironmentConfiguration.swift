public import FaxdMintfax

/// One sandbox environment: an API key with its own faxes, balance, webhook endpoints and rate limit.
public struct EnvironmentConfiguration: Sendable {
    /// A short name shown in introspection answers and logs instead of the key: 1–64 of
    /// `[A-Za-z0-9._-]`.
    public var name: String
    /// The API key: `mfx_test_` + 24 ASCII letters or digits, or `mfx_live_` + 24 when ``live``.
    public var apiKey: String
    /// Whether this environment plays a live one: its key must then start `mfx_live_` and its
    /// balance reports `"type": "live"`. Default `false`.
    public var live: Bool
    /// The starting available balance, in cents. Default `5000`. Must be `≥ 0`.
    public var balanceCents: Int
    /// Requests allowed per sliding one-minute window. Default `60`. Must be `≥ 1`.
    public var rateLimitPerMinute: Int
    /// The environment's signing secret: signs deliveries to a fax's own `webhook_url` and to
    /// configured endpoints that name no secret of their own.
    public var webhookSecret: WebhookSecret
    /// Endpoints registered from start-up, in order. Default none.
    public var webhookEndpoints: [WebhookEndpointConfiguration]
    /// Zero-footprint retention (API.md §10.2): once a fax is delivered or failed (and
    /// ``zeroFootprintGraceSeconds`` passed), `GET /v1/faxes/{id}` answers only its id, status and
    /// timestamps, `GET /v1/faxes` leaves it out (a tag search finds nothing), and a resend answers
    /// 410. Webhooks already under way keep the full snapshot. Default `false`.
    public var zeroFootprint: Bool
    /// With ``zeroFootprint``: how long a finished fax is still whole, in seconds of the wall clock
    /// (API.md: "a short window measured in minutes lets you fetch the result first"). Default `0`.
    public var zeroFootprintGraceSeconds: Double

    /// Creates an environment; every parameter defaults as its property documents.
    public init(
        name: String,
        apiKey: String,
        live: Bool = false,
        balanceCents: Int = 5000,
        rateLimitPerMinute: Int = 60,
        webhookSecret: WebhookSecret,
        webhookEndpoints: [WebhookEndpointConfiguration] = [],
        zeroFootprint: Bool = false,
        zeroFootprintGraceSeconds: Double = 0
    ) {
        self.name = name
        self.apiKey = apiKey
        self.live = live
        self.balanceCents = balanceCents
        self.rateLimitPerMinute = rateLimitPerMinute
        self.webhookSecret = webhookSecret
        self.webhookEndpoints = webhookEndpoints
        self.zeroFootprint = zeroFootprint
        self.zeroFootprintGraceSeconds = zeroFootprintGraceSeconds
    }

    /// The last four characters of the key: the most of it that is ever shown.
    public var keySuffix: String { String(apiKey.suffix(4)) }

    /// Checks the rules stated on the properties.
    ///
    /// - Parameter path: this environment's place in the config file, for messages.
    func validate(path: String) throws(SandboxConfigurationError) {
        let nameCharacters = name.unicodeScalars.allSatisfy {
            $0.isASCII && ($0.properties.isAlphabetic || ("0"..."9").contains($0) || "._-".unicodeScalars.contains($0))
        }
        guard (1...64).contains(name.count), nameCharacters else {
            throw SandboxConfigurationError("\(path).name must be 1–64 of A-Z a-z 0-9 . _ -")
        }
        guard let kind = APIKey.kind(of: apiKey) else {
            throw SandboxConfigurationError("\(path).api_key must be mfx_test_ or mfx_live_ followed by 24 letters or digits")
        }
        switch (kind, live) {
        case (.live, false):
            throw SandboxConfigurationError("\(path).api_key is a mfx_live_ key: set live: true to play a live environment")
        case (.test, true):
            throw SandboxConfigurationError("\(path).live is true but api_key is a mfx_test_ key")
        default:
            break
        }
        guard balanceCents >= 0 else { throw SandboxConfigurationError("\(path).balance_cents must not be negative") }
        guard rateLimitPerMinute >= 1 else { throw SandboxConfigurationError("\(path).rate_limit_per_minute must be at least 1") }
        guard zeroFootprintGraceSeconds.isFinite, zeroFootprintGraceSeconds >= 0 else {
            throw SandboxConfigurationError("\(path).zero_footprint_grace_seconds must not be negative")
        }
        for (index, endpoint) in webhookEndpoints.enumerated() {
            try endpoint.validate(path: "\(path).webhook_endpoints[\(index)]")
        }
    }
}

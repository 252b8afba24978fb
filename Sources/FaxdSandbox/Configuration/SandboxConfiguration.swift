import FaxdMintfax

/// Everything the sandbox is started with. The defaults are the demo set-up that `faxd sandbox`
/// runs without a config file (``demo``); a YAML file can describe the same (see
/// `SandboxConfiguration+YAML.swift` and `docs/sandbox.md`).
public struct SandboxConfiguration: Sendable {
    /// How a fax's own `webhook_url` combines with the environment's registered endpoints.
    public enum FaxWebhookURLMode: String, Sendable, CaseIterable {
        /// The fax's URL replaces the registered endpoints for that fax's events (mintfax Gen C:
        /// "per-fax `webhook_url` overrides the endpoint(s)").
        case override
        /// The fax's URL receives its events in addition to the registered endpoints.
        case supplement
    }

    /// The address to listen on. Default `127.0.0.1`.
    public var host: String
    /// The TCP port; `0` lets the kernel choose. Default `8089`.
    public var port: Int
    /// The multiplier for simulated durations: a lifecycle step takes `timeScale` seconds and the
    /// webhook retry schedule (0 s, 10 s, 100 s, 17 min) is multiplied by it. Default `1.0` (a
    /// delivered fax takes about three seconds); tests use `0.001`. Must be in `(0, 1000]`.
    public var timeScale: Double
    /// The price of one page, in cents: the hold at submission is one page's price and a
    /// delivery captures `pages × price`. Default `6` (USD 0.06). Must be `≥ 0`.
    public var pricePerPageCents: Int
    /// How a fax's own `webhook_url` combines with registered endpoints. Default ``FaxWebhookURLMode/override``.
    public var faxWebhookURLMode: FaxWebhookURLMode
    /// The requests per minute allowed to requests without a known API key (counted together,
    /// so that 401 answers carry rate-limit headers too). Default `60`.
    public var unauthenticatedRateLimitPerMinute: Int
    /// The environments, each reached with its own API key; at least one, names and keys unique.
    public var environments: [EnvironmentConfiguration]
    /// Faults injected from start-up (and after every `POST /_sandbox/reset`). Default none.
    public var faults: FaultConfiguration

    /// Creates a configuration; every parameter defaults as its property documents.
    public init(
        host: String = "127.0.0.1",
        port: Int = 8089,
        timeScale: Double = 1.0,
        pricePerPageCents: Int = 6,
        faxWebhookURLMode: FaxWebhookURLMode = .override,
        unauthenticatedRateLimitPerMinute: Int = 60,
        environments: [EnvironmentConfiguration] = SandboxConfiguration.demoEnvironments,
        faults: FaultConfiguration = FaultConfiguration()
    ) {
        self.host = host
        self.port = port
        self.timeScale = timeScale
        self.pricePerPageCents = pricePerPageCents
        self.faxWebhookURLMode = faxWebhookURLMode
        self.unauthenticatedRateLimitPerMinute = unauthenticatedRateLimitPerMinute
        self.environments = environments
        self.faults = faults
    }

    /// The demo set-up: ``demoEnvironments`` and every other setting at its default.
    public static let demo = SandboxConfiguration()

    /// Three sandbox environments with fixed keys and secrets, so demos and documentation can
    /// name them: `acme` (`mfx_test_demoacme0000000000000001`), `globex`
    /// (`mfx_test_demoglobex00000000000002`) and `initech` (`mfx_test_demoinitech0000000000003`),
    /// each with 5000 cents and 60 requests per minute.
    public static let demoEnvironments: [EnvironmentConfiguration] = [
        EnvironmentConfiguration(
            name: "acme",
            apiKey: "mfx_test_demoacme0000000000000001",
            webhookSecret: WebhookSecret("whsec_ZmF4ZC1zYW5kYm94LWRlbW8tYWNtZS0t")!
        ),
        EnvironmentConfiguration(
            name: "globex",
            apiKey: "mfx_test_demoglobex00000000000002",
            webhookSecret: WebhookSecret("whsec_ZmF4ZC1zYW5kYm94LWRlbW8tZ2xvYmV4")!
        ),
        EnvironmentConfiguration(
            name: "initech",
            apiKey: "mfx_test_demoinitech0000000000003",
            webhookSecret: WebhookSecret("whsec_ZmF4ZC1zYW5kYm94LWRlbW8taW5pdGVj")!
        ),
    ]

    /// Checks every rule stated on the properties, on the environments and on the faults.
    ///
    /// - Throws: ``SandboxConfigurationError`` naming the first offending setting.
    public func validate() throws(SandboxConfigurationError) {
        guard !host.isEmpty else { throw SandboxConfigurationError("host must not be empty") }
        guard (0...65_535).contains(port) else { throw SandboxConfigurationError("port must be between 0 and 65535, got \(port)") }
        guard timeScale.isFinite, timeScale > 0, timeScale <= 1000 else {
            throw SandboxConfigurationError("time_scale must be greater than 0 and at most 1000, got \(timeScale)")
        }
        guard pricePerPageCents >= 0 else {
            throw SandboxConfigurationError("price_per_page_cents must not be negative, got \(pricePerPageCents)")
        }
        guard unauthenticatedRateLimitPerMinute >= 1 else {
            throw SandboxConfigurationError(
                "unauthenticated_rate_limit_per_minute must be at least 1, got \(unauthenticatedRateLimitPerMinute)"
            )
        }
        guard !environments.isEmpty else { throw SandboxConfigurationError("environments must list at least one environment") }
        var names: Set<String> = []
        var keys: Set<String> = []
        for (index, environment) in environments.enumerated() {
            try environment.validate(path: "environments[\(index)]")
            guard names.insert(environment.name).inserted else {
                throw SandboxConfigurationError("environments[\(index)].name '\(environment.name)' is used twice")
            }
            guard keys.insert(environment.apiKey).inserted else {
                throw SandboxConfigurationError("environments[\(index)].api_key is used twice")
            }
        }
        try faults.validate(path: "faults", environmentNames: names)
    }
}

import Foundation

/// The live state of one environment: its faxes, balance, endpoints, idempotency records and
/// rate-limit window.
struct SandboxEnvironment: Sendable {
    let configuration: EnvironmentConfiguration
    var balance: Balance
    var rateLimiter: SlidingWindowRateLimiter
    var idempotency = IdempotencyStore()
    var faxes: [String: FaxRecord] = [:]
    /// Fax ids in creation order, oldest first; a fax's ``FaxRecord/sequence`` is its index.
    var faxOrder: [String] = []
    /// The ``FaxRecord/sequence``s of the faxes with each tag (`key`, NUL, `value`), oldest first: a
    /// lookup by tag reads its faxes, not every fax (a fax's tags never change).
    var faxSequencesByTag: [String: [Int]] = [:]
    var endpoints: [WebhookEndpoint]

    /// The environment as configured, with nothing sent yet.
    init(configuration: EnvironmentConfiguration, now: Date) {
        self.configuration = configuration
        self.balance = Balance(available: configuration.balanceCents)
        self.rateLimiter = SlidingWindowRateLimiter(limit: configuration.rateLimitPerMinute)
        self.endpoints = configuration.webhookEndpoints.map { endpoint in
            WebhookEndpoint(
                id: Identifier.webhookEndpoint(),
                url: endpoint.url,
                secret: endpoint.secret ?? configuration.webhookSecret,
                events: endpoint.events,
                description: nil,
                createdAt: now
            )
        }
    }

    /// What identifies the environment to handlers and logs, without its key.
    func handle(index: Int) -> EnvironmentHandle {
        EnvironmentHandle(index: index, name: configuration.name, keySuffix: configuration.keySuffix)
    }
}

extension SandboxEnvironment {
    /// The key of a tag in ``faxSequencesByTag``.
    static func tagKey(_ key: String, _ value: String) -> String { key + "\u{0}" + value }
}

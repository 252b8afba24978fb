/// Faults the sandbox injects, from the config file's `faults:` section or `POST /_sandbox/faults`.
///
/// The JSON and YAML form uses the snake_case names in ``CodingKeys``; every field is optional
/// and defaults as its property documents. Random choices come from a generator seeded with
/// ``seed``, so a run with the same seed and the same request sequence makes the same choices.
public struct FaultConfiguration: Sendable, Equatable, Codable {
    /// Extra time before a `/v1` request is handled: a uniformly random whole number of
    /// milliseconds in `minMilliseconds...maxMilliseconds` (equal bounds give a fixed delay).
    public struct Latency: Sendable, Equatable, Codable {
        /// The shortest delay, in milliseconds, `≥ 0`.
        public var minMilliseconds: Int
        /// The longest delay, in milliseconds, `≥ minMilliseconds` and at most 60000.
        public var maxMilliseconds: Int

        /// Creates a latency range; `max` defaults to `min` (a fixed delay).
        public init(minMilliseconds: Int, maxMilliseconds: Int? = nil) {
            self.minMilliseconds = minMilliseconds
            self.maxMilliseconds = maxMilliseconds ?? minMilliseconds
        }

        enum CodingKeys: String, CodingKey {
            case minMilliseconds = "min_ms"
            case maxMilliseconds = "max_ms"
        }

        public init(from decoder: any Decoder) throws {
            let container = try decoder.container(keyedBy: CodingKeys.self)
            let minimum = try container.decodeIfPresent(Int.self, forKey: .minMilliseconds) ?? 0
            self.init(minMilliseconds: minimum, maxMilliseconds: try container.decodeIfPresent(Int.self, forKey: .maxMilliseconds))
        }
    }

    /// Every request of one environment answered `429 rate_limit_exceeded` for a while.
    public struct RateLimitStorm: Sendable, Equatable, Codable {
        /// The environment's ``EnvironmentConfiguration/name``.
        public var environment: String
        /// How long the storm lasts, in seconds, counted from when the faults are applied
        /// (start-up, reset, or the `POST /_sandbox/faults` request). Must be `> 0`.
        public var seconds: Double

        /// Creates a storm.
        public init(environment: String, seconds: Double) {
            self.environment = environment
            self.seconds = seconds
        }
    }

    /// The seed of the generator behind every random choice. Default `0`.
    public var seed: UInt64
    /// Delay added to every `/v1` request, or `nil` for none. Applied after authentication,
    /// rate limiting and the idempotency claim, so a slow request stays "in progress" while it
    /// waits. Default `nil`.
    public var latency: Latency?
    /// The share, `0...1`, of `POST /v1/faxes` requests answered with a server error chosen
    /// from ``serverErrorStatuses``, decided before any state changes. Default `0`.
    public var serverErrorRate: Double
    /// The statuses (500–599) a server error is drawn from, uniformly. Default `[500, 503]`.
    public var serverErrorStatuses: [Int]
    /// The share, `0...1`, of `POST /v1/faxes` requests whose connection is closed without an
    /// answer, decided before any state changes. Default `0`.
    public var dropConnectionRate: Double
    /// Environments answered only with 429 for a number of seconds. Default none.
    public var rateLimitStorms: [RateLimitStorm]
    /// The share, `0...1`, of lookups — `GET /v1/faxes` and `GET /v1/faxes/{id}` — answered with a
    /// server error chosen from ``serverErrorStatuses``. Default `0`.
    public var lookupErrorRate: Double

    /// Creates a fault configuration; every parameter defaults as its property documents.
    public init(
        seed: UInt64 = 0,
        latency: Latency? = nil,
        serverErrorRate: Double = 0,
        serverErrorStatuses: [Int] = [500, 503],
        dropConnectionRate: Double = 0,
        rateLimitStorms: [RateLimitStorm] = [],
        lookupErrorRate: Double = 0
    ) {
        self.seed = seed
        self.latency = latency
        self.serverErrorRate = serverErrorRate
        self.serverErrorStatuses = serverErrorStatuses
        self.dropConnectionRate = dropConnectionRate
        self.rateLimitStorms = rateLimitStorms
        self.lookupErrorRate = lookupErrorRate
    }

    enum CodingKeys: String, CodingKey {
        case seed
        case latency
        case serverErrorRate = "server_error_rate"
        case serverErrorStatuses = "server_error_statuses"
        case dropConnectionRate = "drop_connection_rate"
        case rateLimitStorms = "rate_limit_storms"
        case lookupErrorRate = "lookup_error_rate"
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        self.init(
            seed: try container.decodeIfPresent(UInt64.self, forKey: .seed) ?? 0,
            latency: try container.decodeIfPresent(Latency.self, forKey: .latency),
            serverErrorRate: try container.decodeIfPresent(Double.self, forKey: .serverErrorRate) ?? 0,
            serverErrorStatuses: try container.decodeIfPresent([Int].self, forKey: .serverErrorStatuses) ?? [500, 503],
            dropConnectionRate: try container.decodeIfPresent(Double.self, forKey: .dropConnectionRate) ?? 0,
            rateLimitStorms: try container.decodeIfPresent([RateLimitStorm].self, forKey: .rateLimitStorms) ?? [],
            lookupErrorRate: try container.decodeIfPresent(Double.self, forKey: .lookupErrorRate) ?? 0
        )
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(seed, forKey: .seed)
        try container.encode(latency, forKey: .latency)
        try container.encode(serverErrorRate, forKey: .serverErrorRate)
        try container.encode(serverErrorStatuses, forKey: .serverErrorStatuses)
        try container.encode(dropConnectionRate, forKey: .dropConnectionRate)
        try container.encode(rateLimitStorms, forKey: .rateLimitStorms)
        try container.encode(lookupErrorRate, forKey: .lookupErrorRate)
    }

    /// Checks the ranges stated on the properties.
    ///
    /// - Parameters:
    ///   - path: where these faults sit in the config file, for messages.
    ///   - environmentNames: the configured environments, which storms must name.
    func validate(path: String, environmentNames: Set<String>) throws(SandboxConfigurationError) {
        if let latency {
            guard latency.minMilliseconds >= 0, latency.maxMilliseconds >= latency.minMilliseconds, latency.maxMilliseconds <= 60_000 else {
                throw SandboxConfigurationError("\(path).latency needs 0 ≤ min_ms ≤ max_ms ≤ 60000")
            }
        }
        guard (0...1).contains(serverErrorRate) else {
            throw SandboxConfigurationError("\(path).server_error_rate must be between 0 and 1")
        }
        guard (0...1).contains(lookupErrorRate) else {
            throw SandboxConfigurationError("\(path).lookup_error_rate must be between 0 and 1")
        }
        guard (0...1).contains(dropConnectionRate) else {
            throw SandboxConfigurationError("\(path).drop_connection_rate must be between 0 and 1")
        }
        guard !serverErrorStatuses.isEmpty, serverErrorStatuses.allSatisfy({ (500...599).contains($0) }) else {
            throw SandboxConfigurationError("\(path).server_error_statuses must list statuses between 500 and 599")
        }
        for (index, storm) in rateLimitStorms.enumerated() {
            guard environmentNames.contains(storm.environment) else {
                throw SandboxConfigurationError("\(path).rate_limit_storms[\(index)].environment '\(storm.environment)' is not configured")
            }
            guard storm.seconds.isFinite, storm.seconds > 0 else {
                throw SandboxConfigurationError("\(path).rate_limit_storms[\(index)].seconds must be greater than 0")
            }
        }
    }
}

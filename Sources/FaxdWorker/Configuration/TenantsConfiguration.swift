public import FaxdCore
import Foundation
import Yams

/// The tenants file (DESIGN §7): who may send, with which key references and limits.
public struct TenantsConfiguration: Codable, Sendable, Equatable {
    public var tenants: [Tenant] = []
    /// The shared workspace: its key is used by the tenants marked `shared: true` and, unlisted, by
    /// the ids its `members` name, never by any other tenant.
    public var sharedWorkspace: Workspace?

    public init(tenants: [Tenant] = [], sharedWorkspace: Workspace? = nil) {
        self.tenants = tenants
        self.sharedWorkspace = sharedWorkspace
    }

    public struct Tenant: Codable, Sendable, Equatable {
        public var id: String
        /// The key of the tenant's own workspace; nil for a tenant that is `shared`.
        public var apiKey: SecretReference?
        /// True: the tenant sends with the shared workspace's key (its own limits still apply).
        public var shared: Bool?
        /// True: the tenant's faxes carry protected health information; it can never use a shared
        /// key, not even once removed from the file while a `members` pattern would match it.
        public var phi: Bool?
        /// The webhook signing secrets: one reference, or a list during a rotation (every one is accepted).
        public var webhookSecret: SecretReferences?
        /// Requests per minute to mintfax with this tenant's key; default `dispatch.rate_limit_per_minute`.
        public var rateLimitPerMinute: Int?
        /// Jobs in flight at once; default `dispatch.max_in_flight_per_tenant`.
        public var maxInFlight: Int?
        /// The balance (cents) whose crossing publishes `usage.balance`; default `balance.threshold_cents`.
        public var balanceThresholdCents: Int?
        /// How long mintfax keeps the tenant's fax metadata: `standard` (the default) or
        /// `zero_footprint` (API.md §10.2), which must match the tenant's workspace.
        public var retention: TenantRetention?

        public init(
            id: String,
            apiKey: SecretReference?,
            shared: Bool? = nil,
            phi: Bool? = nil,
            webhookSecret: SecretReferences? = nil,
            rateLimitPerMinute: Int? = nil,
            maxInFlight: Int? = nil,
            balanceThresholdCents: Int? = nil,
            retention: TenantRetention? = nil
        ) {
            self.id = id
            self.apiKey = apiKey
            self.shared = shared
            self.phi = phi
            self.webhookSecret = webhookSecret
            self.rateLimitPerMinute = rateLimitPerMinute
            self.maxInFlight = maxInFlight
            self.balanceThresholdCents = balanceThresholdCents
            self.retention = retention
        }

        enum CodingKeys: String, CodingKey {
            case id, retention, shared, phi
            case apiKey = "api_key"
            case webhookSecret = "webhook_secret"
            case rateLimitPerMinute = "rate_limit_per_minute"
            case maxInFlight = "max_in_flight"
            case balanceThresholdCents = "balance_threshold_cents"
        }
    }

    public struct Workspace: Codable, Sendable, Equatable {
        public var apiKey: SecretReference
        /// Verifies deliveries to `/webhooks/mintfax` and to unlisted tenants' routes.
        public var webhookSecret: SecretReferences?
        /// The shared workspace's retention mode, as a tenant's `retention`. Default `standard`.
        public var retention: TenantRetention?
        /// Requests per minute mintfax allows the shared key, for all its tenants on all workers
        /// together; default `dispatch.rate_limit_per_minute`.
        public var rateLimitPerMinute: Int?
        /// Unlisted tenant ids that use the shared key: exact ids, or patterns where `*` stands for
        /// any run of characters (`trial-*`). Default none: only tenants listed `shared: true` do.
        public var members: [String]?

        public init(
            apiKey: SecretReference,
            webhookSecret: SecretReferences? = nil,
            retention: TenantRetention? = nil,
            rateLimitPerMinute: Int? = nil,
            members: [String]? = nil
        ) {
            self.apiKey = apiKey
            self.webhookSecret = webhookSecret
            self.retention = retention
            self.rateLimitPerMinute = rateLimitPerMinute
            self.members = members
        }

        enum CodingKeys: String, CodingKey {
            case retention, members
            case apiKey = "api_key"
            case webhookSecret = "webhook_secret"
            case rateLimitPerMinute = "rate_limit_per_minute"
        }
    }

    enum CodingKeys: String, CodingKey {
        case tenants
        case sharedWorkspace = "shared_workspace"
    }

    /// `tenants.0.api_key`: array positions by number.
    static func path(_ codingPath: [any CodingKey]) -> String {
        codingPath.map { $0.intValue.map(String.init) ?? $0.stringValue }.joined(separator: ".")
    }

    /// Parses the tenants file: the rules of `validate`.
    public static func parse(yaml: String, source: String) throws(ConfigurationError) -> TenantsConfiguration {
        let parsed = try decode(TenantsConfiguration.self, yaml: yaml, source: source)
        var seen: Set<String> = []
        for (index, tenant) in parsed.tenants.enumerated() {
            try tenant.validate(source: source, path: "tenants.\(index)", sharedWorkspaceExists: parsed.sharedWorkspace != nil)
            guard seen.insert(tenant.id).inserted else {
                throw ConfigurationError(source: source, path: "tenants.\(index).id", reason: "tenant '\(tenant.id)' is listed twice")
            }
        }
        if let shared = parsed.sharedWorkspace {
            if let rate = shared.rateLimitPerMinute, rate < 1 {
                throw ConfigurationError(
                    source: source,
                    path: "shared_workspace.rate_limit_per_minute",
                    reason: "must be at least 1, got \(rate)"
                )
            }
            for (index, pattern) in (shared.members ?? []).enumerated() where !isValidID(pattern, allowing: "*") {
                throw ConfigurationError(
                    source: source,
                    path: "shared_workspace.members.\(index)",
                    reason: "must match [A-Za-z0-9._*-]{1,64}"
                )
            }
        }
        return parsed
    }

    /// Decodes `yaml`; an error names the key path and what is wrong with it.
    static func decode<Value: Decodable>(_ type: Value.Type, yaml: String, source: String) throws(ConfigurationError) -> Value {
        func key(_ path: [any CodingKey]) -> String? { path.last?.stringValue }
        _ = try YAMLDocument.compose(yaml, source: source)
        do {
            return try YAMLDecoder().decode(Value.self, from: yaml)
        } catch let DecodingError.keyNotFound(key, context) {
            throw ConfigurationError(source: source, path: Self.path(context.codingPath + [key]), reason: "missing")
        } catch let DecodingError.dataCorrupted(context) {
            throw ConfigurationError(source: source, path: Self.path(context.codingPath), reason: context.debugDescription)
        } catch let DecodingError.typeMismatch(_, context) {
            throw ConfigurationError(
                source: source,
                path: Self.path(context.codingPath),
                reason: key(context.codingPath).map { ["api_key", "webhook_secret"].contains($0) } == true
                    ? "expected { env: NAME } or { file: PATH }, never the secret itself" : "wrong type: \(context.debugDescription)"
            )
        } catch {
            throw ConfigurationError(source: source, path: "", reason: "\(error)")
        }
    }

    /// `[A-Za-z0-9._-]{1,64}`, plus the characters in `extra`.
    static func isValidID(_ id: String, allowing extra: String = "") -> Bool {
        (1...64).contains(id.utf8.count)
            && id.unicodeScalars.allSatisfy {
                $0.isASCII && (CharacterSet.alphanumerics.contains($0) || "._-\(extra)".unicodeScalars.contains($0))
            }
    }

    /// Whether `id` matches `pattern`, where `*` matches any run of characters (none included).
    ///
    /// By UTF-8 bytes, without allocating: a job of a shared workspace's member is looked up several
    /// times per run (docs/benchmarks.md). Tenant ids are ASCII (`isValidID`; jobs' `tenant_id` the
    /// same), where bytes and characters are one.
    static func matches(_ id: String, pattern: String) -> Bool {
        var id = id
        var pattern = pattern
        return id.withUTF8 { text in pattern.withUTF8 { pattern in wildcardMatch(text, pattern) } }
    }

    /// Glob matching with `*` only: on a mismatch, the last star takes one more byte and matching
    /// goes on after it (linear in practice, never worse than text × pattern).
    private static func wildcardMatch(_ text: UnsafeBufferPointer<UInt8>, _ pattern: UnsafeBufferPointer<UInt8>) -> Bool {
        let star = UInt8(ascii: "*")
        var (t, p) = (0, 0)
        var lastStar: (pattern: Int, text: Int)?
        while t < text.count {
            if p < pattern.count, pattern[p] == star {
                lastStar = (p, t)
                p += 1
            } else if p < pattern.count, pattern[p] == text[t] {
                t += 1
                p += 1
            } else if let retry = lastStar {
                lastStar = (retry.pattern, retry.text + 1)
                (t, p) = (retry.text + 1, retry.pattern + 1)
            } else {
                return false
            }
        }
        while p < pattern.count, pattern[p] == star { p += 1 }
        return p == pattern.count
    }
}

extension TenantsConfiguration.Tenant {
    /// A valid id (`[A-Za-z0-9._-]{1,64}`); exactly one of `api_key` and `shared: true`, the latter
    /// only with a shared workspace and never for a tenant with `phi` or `zero_footprint`;
    /// `max_in_flight` and `rate_limit_per_minute` at least 1, `balance_threshold_cents` at least 0.
    func validate(source: String, path: String, sharedWorkspaceExists: Bool) throws(ConfigurationError) {
        guard TenantsConfiguration.isValidID(id) else {
            throw ConfigurationError(source: source, path: "\(path).id", reason: "must match [A-Za-z0-9._-]{1,64}")
        }
        switch (apiKey, shared ?? false) {
        case (nil, false):
            throw ConfigurationError(
                source: source,
                path: "\(path).api_key",
                reason: "missing (or `shared: true` to send with the shared workspace's key)"
            )
        case (.some, true):
            throw ConfigurationError(
                source: source,
                path: "\(path).shared",
                reason: "a shared tenant sends with the shared workspace's key: remove its api_key"
            )
        case (nil, true):
            if phi == true || retention == .zeroFootprint {
                throw ConfigurationError(
                    source: source,
                    path: "\(path).shared",
                    reason:
                        "a tenant with \(phi == true ? "phi: true" : "retention: zero_footprint") has a workspace of its own and can never use the shared key"
                )
            }
            if !sharedWorkspaceExists {
                throw ConfigurationError(source: source, path: "\(path).shared", reason: "there is no shared_workspace to share")
            }
        case (.some, false):
            break
        }
        for (key, value, least) in [
            ("max_in_flight", maxInFlight, 1), ("rate_limit_per_minute", rateLimitPerMinute, 1),
            ("balance_threshold_cents", balanceThresholdCents, 0),
        ] {
            if let value, value < least {
                throw ConfigurationError(source: source, path: "\(path).\(key)", reason: "must be at least \(least), got \(value)")
            }
        }
    }

    /// Whether the tenant must never send with a shared key.
    var isProtected: Bool { phi == true || retention == .zeroFootprint }
}

public import FaxdCore
import Foundation
import Yams

/// The tenants file (DESIGN §7): who may send, with which key references and limits.
public struct TenantsConfiguration: Codable, Sendable, Equatable {
    public var tenants: [Tenant] = []
    /// Tenants not listed use this workspace's key, when set.
    public var sharedWorkspace: Workspace?

    public init(tenants: [Tenant] = [], sharedWorkspace: Workspace? = nil) {
        self.tenants = tenants
        self.sharedWorkspace = sharedWorkspace
    }

    public struct Tenant: Codable, Sendable, Equatable {
        public var id: String
        public var apiKey: SecretReference
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
            id: String, apiKey: SecretReference, webhookSecret: SecretReferences? = nil, rateLimitPerMinute: Int? = nil, maxInFlight: Int? = nil,
            balanceThresholdCents: Int? = nil, retention: TenantRetention? = nil
        ) {
            self.id = id
            self.apiKey = apiKey
            self.webhookSecret = webhookSecret
            self.rateLimitPerMinute = rateLimitPerMinute
            self.maxInFlight = maxInFlight
            self.balanceThresholdCents = balanceThresholdCents
            self.retention = retention
        }

        enum CodingKeys: String, CodingKey {
            case id, retention
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

        public init(apiKey: SecretReference, webhookSecret: SecretReferences? = nil, retention: TenantRetention? = nil) {
            self.apiKey = apiKey
            self.webhookSecret = webhookSecret
            self.retention = retention
        }

        enum CodingKeys: String, CodingKey {
            case retention
            case apiKey = "api_key"
            case webhookSecret = "webhook_secret"
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

    /// Parses the tenants file. Tenant ids must be unique and valid (`[A-Za-z0-9._-]{1,64}`);
    /// `max_in_flight` and `rate_limit_per_minute` at least 1, `balance_threshold_cents` at least 0.
    public static func parse(yaml: String, source: String) throws(ConfigurationError) -> TenantsConfiguration {
        let parsed: TenantsConfiguration
        do {
            parsed = try YAMLDecoder().decode(TenantsConfiguration.self, from: yaml)
        } catch let DecodingError.keyNotFound(key, context) {
            throw ConfigurationError(source: source, path: Self.path(context.codingPath + [key]), reason: "missing")
        } catch let DecodingError.dataCorrupted(context) {
            throw ConfigurationError(source: source, path: Self.path(context.codingPath), reason: context.debugDescription)
        } catch let DecodingError.typeMismatch(_, context) {
            throw ConfigurationError(source: source, path: Self.path(context.codingPath), reason: key(context.codingPath).map { ["api_key", "webhook_secret"].contains($0) } == true ? "expected { env: NAME } or { file: PATH }, never the secret itself" : "wrong type: \(context.debugDescription)")
        } catch {
            throw ConfigurationError(source: source, path: "", reason: "\(error)")
        }
        func key(_ path: [any CodingKey]) -> String? { path.last?.stringValue }
        var seen: Set<String> = []
        for (index, tenant) in parsed.tenants.enumerated() {
            let valid = (1...64).contains(tenant.id.utf8.count)
                && tenant.id.unicodeScalars.allSatisfy { $0.isASCII && (CharacterSet.alphanumerics.contains($0) || "._-".unicodeScalars.contains($0)) }
            guard valid else { throw ConfigurationError(source: source, path: "tenants.\(index).id", reason: "must match [A-Za-z0-9._-]{1,64}") }
            guard seen.insert(tenant.id).inserted else {
                throw ConfigurationError(source: source, path: "tenants.\(index).id", reason: "tenant '\(tenant.id)' is listed twice")
            }
            for (key, value, least) in [
                ("max_in_flight", tenant.maxInFlight, 1), ("rate_limit_per_minute", tenant.rateLimitPerMinute, 1),
                ("balance_threshold_cents", tenant.balanceThresholdCents, 0),
            ] {
                if let value, value < least {
                    throw ConfigurationError(source: source, path: "tenants.\(index).\(key)", reason: "must be at least \(least), got \(value)")
                }
            }
        }
        return parsed
    }
}

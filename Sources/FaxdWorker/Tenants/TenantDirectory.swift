public import FaxdCore
public import FaxdMintfax
import Foundation
import Logging
import Synchronization

/// The tenants' resolved credentials and limits, reloadable (SIGHUP) without a restart.
///
/// Secrets are read from their references (environment or file) at load; they live only in memory,
/// inside `MintfaxAPIKey`, which never prints them.
public final class TenantDirectory: Sendable {
    /// What the worker needs of a tenant.
    public struct Tenant: Sendable {
        public var id: String
        public var apiKey: MintfaxAPIKey
        public var rateLimitPerMinute: Int?
        public var maxInFlight: Int?
        /// Every secret that verifies the tenant's webhook deliveries (several during a rotation);
        /// empty when none is configured (its deliveries are refused).
        public var webhookSecrets: [WebhookSecret]
        public var balanceThresholdCents: Int?
        /// True when the tenant is not listed and uses the shared workspace's key.
        public var shared: Bool
        /// What mintfax keeps of the tenant's faxes.
        public var retention: TenantRetention
    }

    private struct Workspace: Sendable {
        var apiKey: MintfaxAPIKey
        var webhookSecrets: [WebhookSecret]
        var retention: TenantRetention
    }

    private struct Snapshot: Sendable {
        var tenants: [String: Tenant] = [:]
        var shared: Workspace?
    }

    private let snapshot = Mutex(Snapshot())
    /// The tenants file, or nil for tenants given in memory (`faxd dev`).
    private let path: String?
    private let inline: TenantsConfiguration?
    private let environment: [String: String]
    private let expectedKind: MintfaxAPIKey.Kind

    /// Loads the tenants file at `path`.
    /// - Throws: `ConfigurationError` for an unreadable file, a secret that cannot be resolved, a
    ///   value that is not a mintfax key, or a key of the wrong environment (`mfx_test_` ↔ sandbox,
    ///   `mfx_live_` ↔ live). The message names the tenant and the reference, never the secret.
    public init(path: String, environment: [String: String], mintfaxEnvironment: String) throws(ConfigurationError) {
        self.path = path
        self.inline = nil
        self.environment = environment
        self.expectedKind = mintfaxEnvironment == "live" ? .live : .sandbox
        try reload()
    }

    /// Tenants given in memory; their secrets still come from `environment`.
    public init(tenants: TenantsConfiguration, environment: [String: String], mintfaxEnvironment: String) throws(ConfigurationError) {
        self.path = nil
        self.inline = tenants
        self.environment = environment
        self.expectedKind = mintfaxEnvironment == "live" ? .live : .sandbox
        try reload()
    }

    /// Re-reads the file and the secrets; on any error the previous tenants stay in force.
    public func reload() throws(ConfigurationError) {
        let configuration: TenantsConfiguration
        var directory = "."
        if let path {
            let text: String
            do {
                text = try String(contentsOfFile: path, encoding: .utf8)
            } catch {
                throw ConfigurationError(source: path, path: "", reason: "cannot read the file (\(error.localizedDescription))")
            }
            configuration = try TenantsConfiguration.parse(yaml: text, source: path)
            directory = (path as NSString).deletingLastPathComponent
        } else {
            configuration = inline ?? TenantsConfiguration()
        }
        var next = Snapshot()
        for tenant in configuration.tenants {
            let owner = "tenant \(tenant.id)"
            next.tenants[tenant.id] = Tenant(
                id: tenant.id, apiKey: try resolveKey(tenant.apiKey, owner: owner, directory: directory),
                rateLimitPerMinute: tenant.rateLimitPerMinute, maxInFlight: tenant.maxInFlight,
                webhookSecrets: try resolveWebhookSecrets(tenant.webhookSecret, owner: owner, directory: directory),
                balanceThresholdCents: tenant.balanceThresholdCents, shared: false, retention: tenant.retention ?? .standard)
        }
        if let shared = configuration.sharedWorkspace {
            next.shared = Workspace(
                apiKey: try resolveKey(shared.apiKey, owner: "shared_workspace", directory: directory),
                webhookSecrets: try resolveWebhookSecrets(shared.webhookSecret, owner: "shared_workspace", directory: directory),
                retention: shared.retention ?? .standard)
        }
        snapshot.withLock { $0 = next }
    }

    /// Reads a secret; an error names its owner and key path (`tenant acme.webhook_secret`), never the value.
    private func resolve(_ reference: SecretReference, owner: String, key: String, directory: String) throws(ConfigurationError) -> String {
        do {
            return try reference.resolve(environment: environment, relativeTo: directory)
        } catch {
            throw ConfigurationError(source: source, path: "\(owner).\(key)", reason: "\(reference): \(error.reason)")
        }
    }

    private func resolveKey(_ reference: SecretReference, owner: String, directory: String) throws(ConfigurationError) -> MintfaxAPIKey {
        let text = try resolve(reference, owner: owner, key: "api_key", directory: directory)
        guard let key = MintfaxAPIKey(text) else {
            throw ConfigurationError(source: source, path: "\(owner).api_key", reason: "\(reference) does not hold a mintfax key (mfx_test_… or mfx_live_…)")
        }
        guard key.kind == expectedKind else {
            throw ConfigurationError(
                source: source, path: "\(owner).api_key",
                reason: "\(reference) holds a \(key.kind.rawValue) key but mintfax.environment expects \(expectedKind.rawValue) keys")
        }
        return key
    }

    private func resolveWebhookSecrets(_ references: SecretReferences?, owner: String, directory: String) throws(ConfigurationError) -> [WebhookSecret] {
        var secrets: [WebhookSecret] = []
        for reference in references?.references ?? [] {
            guard let secret = WebhookSecret(try resolve(reference, owner: owner, key: "webhook_secret", directory: directory)) else {
                throw ConfigurationError(source: source, path: "\(owner).webhook_secret", reason: "\(reference) does not hold a webhook secret (whsec_…)")
            }
            secrets.append(secret)
        }
        return secrets
    }

    private var source: String { path ?? "tenants" }

    /// The tenant's credentials, the shared workspace's for unlisted tenants, or nil (park the job).
    public func tenant(_ id: String) -> Tenant? {
        snapshot.withLock { snapshot in
            if let tenant = snapshot.tenants[id] { return tenant }
            return snapshot.shared.map {
                Tenant(
                    id: id, apiKey: $0.apiKey, rateLimitPerMinute: nil, maxInFlight: nil, webhookSecrets: $0.webhookSecrets,
                    balanceThresholdCents: nil, shared: true, retention: $0.retention)
            }
        }
    }

    /// The secrets of the shared workspace's own route (`/webhooks/mintfax`); empty without one.
    public var sharedWebhookSecrets: [WebhookSecret] {
        snapshot.withLock { $0.shared?.webhookSecrets ?? [] }
    }

    /// The listed tenants' ids.
    public var listedTenantIDs: [String] {
        snapshot.withLock { Array($0.tenants.keys).sorted() }
    }
}

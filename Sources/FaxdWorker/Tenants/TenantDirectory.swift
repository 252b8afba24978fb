public import FaxdCore
public import FaxdMintfax
import Foundation
public import Logging
import Synchronization

/// The tenants' resolved credentials and limits: the tenants file (reloaded on SIGHUP) and, when
/// configured, a tenants directory of one file per tenant, watched for changes (`refreshDirectory`).
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
        /// True when the tenant sends with the shared workspace's key.
        public var shared: Bool
        /// What mintfax keeps of the tenant's faxes.
        public var retention: TenantRetention

        /// Names the tenant's key in budgets and logs (`MintfaxAPIKey.fingerprint`).
        public var keyFingerprint: String { apiKey.fingerprint }
    }

    /// What this worker knows of one mintfax key, to budget its rate (`KeyBudget`).
    public struct Key: Sendable, Equatable {
        /// Requests per minute mintfax allows the key, when configured.
        public var ratePerMinute: Int?
        /// The listed tenants that send with it.
        public var tenants: Set<String>
        /// True for the shared key when `members` lets unlisted tenants use it: any partition may carry it.
        public var takesUnlisted: Bool

        public init(ratePerMinute: Int?, tenants: Set<String>, takesUnlisted: Bool) {
            self.ratePerMinute = ratePerMinute
            self.tenants = tenants
            self.takesUnlisted = takesUnlisted
        }
    }

    private struct Workspace: Sendable {
        var apiKey: MintfaxAPIKey
        var webhookSecrets: [WebhookSecret]
        var retention: TenantRetention
        var rateLimitPerMinute: Int?
        var members: [String]
    }

    private struct Snapshot: Sendable {
        var fileTenants: [String: Tenant] = [:]
        var directoryTenants: [String: Tenant] = [:]
        var shared: Workspace?
        /// Every tenant ever loaded with `phi` or `zero_footprint`: never sent with the shared key.
        var protected: Set<String> = []
        /// The directory's files (name, size, modification time) when it was last read.
        var directorySignature: [String: [Double]] = [:]
        var generation = 0
    }

    private let snapshot = Mutex(Snapshot())
    /// The tenants file, or nil for tenants given in memory (`faxd dev`).
    private let path: String?
    /// The tenants directory, if any.
    private let directory: String?
    private let inline: TenantsConfiguration?
    private let environment: [String: String]
    private let expectedKind: MintfaxAPIKey.Kind
    private let logger: Logger

    /// Loads the tenants file at `path` and the tenants directory at `directory`.
    /// - Throws: `ConfigurationError` for an unreadable file, a secret that cannot be resolved, a
    ///   value that is not a mintfax key, or a key of the wrong environment (`mfx_test_` ↔ sandbox,
    ///   `mfx_live_` ↔ live). The message names the tenant and the reference, never the secret. A
    ///   bad file in the directory is logged and skipped, never thrown.
    public init(
        path: String,
        directory: String? = nil,
        environment: [String: String],
        mintfaxEnvironment: String,
        logger: Logger = Logger(label: "faxd.tenants")
    ) throws(ConfigurationError) {
        self.path = path
        self.directory = directory
        self.inline = nil
        self.environment = environment
        self.expectedKind = mintfaxEnvironment == "live" ? .live : .sandbox
        self.logger = logger
        try reload()
    }

    /// Tenants given in memory; their secrets still come from `environment`.
    public init(
        tenants: TenantsConfiguration,
        environment: [String: String],
        mintfaxEnvironment: String,
        logger: Logger = Logger(label: "faxd.tenants")
    ) throws(ConfigurationError) {
        self.path = nil
        self.directory = nil
        self.inline = tenants
        self.environment = environment
        self.expectedKind = mintfaxEnvironment == "live" ? .live : .sandbox
        self.logger = logger
        try reload()
    }

    /// Re-reads the file, the directory and the secrets; on an error in the file the previous
    /// tenants stay in force.
    public func reload() throws(ConfigurationError) {
        let configuration: TenantsConfiguration
        var base = "."
        if let path {
            let text: String
            do {
                text = try String(contentsOfFile: path, encoding: .utf8)
            } catch {
                throw ConfigurationError(source: path, path: "", reason: "cannot read the file (\(error.localizedDescription))")
            }
            configuration = try TenantsConfiguration.parse(yaml: text, source: path)
            base = (path as NSString).deletingLastPathComponent
        } else {
            configuration = inline ?? TenantsConfiguration()
        }
        var shared: Workspace?
        if let workspace = configuration.sharedWorkspace {
            shared = Workspace(
                apiKey: try resolveKey(workspace.apiKey, owner: "shared_workspace", directory: base, source: source),
                webhookSecrets: try resolveWebhookSecrets(
                    workspace.webhookSecret,
                    owner: "shared_workspace",
                    directory: base,
                    source: source
                ),
                retention: workspace.retention ?? .standard,
                rateLimitPerMinute: workspace.rateLimitPerMinute,
                members: workspace.members ?? []
            )
        }
        var fileTenants: [String: Tenant] = [:]
        for entry in configuration.tenants {
            fileTenants[entry.id] = try resolve(entry, shared: shared, directory: base, source: source)
        }
        let protected = Set(configuration.tenants.filter(\.isProtected).map(\.id))
        snapshot.withLock { snapshot in
            snapshot.fileTenants = fileTenants
            snapshot.shared = shared
            snapshot.protected.formUnion(protected)
            snapshot.directorySignature = [:]
            snapshot.generation += 1
        }
        refreshDirectory()
    }

    /// Reads the tenants directory again if any file in it changed since it was last read: each
    /// `<id>.yaml` (or `.yml`) holds one tenant entry as in the tenants file, its secrets' file
    /// references relative to the directory. A bad entry is logged in one line and skipped; the
    /// rest apply. Hidden names (Kubernetes' `..data` links) are not entries.
    /// - Returns: whether the tenants changed.
    @discardableResult
    public func refreshDirectory() -> Bool {
        guard let directory else { return false }
        let signature = Self.signature(of: directory)
        let (previous, fileIDs, shared) = snapshot.withLock { ($0.directorySignature, Set($0.fileTenants.keys), $0.shared) }
        guard signature != previous else { return false }
        var entries: [String: TenantsConfiguration.Tenant] = [:]
        var tenants: [String: Tenant] = [:]
        for name in signature.keys.sorted() {
            let id = (name as NSString).deletingPathExtension
            guard ["yaml", "yml"].contains((name as NSString).pathExtension) else { continue }
            let file = directory + "/" + name
            do throws(ConfigurationError) {
                let entry = try Self.directoryEntry(file: file, id: id)
                guard !fileIDs.contains(entry.id), entries[entry.id] == nil else {
                    throw ConfigurationError(
                        source: file,
                        path: "id",
                        reason: "tenant '\(entry.id)' is listed twice; the first entry stays"
                    )
                }
                try entry.validate(source: file, path: "tenant", sharedWorkspaceExists: shared != nil)
                tenants[entry.id] = try resolve(entry, shared: shared, directory: directory, source: file)
                entries[entry.id] = entry
            } catch {
                logger.error("Skipped a tenant file", metadata: ["error": "\(error)"])
            }
        }
        let protected = Set(entries.values.filter(\.isProtected).map(\.id))
        snapshot.withLock { snapshot in
            snapshot.directoryTenants = tenants
            snapshot.protected.formUnion(protected)
            snapshot.directorySignature = signature
            snapshot.generation += 1
        }
        logger.info("Tenants directory read", metadata: ["tenants.count": "\(tenants.count)", "tenants.directory": "\(directory)"])
        return true
    }

    /// Every visible file's size and modification time, by name; empty for a missing directory.
    private static func signature(of directory: String) -> [String: [Double]] {
        let manager = FileManager.default
        guard let names = try? manager.contentsOfDirectory(atPath: directory) else { return [:] }
        var signature: [String: [Double]] = [:]
        for name in names where !name.hasPrefix(".") {
            // Attributes of the file a link points to: a Kubernetes volume swaps a link on update.
            let path = (directory + "/" + name as NSString).resolvingSymlinksInPath
            guard let attributes = try? manager.attributesOfItem(atPath: path), attributes[.type] as? FileAttributeType == .typeRegular
            else { continue }
            let size = (attributes[.size] as? NSNumber)?.doubleValue ?? 0
            let modified = (attributes[.modificationDate] as? Date)?.timeIntervalSince1970 ?? 0
            signature[name] = [size, modified]
        }
        return signature
    }

    /// One tenant's file: an entry whose `id` is the file's name.
    private static func directoryEntry(file: String, id: String) throws(ConfigurationError) -> TenantsConfiguration.Tenant {
        let text: String
        do {
            text = try String(contentsOfFile: file, encoding: .utf8)
        } catch {
            throw ConfigurationError(source: file, path: "", reason: "cannot read the file (\(error.localizedDescription))")
        }
        let entry = try TenantsConfiguration.decode(TenantsConfiguration.Tenant.self, yaml: text, source: file)
        guard entry.id == id else {
            throw ConfigurationError(source: file, path: "id", reason: "must be the file's name, '\(id)', got '\(entry.id)'")
        }
        return entry
    }

    private func resolve(
        _ entry: TenantsConfiguration.Tenant,
        shared: Workspace?,
        directory: String,
        source: String
    ) throws(ConfigurationError) -> Tenant {
        let owner = "tenant \(entry.id)"
        let key: MintfaxAPIKey
        var secrets = try resolveWebhookSecrets(entry.webhookSecret, owner: owner, directory: directory, source: source)
        if let reference = entry.apiKey {
            key = try resolveKey(reference, owner: owner, directory: directory, source: source)
        } else if let shared {
            key = shared.apiKey
            secrets += shared.webhookSecrets
        } else {
            throw ConfigurationError(source: source, path: "\(owner).shared", reason: "there is no shared_workspace to share")
        }
        return Tenant(
            id: entry.id,
            apiKey: key,
            rateLimitPerMinute: entry.rateLimitPerMinute,
            maxInFlight: entry.maxInFlight,
            webhookSecrets: secrets,
            balanceThresholdCents: entry.balanceThresholdCents,
            shared: entry.apiKey == nil,
            retention: entry.retention ?? (entry.apiKey == nil ? shared?.retention ?? .standard : .standard)
        )
    }

    /// Reads a secret; an error names its owner and key path (`tenant acme.webhook_secret`), never the value.
    private func resolve(
        _ reference: SecretReference,
        owner: String,
        key: String,
        directory: String,
        source: String
    ) throws(ConfigurationError) -> String {
        do {
            return try reference.resolve(environment: environment, relativeTo: directory)
        } catch {
            throw ConfigurationError(source: source, path: "\(owner).\(key)", reason: "\(reference): \(error.reason)")
        }
    }

    private func resolveKey(
        _ reference: SecretReference,
        owner: String,
        directory: String,
        source: String
    ) throws(ConfigurationError) -> MintfaxAPIKey {
        let text = try resolve(reference, owner: owner, key: "api_key", directory: directory, source: source)
        guard let key = MintfaxAPIKey(text) else {
            throw ConfigurationError(
                source: source,
                path: "\(owner).api_key",
                reason: "\(reference) does not hold a mintfax key (mfx_test_… or mfx_live_…)"
            )
        }
        guard key.kind == expectedKind else {
            throw ConfigurationError(
                source: source,
                path: "\(owner).api_key",
                reason: "\(reference) holds a \(key.kind.rawValue) key but mintfax.environment expects \(expectedKind.rawValue) keys"
            )
        }
        return key
    }

    private func resolveWebhookSecrets(
        _ references: SecretReferences?,
        owner: String,
        directory: String,
        source: String
    ) throws(ConfigurationError) -> [WebhookSecret] {
        var secrets: [WebhookSecret] = []
        for reference in references?.references ?? [] {
            guard
                let secret = WebhookSecret(
                    try resolve(reference, owner: owner, key: "webhook_secret", directory: directory, source: source)
                )
            else {
                throw ConfigurationError(
                    source: source,
                    path: "\(owner).webhook_secret",
                    reason: "\(reference) does not hold a webhook secret (whsec_…)"
                )
            }
            secrets.append(secret)
        }
        return secrets
    }

    private var source: String { path ?? "tenants" }

    /// The tenant's credentials, or nil (park the job): a listed tenant (file or directory) as
    /// listed; an unlisted one only when the shared workspace's `members` name it and it was never
    /// listed with `phi` or `zero_footprint`.
    public func tenant(_ id: String) -> Tenant? {
        snapshot.withLock { snapshot in
            if let tenant = snapshot.fileTenants[id] ?? snapshot.directoryTenants[id] { return tenant }
            guard let shared = snapshot.shared, !snapshot.protected.contains(id),
                shared.members.contains(where: { TenantsConfiguration.matches(id, pattern: $0) })
            else { return nil }
            return Tenant(
                id: id,
                apiKey: shared.apiKey,
                rateLimitPerMinute: nil,
                maxInFlight: nil,
                webhookSecrets: shared.webhookSecrets,
                balanceThresholdCents: nil,
                shared: true,
                retention: shared.retention
            )
        }
    }

    /// The secrets of the shared workspace's own route (`/webhooks/mintfax`); empty without one.
    public var sharedWebhookSecrets: [WebhookSecret] {
        snapshot.withLock { $0.shared?.webhookSecrets ?? [] }
    }

    /// The listed tenants' ids, from the file and the directory.
    public var listedTenantIDs: [String] {
        snapshot.withLock { Array(Set($0.fileTenants.keys).union($0.directoryTenants.keys)).sorted() }
    }

    /// Goes up by one whenever the tenants change.
    public var generation: Int { snapshot.withLock(\.generation) }

    /// The keys in use, by fingerprint: each one's configured rate and listed tenants. The shared
    /// key's rate is `shared_workspace.rate_limit_per_minute`; a key listed by one tenant alone has
    /// that tenant's `rate_limit_per_minute`; a key several entries list has none of its own (each
    /// tenant's rate then applies to that tenant only).
    public var keys: [String: Key] {
        snapshot.withLock { snapshot in
            var keys: [String: Key] = [:]
            var sole: [String: Int?] = [:]
            let sharedFingerprint = snapshot.shared?.apiKey.fingerprint
            if let shared = snapshot.shared, let sharedFingerprint {
                keys[sharedFingerprint] = Key(ratePerMinute: shared.rateLimitPerMinute, tenants: [], takesUnlisted: !shared.members.isEmpty)
            }
            for tenant in [snapshot.fileTenants.values, snapshot.directoryTenants.values].joined() {
                let fingerprint = tenant.keyFingerprint
                keys[fingerprint, default: Key(ratePerMinute: nil, tenants: [], takesUnlisted: false)].tenants.insert(tenant.id)
                sole[fingerprint] = sole[fingerprint] == nil ? .some(tenant.rateLimitPerMinute) : .some(nil)
            }
            for (fingerprint, rate) in sole where fingerprint != sharedFingerprint && keys[fingerprint]?.tenants.count == 1 {
                keys[fingerprint]?.ratePerMinute = rate
            }
            return keys
        }
    }
}

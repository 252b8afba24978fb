import FaxdMintfax
import Foundation
import Yams

extension SandboxConfiguration {
    /// Reads a YAML config file (format in `docs/sandbox.md`, example `config/sandbox.yaml`).
    ///
    /// - Returns: the configuration, validated.
    /// - Throws: ``SandboxConfigurationError`` when the file cannot be read, is not YAML of the
    ///   expected shape, or breaks a rule; its reason names the file and the offending setting.
    public static func load(contentsOfFile path: String) throws(SandboxConfigurationError) -> SandboxConfiguration {
        let text: String
        do {
            text = try String(contentsOfFile: path, encoding: .utf8)
        } catch {
            throw SandboxConfigurationError("cannot read \(path): \((error as NSError).localizedDescription)")
        }
        do {
            return try load(yaml: text)
        } catch {
            throw SandboxConfigurationError("\(path): \(error.reason)")
        }
    }

    /// Parses and validates a YAML configuration.
    ///
    /// Settings the text leaves out keep their defaults; `environments`, when given, replaces
    /// the demo environments. An environment without `webhook_secret` gets a random one.
    ///
    /// - Throws: ``SandboxConfigurationError`` naming the offending setting.
    public static func load(yaml: String) throws(SandboxConfigurationError) -> SandboxConfiguration {
        let file: File
        do {
            file = try YAMLDecoder().decode(File.self, from: yaml)
        } catch let error as DecodingError {
            throw SandboxConfigurationError(describe(error))
        } catch {
            throw SandboxConfigurationError("not valid YAML: \(String(describing: error).split(separator: "\n").first ?? "")")
        }
        var configuration = SandboxConfiguration()
        if let host = file.host { configuration.host = host }
        if let port = file.port { configuration.port = port }
        if let timeScale = file.timeScale { configuration.timeScale = timeScale }
        if let price = file.pricePerPageCents { configuration.pricePerPageCents = price }
        if let limit = file.unauthenticatedRateLimitPerMinute { configuration.unauthenticatedRateLimitPerMinute = limit }
        if let mode = file.faxWebhookURL {
            guard let parsed = FaxWebhookURLMode(rawValue: mode) else {
                throw SandboxConfigurationError("fax_webhook_url must be override or supplement, got '\(mode)'")
            }
            configuration.faxWebhookURLMode = parsed
        }
        if let faults = file.faults { configuration.faults = faults }
        if let environments = file.environments {
            var generator = SystemRandomNumberGenerator()
            configuration.environments = try environments.enumerated().map { (index, environment) throws(SandboxConfigurationError) in
                let path = "environments[\(index)]"
                let secret = try parseSecret(environment.webhookSecret, path: "\(path).webhook_secret")
                let endpoints = try (environment.webhookEndpoints ?? []).enumerated().map {
                    (endpointIndex, endpoint) throws(SandboxConfigurationError) in
                    WebhookEndpointConfiguration(
                        url: endpoint.url,
                        secret: try parseSecret(endpoint.secret, path: "\(path).webhook_endpoints[\(endpointIndex)].secret"),
                        events: endpoint.events
                    )
                }
                return EnvironmentConfiguration(
                    name: environment.name,
                    apiKey: environment.apiKey,
                    live: environment.live ?? false,
                    balanceCents: environment.balanceCents ?? 5000,
                    rateLimitPerMinute: environment.rateLimitPerMinute ?? 60,
                    webhookSecret: secret ?? WebhookSecret.random(using: &generator),
                    webhookEndpoints: endpoints,
                    zeroFootprint: environment.zeroFootprint ?? false,
                    zeroFootprintGraceSeconds: environment.zeroFootprintGraceSeconds ?? 0
                )
            }
        }
        try configuration.validate()
        return configuration
    }

    private static func parseSecret(_ text: String?, path: String) throws(SandboxConfigurationError) -> WebhookSecret? {
        guard let text else { return nil }
        guard let secret = WebhookSecret(text) else {
            throw SandboxConfigurationError("\(path) must be whsec_ followed by base64")
        }
        return secret
    }

    /// One line for a decoding error: the setting's path and what was wrong with it.
    private static func describe(_ error: DecodingError) -> String {
        func path(_ codingPath: [any CodingKey]) -> String {
            var text = ""
            for key in codingPath {
                if let index = key.intValue {
                    text += "[\(index)]"
                } else {
                    text += text.isEmpty ? key.stringValue : ".\(key.stringValue)"
                }
            }
            return text.isEmpty ? "the document" : text
        }
        switch error {
        case .keyNotFound(let key, let context):
            let parent = context.codingPath.isEmpty ? "" : path(context.codingPath) + "."
            return "\(parent)\(key.stringValue) is required"
        case .typeMismatch(let type, let context):
            return "\(path(context.codingPath)) must be \(describe(type))"
        case .valueNotFound(let type, let context):
            return "\(path(context.codingPath)) must be \(describe(type)), got nothing"
        case .dataCorrupted(let context):
            return "\(path(context.codingPath)): \(context.debugDescription)"
        @unknown default:
            return "\(error)"
        }
    }

    private static func describe(_ type: Any.Type) -> String {
        switch type {
        case is Int.Type, is UInt64.Type: "an integer"
        case is Double.Type: "a number"
        case is Bool.Type: "true or false"
        case is String.Type: "a string"
        default: "a \(type)"
        }
    }

    /// The file's shape: every field optional so that defaults apply.
    private struct File: Decodable {
        var host: String?
        var port: Int?
        var timeScale: Double?
        var pricePerPageCents: Int?
        var unauthenticatedRateLimitPerMinute: Int?
        var faxWebhookURL: String?
        var environments: [Environment]?
        var faults: FaultConfiguration?

        enum CodingKeys: String, CodingKey {
            case host, port, environments, faults
            case timeScale = "time_scale"
            case pricePerPageCents = "price_per_page_cents"
            case unauthenticatedRateLimitPerMinute = "unauthenticated_rate_limit_per_minute"
            case faxWebhookURL = "fax_webhook_url"
        }
    }

    private struct Environment: Decodable {
        var name: String
        var apiKey: String
        var live: Bool?
        var balanceCents: Int?
        var rateLimitPerMinute: Int?
        var webhookSecret: String?
        var webhookEndpoints: [Endpoint]?
        var zeroFootprint: Bool?
        var zeroFootprintGraceSeconds: Double?

        enum CodingKeys: String, CodingKey {
            case name, live
            case zeroFootprint = "zero_footprint"
            case zeroFootprintGraceSeconds = "zero_footprint_grace_seconds"
            case apiKey = "api_key"
            case balanceCents = "balance_cents"
            case rateLimitPerMinute = "rate_limit_per_minute"
            case webhookSecret = "webhook_secret"
            case webhookEndpoints = "webhook_endpoints"
        }
    }

    private struct Endpoint: Decodable {
        var url: String
        var secret: String?
        var events: [String]?
    }
}

import Foundation

/// Where a secret lives: an environment variable or a file. Never the secret itself (DESIGN §7).
public enum SecretReference: Codable, Sendable, Equatable, CustomStringConvertible {
    case environment(String)
    case file(String)

    enum CodingKeys: String, CodingKey {
        case env, file
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        let env = try container.decodeIfPresent(String.self, forKey: .env)
        let file = try container.decodeIfPresent(String.self, forKey: .file)
        switch (env, file) {
        case (let env?, nil): self = .environment(env)
        case (nil, let file?): self = .file(file)
        default:
            throw DecodingError.dataCorrupted(
                .init(codingPath: decoder.codingPath, debugDescription: "a secret is exactly one of { env: NAME } or { file: PATH }")
            )
        }
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        switch self {
        case .environment(let name): try container.encode(name, forKey: .env)
        case .file(let path): try container.encode(path, forKey: .file)
        }
    }

    /// `env MINTFAX_KEY_ACME` or `file /run/secrets/…`: where, never what.
    public var description: String {
        switch self {
        case .environment(let name): "env \(name)"
        case .file(let path): "file \(path)"
        }
    }

    /// Reads the secret, trimmed of surrounding whitespace.
    /// - Throws: `ConfigurationError` saying where it looked, never the value.
    public func resolve(environment: [String: String], relativeTo directory: String) throws(ConfigurationError) -> String {
        let value: String
        switch self {
        case .environment(let name):
            guard let text = environment[name], !text.isEmpty else {
                throw ConfigurationError(source: "secret", path: description, reason: "the variable is not set")
            }
            value = text
        case .file(let path):
            let full = path.hasPrefix("/") ? path : directory + "/" + path
            guard let text = try? String(contentsOfFile: full, encoding: .utf8) else {
                throw ConfigurationError(source: "secret", path: description, reason: "the file cannot be read")
            }
            value = text
        }
        return value.trimmingCharacters(in: .whitespacesAndNewlines)
    }
}

/// One secret reference, or a list of them: `webhook_secret: { env: A }` or
/// `webhook_secret: [{ file: old }, { file: new }]` while a signing secret is rotated.
public struct SecretReferences: Codable, Sendable, Equatable {
    public var references: [SecretReference]

    public init(_ references: [SecretReference]) {
        self.references = references
    }

    public init(from decoder: any Decoder) throws {
        if let list = try? [SecretReference](from: decoder) {
            guard !list.isEmpty else {
                throw DecodingError.dataCorrupted(
                    .init(codingPath: decoder.codingPath, debugDescription: "a list of secrets must not be empty")
                )
            }
            references = list
        } else {
            references = [try SecretReference(from: decoder)]
        }
    }

    public func encode(to encoder: any Encoder) throws {
        if references.count == 1 { try references[0].encode(to: encoder) } else { try references.encode(to: encoder) }
    }
}

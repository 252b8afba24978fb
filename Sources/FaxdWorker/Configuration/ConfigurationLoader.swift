import Foundation
import Yams

/// Loads a YAML configuration over a type's defaults, then applies `FAXD_…` environment overrides.
///
/// The defaults (encoded from `schema`, a value with every optional set) say which keys exist and
/// what type each leaf has: an unknown key, or a value of the wrong type, is a `ConfigurationError`
/// naming the key's path. Maps listed in `openMaps` (e.g. `kafka.properties`) take any keys.
struct ConfigurationLoader<Value: Codable> {
    let defaults: Value
    let schema: Value
    let openMaps: Set<String>
    let environmentPrefix: String

    /// - Parameters:
    ///   - yaml: the file's text (empty for "no file").
    ///   - source: how to name the file in errors.
    ///   - environment: the process environment; only `environmentPrefix` variables are read.
    func load(yaml: String, source: String, environment: [String: String]) throws(ConfigurationError) -> Value {
        let schemaTree = try Self.tree(schema)
        var merged = try Self.tree(defaults)
        let loaded = try YAMLDocument.compose(yaml, source: source)?.any
        if let loaded, !(loaded is NSNull) {
            guard let mapping = loaded as? [String: Any] else {
                throw ConfigurationError(source: source, path: "", reason: "the top level must be a mapping of sections")
            }
            merged = try merge(mapping, into: merged, schema: schemaTree, path: [], source: source)
        }
        merged = try applyEnvironment(environment, to: merged, schema: schemaTree, path: [])
        do {
            let data = try JSONSerialization.data(withJSONObject: merged)
            return try JSONDecoder().decode(Value.self, from: data)
        } catch {
            throw ConfigurationError(source: source, path: "", reason: "\(error)")
        }
    }

    private static func tree(_ value: Value) throws(ConfigurationError) -> [String: Any] {
        do {
            let data = try JSONEncoder().encode(value)
            return try JSONSerialization.jsonObject(with: data) as? [String: Any] ?? [:]
        } catch {
            throw ConfigurationError(source: "defaults", path: "", reason: "\(error)")
        }
    }

    private func merge(
        _ file: [String: Any],
        into base: [String: Any],
        schema: [String: Any],
        path: [String],
        source: String
    ) throws(ConfigurationError) -> [String: Any] {
        var result = base
        for (key, value) in file {
            let keyPath = path + [key]
            let dotted = keyPath.joined(separator: ".")
            if openMaps.contains(path.joined(separator: ".")) {
                result[key] = scalarText(value)
                continue
            }
            guard let expected = schema[key] else {
                throw ConfigurationError(source: source, path: dotted, reason: "unknown key")
            }
            if value is NSNull {
                result[key] = nil
                continue
            }
            if let expectedMap = expected as? [String: Any] {
                guard let map = value as? [String: Any] else {
                    throw ConfigurationError(source: source, path: dotted, reason: "expected a mapping")
                }
                result[key] = try merge(map, into: result[key] as? [String: Any] ?? [:], schema: expectedMap, path: keyPath, source: source)
            } else {
                result[key] = try Self.coerce(value, like: expected, path: dotted, source: source)
            }
        }
        return result
    }

    private func applyEnvironment(
        _ environment: [String: String],
        to base: [String: Any],
        schema: [String: Any],
        path: [String]
    ) throws(ConfigurationError) -> [String: Any] {
        var result = base
        for (key, expected) in schema {
            let keyPath = path + [key]
            let name = environmentPrefix + keyPath.joined(separator: "_").uppercased()
            if openMaps.contains(keyPath.joined(separator: ".")) {
                result[key] = Self.applyEnvironment(environment, prefix: name + "_", to: result[key] as? [String: Any] ?? [:])
                continue
            }
            if let expectedMap = expected as? [String: Any] {
                result[key] = try applyEnvironment(
                    environment,
                    to: result[key] as? [String: Any] ?? [:],
                    schema: expectedMap,
                    path: keyPath
                )
                continue
            }
            guard let text = environment[name] else { continue }
            let value: Any = expected is [Any] ? text.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) } : text
            result[key] = try Self.coerce(
                value,
                like: expected,
                path: keyPath.joined(separator: "."),
                source: "environment variable \(name)"
            )
        }
        return result
    }

    /// An open map's entries from `<prefix><NAME>` variables, the name lower-cased with `_` read as `.`
    /// (`FAXD_KAFKA_PROPERTIES_SASL_PASSWORD` sets `sasl.password`): a secret the file must not hold
    /// comes from the environment, a Kubernetes Secret say.
    private static func applyEnvironment(_ environment: [String: String], prefix: String, to base: [String: Any]) -> [String: Any] {
        var result = base
        for (name, value) in environment where name.hasPrefix(prefix) && name.count > prefix.count {
            result[name.dropFirst(prefix.count).lowercased().replacingOccurrences(of: "_", with: ".")] = value
        }
        return result
    }

    /// Converts a YAML or environment value to the JSON type of the default at the same path.
    private static func coerce(_ value: Any, like expected: Any, path: String, source: String) throws(ConfigurationError) -> Any {
        switch expected {
        case is [Any]:
            guard let array = value as? [Any] else { throw ConfigurationError(source: source, path: path, reason: "expected a list") }
            return array.map(scalarText)
        case let number as NSNumber where CFGetTypeIDIsBool(number):
            let text = scalarText(value).lowercased()
            if ["true", "yes", "on", "1"].contains(text) { return true }
            if ["false", "no", "off", "0"].contains(text) { return false }
            throw ConfigurationError(source: source, path: path, reason: "expected true or false, got '\(scalarText(value))'")
        case is NSNumber:
            guard let int = Int(scalarText(value)) else {
                throw ConfigurationError(source: source, path: path, reason: "expected a whole number, got '\(scalarText(value))'")
            }
            return int
        default:
            guard !(value is [Any]), !(value is [String: Any]) else {
                throw ConfigurationError(source: source, path: path, reason: "expected a single value")
            }
            return scalarText(value)
        }
    }
}

/// A scalar as text: YAML may have typed it as a number or a Bool.
private func scalarText(_ value: Any) -> String {
    if let string = value as? String { return string }
    if let number = value as? NSNumber { return CFGetTypeIDIsBool(number) ? (number.boolValue ? "true" : "false") : number.stringValue }
    return "\(value)"
}

/// Whether an `NSNumber` from `JSONSerialization` or Yams holds a Bool (Linux has no CFBoolean).
private func CFGetTypeIDIsBool(_ number: NSNumber) -> Bool {
    String(cString: number.objCType) == "c" && (number == NSNumber(value: true) || number == NSNumber(value: false))
}

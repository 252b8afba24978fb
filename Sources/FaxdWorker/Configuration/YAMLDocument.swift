internal import CYaml
import Yams

/// A configuration file's YAML, composed and checked before Yams builds values from it.
///
/// Yams traps on a mapping key that is not plain text (`? [a]: b`), overflows the stack composing
/// deep nesting (`{{{{…`), both found by `make fuzz`, and its values grow without bound when aliases
/// nest (`&a [*b, *b]`); any of them would stop a worker on a file it should refuse in one line.
enum YAMLDocument {
    /// The most nodes a file may hold, aliases counted each time they are used.
    static let maximumNodes = 100_000
    /// The deepest nesting of sequences and mappings.
    static let maximumDepth = 64

    /// The file's root node (nil for an empty file), every mapping key plain text, within the limits.
    static func compose(_ yaml: String, source: String) throws(ConfigurationError) -> Node? {
        // Yams composes recursively: a few thousand `{` overflow the stack (found by `make fuzz`).
        if nestingDepth(yaml, exceeds: maximumDepth) == true {
            throw ConfigurationError(source: source, path: "", reason: "nested more than \(maximumDepth) levels deep")
        }
        let root: Node?
        do {
            root = try Yams.compose(yaml: yaml)
        } catch let error as YamlError {
            throw ConfigurationError(source: source, path: "", reason: "not valid YAML: \(error.oneLine)")
        } catch {
            throw ConfigurationError(source: source, path: "", reason: "not valid YAML: \(error)")
        }
        guard let root else { return nil }
        var budget = maximumNodes
        try check(root, path: [], budget: &budget, source: source)
        return root
    }

    /// Whether sequences and mappings nest deeper than `limit`, read from libyaml's events (its
    /// parser keeps its own stacks, without recursion); nil when the text is not YAML (composing it
    /// then says why).
    static func nestingDepth(_ yaml: String, exceeds limit: Int) -> Bool? {
        var parser = yaml_parser_t()
        guard yaml_parser_initialize(&parser) == 1 else { return nil }
        defer { yaml_parser_delete(&parser) }
        let bytes = Array(yaml.utf8)
        guard !bytes.isEmpty else { return false }
        return bytes.withUnsafeBufferPointer { buffer -> Bool? in
            yaml_parser_set_input_string(&parser, buffer.baseAddress, buffer.count)
            var depth = 0
            while true {
                var event = yaml_event_t()
                guard yaml_parser_parse(&parser, &event) == 1 else { return nil }
                defer { yaml_event_delete(&event) }
                switch event.type {
                case YAML_SEQUENCE_START_EVENT, YAML_MAPPING_START_EVENT:
                    depth += 1
                    if depth > limit { return true }
                case YAML_SEQUENCE_END_EVENT, YAML_MAPPING_END_EVENT:
                    depth -= 1
                case YAML_STREAM_END_EVENT:
                    return false
                default:
                    break
                }
            }
        }
    }

    private static func check(_ node: Node, path: [String], budget: inout Int, source: String) throws(ConfigurationError) {
        budget -= 1
        guard budget >= 0 else {
            throw ConfigurationError(source: source, path: "", reason: "more than \(maximumNodes) values (aliases used over and over?)")
        }
        guard path.count <= maximumDepth else {
            throw ConfigurationError(source: source, path: "", reason: "nested more than \(maximumDepth) levels deep")
        }
        switch node {
        case .scalar:
            return
        case .sequence(let sequence):
            for (index, element) in sequence.enumerated() {
                try check(element, path: path + [String(index)], budget: &budget, source: source)
            }
        case .mapping(let mapping):
            for (key, value) in mapping {
                guard let name = key.scalar?.string else {
                    throw ConfigurationError(
                        source: source,
                        path: path.joined(separator: "."),
                        reason: "a key must be plain text, not a sequence or mapping"
                    )
                }
                try check(value, path: path + [name], budget: &budget, source: source)
            }
        }
    }
}

extension YamlError {
    /// The problem and where, in one line: Yams' own description spans lines and quotes the file.
    var oneLine: String {
        switch self {
        case .scanner(let context, let problem, let mark, _), .parser(let context, let problem, let mark, _),
            .composer(let context, let problem, let mark, _):
            let within = context.map { " (\($0.text) at line \($0.mark.line), column \($0.mark.column))" } ?? ""
            return "line \(mark.line), column \(mark.column): \(problem)\(within)"
        case .reader(let problem, let offset, _, _):
            return problem + (offset.map { " at character \($0)" } ?? "")
        default:
            return String(describing: self).split(whereSeparator: \.isNewline).joined(separator: " ")
        }
    }
}

/// Per-field validation messages, the `context.errors` of a 422 `validation_failed`
/// (`{"to": ["The to field is required."]}`: every value is an array of messages).
struct FieldErrors: Error, Sendable {
    private var order: [String] = []
    private var messages: [String: [String]] = [:]

    /// Adds a message for `field`, keeping the order fields were first reported in.
    mutating func add(_ field: String, _ message: String) {
        if messages[field] == nil { order.append(field) }
        messages[field, default: []].append(message)
    }

    /// Whether no field has a message.
    var isEmpty: Bool { order.isEmpty }

    /// The envelope's `message`: the first message, and how many more there are.
    var summary: String {
        guard let first = order.first, let message = messages[first]?.first else { return "The request is invalid." }
        let more = messages.values.reduce(0) { $0 + $1.count } - 1
        return more == 0 ? message : "\(message) (and \(more) more error\(more == 1 ? "" : "s"))"
    }

    /// The messages as a JSON object of arrays.
    var jsonValue: JSONValue {
        .object(messages.mapValues { .array($0.map(JSONValue.string)) })
    }
}

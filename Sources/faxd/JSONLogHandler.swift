import FaxdCore
import Foundation
import Logging

/// One JSON object per line on standard error (through `BatchedLineWriter`: in batches, errors at
/// once): `ts`, `level`, `logger`, `message`, then the metadata sorted by key (dotted keys as they
/// are, e.g. `tenant.id`), each key once. What reaches it is already masked by the code that logs:
/// recipient numbers, keys and documents never appear in metadata.
struct JSONLogHandler: LogHandler {
    let label: String
    var logLevel: Logger.Level = .info
    var metadata: Logger.Metadata = [:]
    var metadataProvider: Logger.MetadataProvider?

    /// Whether `key` is one of the line's own fields, first in every line: metadata of the same
    /// names gives way. Compared, not hashed: a set's lookup hashed each key of each line.
    private static func isOwnKey(_ key: String) -> Bool {
        key == "ts" || key == "level" || key == "logger" || key == "message"
    }

    init(label: String) {
        self.label = label
    }

    subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set {
            // A job's logger sets a few keys at once: room for them with the first, not a table per key.
            if metadata.isEmpty { metadata.reserveCapacity(4) }
            metadata[key] = newValue
        }
    }

    func log(event: LogEvent) {
        // The metadata by precedence, lowest first: of fields with one key, the last is written. An
        // array sorted once (stable), where merging dictionaries hashed every key twice and
        // allocated a table per line (docs/benchmarks.md).
        var fields: [(key: String, value: Logger.Metadata.Value)] = []
        fields.reserveCapacity(metadata.count + (event.metadata?.count ?? 0) + 1)
        fields += metadata.lazy.map { ($0.key, $0.value) }
        if let provided = metadataProvider?.get() { fields += provided.lazy.map { ($0.key, $0.value) } }
        if let explicit = event.metadata { fields += explicit.lazy.map { ($0.key, $0.value) } }
        if let error = event.error { fields.append(("error", "\(error)")) }
        fields.sort { $0.key < $1.key }
        var json = JSONWriter(capacity: 512)
        json.beginObject()
        json.field("ts", milliseconds: Date())
        json.key("level")
        json.string(event.level.rawValue)
        json.key("logger")
        json.string(label)
        json.key("message")
        json.string(event.message.description)
        for (index, field) in fields.enumerated() where !Self.isOwnKey(field.key) {
            if index + 1 < fields.count, fields[index + 1].key == field.key { continue }
            json.key(field.key)
            Self.write(field.value, to: &json)
        }
        json.endObject()
        json.endLine()
        if event.level >= .error {
            BatchedLineWriter.standardError.writeNow(json.bytes)
        } else {
            BatchedLineWriter.standardError.append(json.bytes)
        }
    }

    /// A metadata value as JSON, an object's keys sorted: by hand, since `JSONSerialization` and an
    /// ISO 8601 formatter per line were a third of a busy worker's CPU (docs/benchmarks.md).
    private static func write(_ value: Logger.Metadata.Value, to json: inout JSONWriter) {
        switch value {
        case .string(let string):
            json.string(string)
        case .stringConvertible(let convertible):
            json.string(convertible.description)
        case .array(let values):
            json.beginArray()
            for value in values { write(value, to: &json) }
            json.endArray()
        case .dictionary(let values):
            json.beginObject()
            for (key, value) in values.sorted(by: { $0.key < $1.key }) {
                json.key(key)
                write(value, to: &json)
            }
            json.endObject()
        }
    }
}

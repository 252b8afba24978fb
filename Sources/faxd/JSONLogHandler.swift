import FaxdCore
import Foundation
import Logging
import Synchronization

/// One JSON object per line on standard error: `ts`, `level`, `logger`, `message`, then the metadata
/// (dotted keys as they are, e.g. `tenant.id`). What reaches it is already masked by the code that
/// logs: recipient numbers, keys and documents never appear in metadata.
struct JSONLogHandler: LogHandler {
    let label: String
    var logLevel: Logger.Level = .info
    var metadata: Logger.Metadata = [:]
    var metadataProvider: Logger.MetadataProvider?

    /// Serialises whole lines across threads.
    private static let lock = Mutex(())

    init(label: String) {
        self.label = label
    }

    subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    func log(event: LogEvent) {
        var merged = metadata
        // Room for every field at once: one allocation, not one per growth of the copy.
        merged.reserveCapacity(metadata.count + (event.metadata?.count ?? 0) + 5)
        if let provided = metadataProvider?.get() { merged.merge(provided) { $1 } }
        if let explicit = event.metadata { merged.merge(explicit) { $1 } }
        if let error = event.error { merged["error"] = "\(error)" }
        // These four are the line's own: metadata of the same names gives way.
        merged["ts"] = .string(RFC3339Timestamp.format(milliseconds: Date()))
        merged["level"] = .string(event.level.rawValue)
        merged["logger"] = .string(label)
        merged["message"] = .string(event.message.description)
        var json = JSONWriter(capacity: 512)
        Self.write(.dictionary(merged), to: &json)
        var line = json.bytes
        line.append(UInt8(ascii: "\n"))
        Self.lock.withLock { _ in Self.writeToStandardError(line) }
    }

    /// `bytes` to file descriptor 2 with `write(2)`, whole (a pipe may take a long line in parts);
    /// what the descriptor refuses is dropped, as a log line has nowhere else to go. Without
    /// `FileHandle` and a `Data` copy per line, which cost as much as writing it.
    private static func writeToStandardError(_ bytes: [UInt8]) {
        bytes.withUnsafeBytes { buffer in
            guard let start = buffer.baseAddress else { return }
            var offset = 0
            while offset < buffer.count {
                let written = Glibc.write(2, start + offset, buffer.count - offset)
                if written > 0 {
                    offset += written
                } else if written < 0, errno == EINTR {
                    continue
                } else {
                    return
                }
            }
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

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
        let (level, message, explicit) = (event.level, event.message, event.metadata)
        var object: [String: Any] = [
            "ts": ISO8601DateFormatter.string(
                from: Date(),
                timeZone: .gmt,
                formatOptions: [.withInternetDateTime, .withFractionalSeconds]
            ),
            "level": level.rawValue, "logger": label, "message": message.description,
        ]
        var merged = metadata
        if let provided = metadataProvider?.get() { merged.merge(provided) { $1 } }
        if let explicit { merged.merge(explicit) { $1 } }
        if let error = event.error { merged["error"] = "\(error)" }
        for (key, value) in merged where object[key] == nil { object[key] = Self.plain(value) }
        guard let data = try? JSONSerialization.data(withJSONObject: object, options: [.sortedKeys, .withoutEscapingSlashes]) else {
            return
        }
        Self.lock.withLock { _ in FileHandle.standardError.write(data + Data("\n".utf8)) }
    }

    private static func plain(_ value: Logger.Metadata.Value) -> Any {
        switch value {
        case .string(let string): string
        case .stringConvertible(let convertible): convertible.description
        case .array(let values): values.map(plain)
        case .dictionary(let values): values.mapValues(plain)
        }
    }
}

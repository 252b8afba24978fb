import Foundation

extension KeyedDecodingContainer {
    /// Decodes an RFC 3339 timestamp string.
    func decodeTimestamp(forKey key: Key) throws -> Date {
        let text = try decode(String.self, forKey: key)
        guard let date = RFC3339Timestamp.parse(text) else {
            throw DecodingError.dataCorruptedError(
                forKey: key,
                in: self,
                debugDescription: "Not an RFC 3339 timestamp."
            )
        }
        return date
    }

    /// Decodes an RFC 3339 timestamp string; nil when the key is absent or `null`.
    func decodeTimestampIfPresent(forKey key: Key) throws -> Date? {
        guard contains(key), try !decodeNil(forKey: key) else { return nil }
        return try decodeTimestamp(forKey: key)
    }
}

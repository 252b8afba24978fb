import Foundation

/// The API's date-time text: ISO 8601 in UTC with whole seconds, `2026-05-20T16:04:11Z`, as in
/// mintfax's examples.
enum Timestamp {
    /// Formats `date` as `YYYY-MM-DDTHH:MM:SSZ`, dropping (not rounding) fractions of a second.
    static func format(_ date: Date) -> String {
        Date(timeIntervalSince1970: date.timeIntervalSince1970.rounded(.down)).formatted(Date.ISO8601FormatStyle())
    }

    /// Parses an ISO 8601 date-time, with or without fractional seconds.
    ///
    /// - Returns: `nil` for anything else.
    static func parse(_ text: String) -> Date? {
        if let date = try? Date.ISO8601FormatStyle().parse(text) { return date }
        return try? Date.ISO8601FormatStyle(includingFractionalSeconds: true).parse(text)
    }
}

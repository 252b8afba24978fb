import FaxdCore
import Foundation
import Testing

@Suite struct RFC3339TimestampTests {
    @Test(arguments: [
        ("2026-11-27T10:30:05Z", 1_795_775_405.0),
        ("2024-02-29T23:59:59Z", 1_709_251_199.0),
        ("1970-01-01T00:00:00Z", 0.0),
        ("1969-12-31T23:59:59Z", -1.0),
        ("0001-01-01T00:00:00Z", -62_135_596_800.0),
        ("9999-12-31T23:59:59Z", 253_402_300_799.0),
        ("2026-11-27T10:30:05.5Z", 1_795_775_405.5),
        ("2026-11-27T10:30:05.123456789123Z", 1_795_775_405.123456789),
        ("2026-11-27T11:30:05+01:00", 1_795_775_405.0),
        ("2026-11-27T05:00:05-05:30", 1_795_775_405.0),
    ])
    func parses(text: String, seconds: Double) throws {
        let date = try #require(RFC3339Timestamp.parse(text))
        #expect(abs(date.timeIntervalSince1970 - seconds) < 1e-6)
    }

    @Test(arguments: [
        "", "2026-11-27", "2026-11-27T10:30Z", "2026-11-27T10:30:05", "2026-11-27 10:30:05Z", "2026-13-01T00:00:00Z",
        "2026-00-01T00:00:00Z", "2025-02-29T00:00:00Z", "2026-04-31T00:00:00Z", "2026-11-27T24:00:00Z",
        "2026-11-27T10:60:00Z", "2026-11-27T10:30:60Z", "2026-11-27T10:30:05.Z", "2026-11-27T10:30:05+0100",
        "2026-11-27T10:30:05+24:00", "2026-11-27T10:30:05Z ", "+2026-11-27T10:30:05Z", "２０２６-11-27T10:30:05Z",
    ])
    func refuses(text: String) {
        #expect(RFC3339Timestamp.parse(text) == nil)
    }

    @Test(arguments: [
        (1_795_775_405.999, "2026-11-27T10:30:05Z"),
        (0.0, "1970-01-01T00:00:00Z"),
        (-0.5, "1969-12-31T23:59:59Z"),
        (-86_400.0, "1969-12-31T00:00:00Z"),
        (1_709_251_199.0, "2024-02-29T23:59:59Z"),
        (-62_135_596_800.0, "0001-01-01T00:00:00Z"),
    ])
    func formatsWholeSecondsInUTC(seconds: Double, text: String) {
        #expect(RFC3339Timestamp.format(wholeSeconds: Date(timeIntervalSince1970: seconds)) == text)
    }

    @Test func formattingAndParsingRoundTripEveryDayOfALeapYear() throws {
        for day in 0..<366 {
            let date = Date(timeIntervalSince1970: 1_704_067_200 + Double(day) * 86_400 + 45_296)
            let text = RFC3339Timestamp.format(wholeSeconds: date)
            #expect(try #require(RFC3339Timestamp.parse(text)) == date, "\(text)")
        }
    }
}

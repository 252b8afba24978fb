import Foundation
import Testing

@testable import FaxdCore

/// The records faxd writes per job are written by `JSONWriter`, not `JSONEncoder`: they must stay the
/// bytes `JSONEncoder` (`[.sortedKeys, .withoutEscapingSlashes]`) gives for the same values.
@Suite struct EventJSONTests {
    private typealias F = EventFixtures

    private static func encoded(_ value: some Encodable) throws -> [UInt8] {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return Array(try encoder.encode(value))
    }

    /// Every character class JSON escapes, slashes, and text beyond ASCII.
    private static let awkward = "a\"b\\c/d\u{0}\u{8}\u{9}\u{A}\u{C}\u{D}\u{1F}\u{7F} é 日本 🙂 \u{2028}"

    @Test func statusEventsAreJSONEncodersBytes() throws {
        let error = ErrorInfo(code: "invalid_number", message: Self.awkward, retryable: false, httpStatus: 422)
        let job = JobReference(tenantID: "t/\(Self.awkward)", jobID: "job \"1\"")
        let events = [
            F.worker.submitted(F.job, faxID: F.faxID, attempt: 1, occurredAt: F.occurredAt),
            F.worker.retrying(job, attempt: 3, error: error, nextAttemptAt: F.occurredAt.addingTimeInterval(61), occurredAt: F.occurredAt),
            F.worker.rejected(job, error: error, attempt: nil, occurredAt: Date(timeIntervalSince1970: 0)),
            F.worker.duplicate(F.job, faxID: F.faxID, submittedAt: nil, partition: 7, offset: 1 << 40, occurredAt: F.occurredAt),
            F.webhook.delivered(F.job, faxID: Self.awkward, pages: 12, attempt: 2, occurredAt: F.occurredAt),
            F.webhook.failed(
                F.job,
                faxID: F.faxID,
                error: ErrorInfo(code: "busy", message: "m", retryable: true, httpStatus: nil),
                pages: nil,
                attempt: 1,
                occurredAt: F.occurredAt
            ),
        ]
        for event in events {
            #expect(event.jsonBytes().utf8String == (try Self.encoded(event)).utf8String)
        }
    }

    @Test func usageEventsAreJSONEncodersBytes() throws {
        let events = [
            F.worker.usageHold(F.job, faxID: F.faxID, pages: nil, occurredAt: F.occurredAt),
            F.worker.usageCapture(JobReference(tenantID: Self.awkward, jobID: "j"), faxID: F.faxID, pages: 3, occurredAt: F.occurredAt),
            F.worker.usageBalance(tenantID: "acme", crossingID: "x", available: -5, held: 0, occurredAt: F.occurredAt),
        ]
        for event in events {
            #expect(event.jsonBytes().utf8String == (try Self.encoded(event)).utf8String)
        }
    }

    @Test func ledgerEntriesAreJSONEncodersBytes() throws {
        let key = IdempotencyKey(tenantID: "acme", jobID: "inv-1").uuid
        let entries = [
            JobLedgerEntry(job: F.job, idempotencyKey: key, state: .attempting, origin: .init(partition: 0, offset: 0)),
            JobLedgerEntry(
                job: JobReference(tenantID: Self.awkward, jobID: "inv/2"),
                idempotencyKey: key,
                state: .submitted,
                faxID: F.faxID,
                firstAttemptAt: F.occurredAt,
                submittedAt: F.occurredAt.addingTimeInterval(2),
                attempt: 4,
                pages: 9,
                origin: .init(partition: 1023, offset: Int64.max)
            ),
            JobLedgerEntry(job: F.job, idempotencyKey: key, state: .notSent),
        ]
        for entry in entries {
            #expect(entry.jsonBytes().utf8String == (try Self.encoded(entry)).utf8String)
        }
    }

    // MARK: Reading back

    private static func statusEvents() -> [StatusEvent] {
        let error = ErrorInfo(code: "invalid_number", message: "The to field is not a valid number.", retryable: false, httpStatus: 422)
        return [
            F.worker.submitted(F.job, faxID: F.faxID, attempt: 1, occurredAt: F.occurredAt),
            F.worker.retrying(
                F.job,
                attempt: 3,
                error: error,
                nextAttemptAt: F.occurredAt.addingTimeInterval(61),
                occurredAt: F.occurredAt
            ),
            F.worker.rejected(F.job, error: error, attempt: nil, occurredAt: F.occurredAt),
            F.webhook.delivered(F.job, faxID: F.faxID, pages: 12, attempt: 2, occurredAt: F.occurredAt),
            F.worker.rejected(JobReference(tenantID: "acme", jobID: Self.awkward), error: error, attempt: 1, occurredAt: F.occurredAt),
        ]
    }

    /// `FlatJSON.trailingString` names the last member's string only when no quote can be inside a
    /// string (no escapes) and the key is the last one and only there.
    @Test func theTrailingStringIsReadFromTheEndOnlyWhenCertain() {
        let cases: [(String, String?)] = [
            (#"{"a":"x","type":"fax.queued"}"#, "fax.queued"),
            (#"{"type":"usage.hold"}"#, "usage.hold"),
            (#"{"note":"a type","type":"t"}"#, "t"),
            (#"{"type":"t","a":"x"}"#, nil),
            (#"{"a":"\"","type":"t"}"#, nil),
            (#"{"a":"x","type":"t\u0022"}"#, nil),
            (#"{"type":"u","type":"t"}"#, nil),
            (#"{"x":{"type":"t"}}"#, nil),
            (#"{"atype":"t"}"#, nil),
            (#"{"a":1,"type":5}"#, nil),
            (#""type":"t"}"#, nil),
            (#"}"#, nil),
            ("", nil),
        ]
        for (value, type) in cases {
            #expect(FlatJSON.trailingString(Array(value.utf8), key: "type") == type, "\(value)")
        }
        for event in Self.statusEvents() {
            #expect(
                FlatJSON.trailingString(event.jsonBytes(), key: "type")
                    == (FlatJSON.fields(event.jsonBytes()) != nil ? event.type.rawValue : nil)
            )
        }
    }

    @Test func statusEventsReadBackAsJSONDecoderReadsThem() throws {
        for (index, event) in Self.statusEvents().enumerated() {
            let bytes = event.jsonBytes()
            #expect((FlatJSON.fields(bytes) != nil) == (index < 4), "records without escapes take the fast path")
            #expect(StatusEvent.parse(bytes) == event)
            #expect(StatusEvent.parse(bytes) == (try JSONDecoder().decode(StatusEvent.self, from: Data(bytes))))
        }
        let submitted = Self.statusEvents()[0].jsonBytes().utf8String
        // Written otherwise than faxd writes: white space, an extra key, wrong types, a missing key.
        let variants = [
            submitted.replacingOccurrences(of: ",", with: ", "),
            submitted.replacingOccurrences(of: "{", with: "{\"extra\":[1,2],"),
            submitted.replacingOccurrences(of: "\"attempt\":1", with: "\"attempt\":\"1\""),
            submitted.replacingOccurrences(of: "\"attempt\":1", with: "\"attempt\":1.0"),
            submitted.replacingOccurrences(of: "\"attempt\":1", with: "\"attempt\":99999999999999999999"),
            submitted.replacingOccurrences(of: "\"error\":null", with: "\"error\":{\"code\":\"c\",\"message\":\"m\",\"retryable\":1}"),
            submitted.replacingOccurrences(of: "\"source\":\"worker\",", with: ""),
            submitted.replacingOccurrences(of: "2026-11-27T10:30:05Z", with: "yesterday"),
            submitted.replacingOccurrences(of: "\"pages\":null", with: "\"pages\":null,\"pages\":3"),
            "not json",
        ]
        for variant in variants {
            let bytes = Array(variant.utf8)
            #expect(StatusEvent.parse(bytes) == (try? JSONDecoder().decode(StatusEvent.self, from: Data(bytes))), "\(variant)")
        }
    }

    @Test func usageEventsReadBackAsJSONDecoderReadsThem() throws {
        let events = [
            F.worker.usageHold(F.job, faxID: F.faxID, pages: nil, occurredAt: F.occurredAt),
            F.worker.usageCapture(F.job, faxID: F.faxID, pages: 3, occurredAt: F.occurredAt),
            F.worker.usageBalance(tenantID: "acme", crossingID: "x", available: -5, held: 0, occurredAt: F.occurredAt),
            F.worker.usageHold(JobReference(tenantID: "acme", jobID: Self.awkward), faxID: F.faxID, pages: 1, occurredAt: F.occurredAt),
        ]
        for event in events {
            let bytes = event.jsonBytes()
            #expect(UsageEvent.parse(bytes) == event)
            #expect(UsageEvent.parse(bytes) == (try JSONDecoder().decode(UsageEvent.self, from: Data(bytes))))
        }
        let hold = events[0].jsonBytes().utf8String
        for variant in [
            hold.replacingOccurrences(of: "\"pages\":null", with: "\"pages\":true"), hold.replacingOccurrences(of: "}", with: "} "),
        ] {
            let bytes = Array(variant.utf8)
            #expect(UsageEvent.parse(bytes) == (try? JSONDecoder().decode(UsageEvent.self, from: Data(bytes))), "\(variant)")
        }
    }

    /// `date` as `JSONWriter.field(_:milliseconds:)` writes it: `{"ts":"…"}`.
    private static func milliseconds(_ date: Date) -> String {
        var json = JSONWriter()
        json.beginObject()
        json.field("ts", milliseconds: date)
        json.endObject()
        return String(decoding: json.bytes, as: UTF8.self)
    }

    @Test func timestampsWithMilliseconds() {
        #expect(Self.milliseconds(Date(timeIntervalSince1970: 1_795_775_405.042)) == #"{"ts":"2026-11-27T10:30:05.042Z"}"#)
        #expect(Self.milliseconds(Date(timeIntervalSince1970: 0)) == #"{"ts":"1970-01-01T00:00:00.000Z"}"#)
        #expect(Self.milliseconds(Date(timeIntervalSince1970: -1.5)) == #"{"ts":"1969-12-31T23:59:58.500Z"}"#)
        #expect(RFC3339Timestamp.format(wholeSeconds: Date(timeIntervalSince1970: 1_795_775_405.999)) == "2026-11-27T10:30:05Z")
    }

    @Test(arguments: [0, 7, -7, 10, -10, 1_234_567_890, Int64.max, Int64.min])
    func integersAreTheirDecimalDigits(value: Int64) {
        var json = JSONWriter()
        json.beginArray()
        json.integer(value)
        json.integer(UInt64(value.magnitude))
        json.endArray()
        json.endLine()
        #expect(String(decoding: json.bytes, as: UTF8.self) == "[\(value),\(value.magnitude)]\n")
    }
}

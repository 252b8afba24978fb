import FaxdCore
import Foundation
import Testing

@Suite struct EventCodingTests {
    private typealias F = EventFixtures

    @Test func statusEventsRoundTrip() throws {
        let error = ErrorInfo(
            code: "connect_failed",
            message: "Could not connect to mintfax.",
            retryable: true,
            httpStatus: nil
        )
        let events = [
            F.worker.submitted(F.job, faxID: F.faxID, attempt: 1, occurredAt: F.occurredAt),
            F.worker.retrying(
                F.job,
                attempt: 1,
                error: error,
                nextAttemptAt: F.occurredAt.addingTimeInterval(1.9),
                occurredAt: F.occurredAt
            ),
            F.webhook.delivered(F.job, faxID: F.faxID, pages: 2, attempt: 1, occurredAt: F.occurredAt),
        ]
        for event in events {
            #expect(try JSONDecoder().decode(StatusEvent.self, from: Data(event.jsonBytes())) == event)
        }
    }

    @Test func usageEventsRoundTrip() throws {
        let events = [
            F.worker.usageHold(F.job, faxID: F.faxID, pages: nil, occurredAt: F.occurredAt),
            F.worker.usageBalance(tenantID: "acme", crossingID: "x", available: 1, held: 2, occurredAt: F.occurredAt),
        ]
        for event in events {
            #expect(try JSONDecoder().decode(UsageEvent.self, from: Data(event.jsonBytes())) == event)
        }
    }

    @Test func timestampsKeepWholeSeconds() {
        let event = F.worker.retrying(
            F.job,
            attempt: 1,
            error: ErrorInfo(code: "c", message: "m", retryable: true, httpStatus: nil),
            nextAttemptAt: Date(timeIntervalSince1970: 10.999),
            occurredAt: Date(timeIntervalSince1970: 5.5)
        )
        #expect(event.occurredAt == Date(timeIntervalSince1970: 5))
        #expect(event.nextAttemptAt == Date(timeIntervalSince1970: 10))
    }

    @Test func decodingAcceptsFractionalTimestampsAndUnknownKinds() throws {
        let json =
            #"{"event_id":"E6002683-49C9-53B6-8104-3A2C7B190A54","type":"fax.rescheduled","tenant_id":"acme","job_id":"inv-1","idempotency_key":"c020cab0-5fa5-575d-8617-acd6fc49e2c0","fax_id":null,"occurred_at":"2026-11-27T10:30:05.250Z","attempt":null,"pages":null,"error":null,"source":"operator"}"#
        let event = try JSONDecoder().decode(StatusEvent.self, from: Data(json.utf8))
        #expect(event.type.rawValue == "fax.rescheduled" && event.source.rawValue == "operator")
        #expect(event.occurredAt == Date(timeIntervalSince1970: 1_795_775_405))
        #expect(event.eventID.description == "e6002683-49c9-53b6-8104-3a2c7b190a54")
    }

    @Test func decodingRefusesABadTimestampOrUUID() {
        let badTime =
            #"{"event_id":"e6002683-49c9-53b6-8104-3a2c7b190a54","type":"usage.hold","tenant_id":"acme","environment":"live","occurred_at":"yesterday"}"#
        let badID =
            #"{"event_id":"nope","type":"usage.hold","tenant_id":"acme","environment":"live","occurred_at":"2026-11-27T10:30:05Z"}"#
        #expect(throws: DecodingError.self) { try JSONDecoder().decode(UsageEvent.self, from: Data(badTime.utf8)) }
        #expect(throws: DecodingError.self) { try JSONDecoder().decode(UsageEvent.self, from: Data(badID.utf8)) }
    }

    @Test func kindsHaveTheDocumentedNames() {
        let status: [StatusEvent.Kind] = [
            .submitted, .retrying, .rejected, .deadLettered, .expired, .queued, .sending, .delivered, .failed,
        ]
        #expect(
            status.map(\.rawValue) == [
                "fax.submitted", "fax.retrying", "fax.rejected", "fax.dead_lettered", "fax.expired", "fax.queued",
                "fax.sending",
                "fax.delivered", "fax.failed",
            ]
        )
        let usage: [UsageEvent.Kind] = [.hold, .capture, .release, .balance]
        #expect(usage.map(\.rawValue) == ["usage.hold", "usage.capture", "usage.release", "usage.balance"])
        #expect(
            [StatusEvent.Source.worker, .webhook, .reconciler].map(\.rawValue) == ["worker", "webhook", "reconciler"]
        )
        #expect([UsageEvent.Environment.sandbox, .live].map(\.rawValue) == ["sandbox", "live"])
    }

    @Test func nonASCIIAndSlashesAreWrittenAsIs() {
        let job = JobReference(tenantID: "t", jobID: "ü-日本/1")
        let event = F.worker.expired(job, attempt: nil, occurredAt: F.occurredAt)
        #expect(event.jsonBytes().utf8String.contains(#""job_id":"ü-日本/1""#))
        #expect(event.idempotencyKey == IdempotencyKey(tenantID: "t", jobID: "ü-日本/1").uuid)
    }
}

import FaxdCore
import Foundation
import Testing

/// Golden JSON generated independently (Python: `uuid.uuid5` and `json.dumps(sort_keys=True)`) from the
/// rules of DESIGN §4 and §5 and the discriminators documented on `EventFactory`.
@Suite struct EventFactoryTests {
    private typealias F = EventFixtures
    private static let key = "c020cab0-5fa5-575d-8617-acd6fc49e2c0"
    private static let e503 = ErrorInfo(
        code: "http_503",
        message: "mintfax answered HTTP 503 without a readable error body.",
        retryable: true,
        httpStatus: 503
    )

    @Test func submitted() {
        let event = F.worker.submitted(F.job, faxID: F.faxID, attempt: 1, occurredAt: F.occurredAt)
        #expect(
            event.jsonBytes().utf8String
                == #"{"attempt":1,"error":null,"event_id":"e6002683-49c9-53b6-8104-3a2c7b190a54","fax_id":"fax_4kT9sLq2Zr8WbN1xYc7VmD","idempotency_key":"c020cab0-5fa5-575d-8617-acd6fc49e2c0","job_id":"inv-1","occurred_at":"2026-11-27T10:30:05Z","pages":null,"source":"worker","tenant_id":"acme","type":"fax.submitted"}"#
        )
    }

    @Test func retrying() {
        let event = F.worker.retrying(
            F.job,
            attempt: 2,
            error: Self.e503,
            nextAttemptAt: F.occurredAt.addingTimeInterval(2),
            occurredAt: F.occurredAt
        )
        #expect(
            event.jsonBytes().utf8String
                == #"{"attempt":2,"error":{"code":"http_503","http_status":503,"message":"mintfax answered HTTP 503 without a readable error body.","retryable":true},"event_id":"d1bab5dc-b551-5748-bdc8-17d9ddd82251","fax_id":null,"idempotency_key":"c020cab0-5fa5-575d-8617-acd6fc49e2c0","job_id":"inv-1","next_attempt_at":"2026-11-27T10:30:07Z","occurred_at":"2026-11-27T10:30:05Z","pages":null,"source":"worker","tenant_id":"acme","type":"fax.retrying"}"#
        )
    }

    @Test func rejected() {
        let error = ErrorInfo(
            code: "validation_failed",
            message: "The to field is required.",
            retryable: false,
            httpStatus: 422
        )
        let event = F.worker.rejected(F.job, error: error, attempt: 1, occurredAt: F.occurredAt)
        #expect(
            event.jsonBytes().utf8String
                == #"{"attempt":1,"error":{"code":"validation_failed","http_status":422,"message":"The to field is required.","retryable":false},"event_id":"8c18443d-e0c2-5afa-9346-16452e8de194","fax_id":null,"idempotency_key":"c020cab0-5fa5-575d-8617-acd6fc49e2c0","job_id":"inv-1","occurred_at":"2026-11-27T10:30:05Z","pages":null,"source":"worker","tenant_id":"acme","type":"fax.rejected"}"#
        )
    }

    @Test func rejectedStraightFromAnInvalidRecordHasNoFax() throws {
        let record = #"{"job_id":"inv-1","tenant_id":"acme","to":"+12125551234"}"#
        let rejection = try #require(Job.parse(value: Array(record.utf8), key: Array("acme".utf8)).failure)
        let job = try #require(rejection.reference)
        let event = F.worker.rejected(job, error: rejection.errorInfo, attempt: nil, occurredAt: F.occurredAt)
        #expect(event.faxID == nil && event.attempt == nil && event.type == .rejected)
        #expect(event.error?.code == "missing_field")
        let json = event.jsonBytes().utf8String
        #expect(json.contains(#""fax_id":null"#) && json.contains(#""attempt":null"#))
        #expect(json.contains(#""event_id":"8c18443d-e0c2-5afa-9346-16452e8de194""#), "one rejected event per job")
    }

    @Test func deadLettered() {
        let error = ErrorInfo(code: "insufficient_balance", message: "Top up.", retryable: false, httpStatus: 402)
        let event = F.worker.deadLettered(F.job, error: error, attempt: 1, occurredAt: F.occurredAt)
        #expect(
            event.jsonBytes().utf8String
                == #"{"attempt":1,"error":{"code":"insufficient_balance","http_status":402,"message":"Top up.","retryable":false},"event_id":"8acbd4d7-6618-583a-8ec9-06380357b7b4","fax_id":null,"idempotency_key":"c020cab0-5fa5-575d-8617-acd6fc49e2c0","job_id":"inv-1","occurred_at":"2026-11-27T10:30:05Z","pages":null,"source":"worker","tenant_id":"acme","type":"fax.dead_lettered"}"#
        )
    }

    @Test func expired() {
        let event = F.worker.expired(F.job, attempt: nil, occurredAt: F.occurredAt)
        #expect(
            event.jsonBytes().utf8String
                == #"{"attempt":null,"error":{"code":"deadline_passed","http_status":null,"message":"The job's deadline passed before it was submitted.","retryable":false},"event_id":"665c1b96-0046-55fb-bacd-d2c2d78c63e6","fax_id":null,"idempotency_key":"c020cab0-5fa5-575d-8617-acd6fc49e2c0","job_id":"inv-1","occurred_at":"2026-11-27T10:30:05Z","pages":null,"source":"worker","tenant_id":"acme","type":"fax.expired"}"#
        )
    }

    @Test func queued() {
        let event = F.webhook.queued(F.job, faxID: F.faxID, occurredAt: F.occurredAt)
        #expect(
            event.jsonBytes().utf8String
                == #"{"attempt":null,"error":null,"event_id":"722130e8-7bee-58f4-ac95-f9bbc1c2b403","fax_id":"fax_4kT9sLq2Zr8WbN1xYc7VmD","idempotency_key":"c020cab0-5fa5-575d-8617-acd6fc49e2c0","job_id":"inv-1","occurred_at":"2026-11-27T10:30:05Z","pages":null,"source":"webhook","tenant_id":"acme","type":"fax.queued"}"#
        )
    }

    @Test func sending() {
        let event = F.webhook.sending(F.job, faxID: F.faxID, attempt: 2, occurredAt: F.occurredAt)
        #expect(
            event.jsonBytes().utf8String
                == #"{"attempt":2,"error":null,"event_id":"219c115f-ea94-546b-ba11-5e75c4fa9b2a","fax_id":"fax_4kT9sLq2Zr8WbN1xYc7VmD","idempotency_key":"c020cab0-5fa5-575d-8617-acd6fc49e2c0","job_id":"inv-1","occurred_at":"2026-11-27T10:30:05Z","pages":null,"source":"webhook","tenant_id":"acme","type":"fax.sending"}"#
        )
    }

    @Test func delivered() {
        let event = F.webhook.delivered(F.job, faxID: F.faxID, pages: 3, occurredAt: F.occurredAt)
        #expect(
            event.jsonBytes().utf8String
                == #"{"attempt":null,"error":null,"event_id":"b8b19c08-bef9-56cf-8fb7-0cc7cc2e2c25","fax_id":"fax_4kT9sLq2Zr8WbN1xYc7VmD","idempotency_key":"c020cab0-5fa5-575d-8617-acd6fc49e2c0","job_id":"inv-1","occurred_at":"2026-11-27T10:30:05Z","pages":3,"source":"webhook","tenant_id":"acme","type":"fax.delivered"}"#
        )
    }

    @Test func failed() {
        let error = ErrorInfo(code: "no_answer", message: "The line rang out.", retryable: false, httpStatus: nil)
        let event = F.webhook.failed(F.job, faxID: F.faxID, error: error, occurredAt: F.occurredAt)
        #expect(
            event.jsonBytes().utf8String
                == #"{"attempt":null,"error":{"code":"no_answer","http_status":null,"message":"The line rang out.","retryable":false},"event_id":"7014997b-0e4f-5073-8c81-82c6b837f9b5","fax_id":"fax_4kT9sLq2Zr8WbN1xYc7VmD","idempotency_key":"c020cab0-5fa5-575d-8617-acd6fc49e2c0","job_id":"inv-1","occurred_at":"2026-11-27T10:30:05Z","pages":null,"source":"webhook","tenant_id":"acme","type":"fax.failed"}"#
        )
    }

    @Test func usageHold() {
        let event = F.worker.usageHold(F.job, faxID: F.faxID, pages: nil, occurredAt: F.occurredAt)
        #expect(
            event.jsonBytes().utf8String
                == #"{"environment":"live","event_id":"c18248e3-a146-5cf1-9166-5ffdb22daa65","fax_id":"fax_4kT9sLq2Zr8WbN1xYc7VmD","job_id":"inv-1","occurred_at":"2026-11-27T10:30:05Z","pages":null,"tenant_id":"acme","type":"usage.hold"}"#
        )
    }

    @Test func usageCapture() {
        let event = F.webhook.usageCapture(F.job, faxID: F.faxID, pages: 3, occurredAt: F.occurredAt)
        #expect(
            event.jsonBytes().utf8String
                == #"{"environment":"live","event_id":"9df18eed-ae64-5fc8-ab60-48e9193324b4","fax_id":"fax_4kT9sLq2Zr8WbN1xYc7VmD","job_id":"inv-1","occurred_at":"2026-11-27T10:30:05Z","pages":3,"tenant_id":"acme","type":"usage.capture"}"#
        )
    }

    @Test func usageRelease() {
        let event = F.webhook.usageRelease(F.job, faxID: F.faxID, pages: nil, occurredAt: F.occurredAt)
        #expect(
            event.jsonBytes().utf8String
                == #"{"environment":"live","event_id":"a63b3ec1-490e-5975-bd3f-4d9a1ffbe5e2","fax_id":"fax_4kT9sLq2Zr8WbN1xYc7VmD","job_id":"inv-1","occurred_at":"2026-11-27T10:30:05Z","pages":null,"tenant_id":"acme","type":"usage.release"}"#
        )
    }

    @Test func usageBalance() {
        let event = F.worker.usageBalance(
            tenantID: "acme",
            crossingID: "below-5000@2026-11-27",
            available: 4210,
            held: 150,
            occurredAt: F.occurredAt
        )
        #expect(
            event.jsonBytes().utf8String
                == #"{"available":4210,"environment":"live","event_id":"32ecf27a-9caf-514a-aa76-16bbe93fe5cd","fax_id":null,"held":150,"job_id":null,"occurred_at":"2026-11-27T10:30:05Z","pages":null,"tenant_id":"acme","type":"usage.balance"}"#
        )
    }

    // MARK: Determinism

    @Test func identicalInputsGiveByteIdenticalEvents() {
        let first = EventFactory(source: .worker, environment: .sandbox)
        let second = EventFactory(source: .worker, environment: .sandbox)
        for _ in 0..<3 {
            #expect(
                first.retrying(
                    F.job,
                    attempt: 3,
                    error: Self.e503,
                    nextAttemptAt: F.occurredAt,
                    occurredAt: F.occurredAt
                ).jsonBytes()
                    == second.retrying(
                        F.job,
                        attempt: 3,
                        error: Self.e503,
                        nextAttemptAt: F.occurredAt,
                        occurredAt: F.occurredAt
                    ).jsonBytes()
            )
            #expect(
                first.usageHold(F.job, faxID: F.faxID, pages: 2, occurredAt: F.occurredAt).jsonBytes()
                    == second.usageHold(F.job, faxID: F.faxID, pages: 2, occurredAt: F.occurredAt).jsonBytes()
            )
        }
    }

    @Test func theWebhookAndTheReconcilerDeriveTheSameIDForTheSameFact() {
        let reconciler = EventFactory(source: .reconciler, environment: .live)
        let viaWebhook = F.webhook.delivered(F.job, faxID: F.faxID, pages: 3, occurredAt: F.occurredAt)
        let viaReconciler = reconciler.delivered(
            F.job,
            faxID: F.faxID,
            pages: 3,
            occurredAt: F.occurredAt.addingTimeInterval(60)
        )
        #expect(viaWebhook.eventID == viaReconciler.eventID)
    }

    @Test func idsDifferPerDiscriminator() {
        let retries = (1...5).map {
            F.worker.retrying(
                F.job,
                attempt: $0,
                error: Self.e503,
                nextAttemptAt: F.occurredAt,
                occurredAt: F.occurredAt
            ).eventID
        }
        #expect(Set(retries).count == 5)
        let sends = (1...3).map {
            F.webhook.sending(F.job, faxID: F.faxID, attempt: $0, occurredAt: F.occurredAt).eventID
        }
        #expect(Set(sends).count == 3)
        #expect(
            F.webhook.queued(F.job, faxID: "fax_A", occurredAt: F.occurredAt).eventID
                != F.webhook.queued(F.job, faxID: "fax_B", occurredAt: F.occurredAt).eventID
        )
        #expect(
            F.worker.usageBalance(tenantID: "acme", crossingID: "1", available: 0, held: 0, occurredAt: F.occurredAt)
                .eventID
                != F.worker.usageBalance(
                    tenantID: "globex",
                    crossingID: "1",
                    available: 0,
                    held: 0,
                    occurredAt: F.occurredAt
                ).eventID
        )
    }

    @Test func theNamespaceChangesKeysAndEventIDs() throws {
        let namespace = try #require(UUIDv5("6ba7b811-9dad-11d1-80b4-00c04fd430c8"))
        let factory = EventFactory(namespace: namespace, source: .worker, environment: .live)
        let event = factory.submitted(F.job, faxID: F.faxID, attempt: 1, occurredAt: F.occurredAt)
        #expect(event.idempotencyKey == IdempotencyKey(tenantID: "acme", jobID: "inv-1", namespace: namespace).uuid)
        #expect(
            event.eventID == UUIDv5(namespace: namespace, name: event.idempotencyKey.description + ":fax.submitted:1")
        )
        #expect(
            event.eventID != F.worker.submitted(F.job, faxID: F.faxID, attempt: 1, occurredAt: F.occurredAt).eventID
        )
    }

    @Test func eventIDsFollowTheDocumentedFormula() {
        let event = F.webhook.sending(F.job, faxID: F.faxID, attempt: 4, occurredAt: F.occurredAt)
        #expect(
            event.eventID
                == UUIDv5(namespace: IdempotencyKey.defaultNamespace, name: "\(Self.key):fax.sending:\(F.faxID):4")
        )
    }
}

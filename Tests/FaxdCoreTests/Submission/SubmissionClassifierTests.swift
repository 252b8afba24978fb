import FaxdCore
import Testing

@Suite struct SubmissionClassifierTests {
    private static func envelope(_ code: String, _ message: String = "Something happened.") -> String {
        #"{"error":"\#(code)","message":"\#(message)","action":"x","docs":"https://mintfax.com/docs/errors/x","request_id":"req_01JA2B5M2N8P4Q6R0S3T7V9WXY"}"#
    }

    private static func classify(
        _ status: Int,
        _ body: String,
        retryAfter: String? = nil,
        replayed: Bool = false
    )
        -> SubmissionOutcome
    {
        SubmissionClassifier.classify(
            .response(
                SubmissionResponse(status: status, body: Array(body.utf8), retryAfter: retryAfter, replayed: replayed)
            )
        )
    }

    private static let created =
        #"{"id":"fax_4kT9sLq2Zr8WbN1xYc7VmD","status":"queued","to":"+15005550001","tags":{},"created_at":"2026-05-20T16:04:11Z"}"#

    @Test(arguments: [
        (201, false, SubmissionOutcome.submitted(faxID: "fax_4kT9sLq2Zr8WbN1xYc7VmD", replayed: false)),
        (201, true, .submitted(faxID: "fax_4kT9sLq2Zr8WbN1xYc7VmD", replayed: true)),
        (200, false, .submitted(faxID: "fax_4kT9sLq2Zr8WbN1xYc7VmD", replayed: true)),
    ])
    func successCarriesTheFaxID(status: Int, replayFlag: Bool, outcome: SubmissionOutcome) {
        #expect(Self.classify(status, Self.created, replayed: replayFlag) == outcome)
    }

    @Test(arguments: ["", "{}", #"{"id":""}"#, #"{"id":42}"#, "<html>ok</html>"])
    func successWithoutAFaxIDIsRetried(body: String) throws {
        let outcome = Self.classify(201, body)
        guard case .retry(let error, let notBefore) = outcome else {
            Issue.record("expected retry, got \(outcome)")
            return
        }
        #expect(error.code == "missing_fax_id" && error.retryable && error.httpStatus == 201 && notBefore == nil)
    }

    /// The table of DESIGN §6 step 4: status, mintfax code, Retry-After → outcome kind, code, floor.
    @Test(
        arguments: [
            (409, "idempotency_key_in_progress", nil, "retry", "idempotency_key_in_progress", nil),
            (429, "rate_limit_exceeded", "34", "retry", "rate_limit_exceeded", 34),
            (429, "rate_limit_exceeded", nil, "retry", "rate_limit_exceeded", nil),
            (429, "rate_limit_exceeded", "Wed, 21 Oct 2026 07:28:00 GMT", "retry", "rate_limit_exceeded", nil),
            (500, "", nil, "retry", "http_500", nil),
            (502, "", nil, "retry", "http_502", nil),
            (503, "", "5", "retry", "http_503", 5),
            (504, "", nil, "retry", "http_504", nil),
            (507, "", nil, "retry", "http_507", nil),
            (408, "", nil, "retry", "http_408", nil),
            (302, "", nil, "retry", "http_302", nil),
            (409, "", nil, "retry", "http_409", nil),
            (400, "", nil, "rejected", "http_400", nil),
            (404, "", nil, "rejected", "http_404", nil),
            (410, "", nil, "rejected", "http_410", nil),
            (413, "", nil, "rejected", "http_413", nil),
            (422, "validation_failed", nil, "rejected", "validation_failed", nil),
            (409, "idempotency_key_reuse", nil, "rejected", "idempotency_key_reuse", nil),
            (401, "unauthenticated", nil, "park", "unauthenticated", nil),
            (402, "insufficient_balance", nil, "park", "insufficient_balance", nil),
            (403, "account_not_activated", nil, "park", "account_not_activated", nil),
            (403, "", nil, "park", "http_403", nil),
        ] as [(Int, String, String?, String, String, Int?)]
    )
    func failuresAreClassified(
        status: Int,
        code: String,
        retryAfter: String?,
        kind: String,
        errorCode: String,
        floor: Int?
    ) {
        let body = code.isEmpty ? "<html>Bad Gateway</html>" : Self.envelope(code)
        let outcome = Self.classify(status, body, retryAfter: retryAfter)
        let error = outcome.error
        #expect(error?.code == errorCode)
        #expect(error?.httpStatus == status)
        switch outcome {
        case .retry(let error, let notBefore):
            #expect(kind == "retry")
            #expect(error.retryable)
            #expect(notBefore == floor.map { .seconds($0) })
        case .rejected(let error):
            #expect(kind == "rejected")
            #expect(!error.retryable)
        case .park(let error, let tenantCircuit):
            #expect(kind == "park")
            #expect(!error.retryable && tenantCircuit)
        case .submitted:
            Issue.record("\(status) is not a success")
        }
    }

    @Test func theEnvelopesMessageBecomesTheEventMessage() {
        let outcome = Self.classify(422, Self.envelope("validation_failed", "The to field is required."))
        #expect(
            outcome
                == .rejected(
                    ErrorInfo(
                        code: "validation_failed",
                        message: "The to field is required.",
                        retryable: false,
                        httpStatus: 422
                    )
                )
        )
    }

    @Test(arguments: TransportFailure.allCases)
    func transportFailuresAreRetried(failure: TransportFailure) {
        let outcome = SubmissionClassifier.classify(.transportFailure(failure))
        #expect(
            outcome
                == .retry(
                    ErrorInfo(code: failure.code, message: failure.message, retryable: true, httpStatus: nil),
                    notBefore: nil
                )
        )
    }

    @Test func transportCodesAreDistinct() {
        #expect(Set(TransportFailure.allCases.map(\.code)).count == TransportFailure.allCases.count)
    }

    @Test(arguments: [
        ("34", 34), (" 7 ", 7), ("0", 0), ("120", 120),
    ])
    func retryAfterIsWholeSeconds(value: String, seconds: Int) {
        #expect(SubmissionResponse.wholeSeconds(value) == .seconds(seconds))
    }

    @Test(arguments: ["", " ", "-1", "+5", "1.5", "3s", "Wed, 21 Oct 2026 07:28:00 GMT", "9999999999", "٣"])
    func retryAfterIgnoresAnythingElse(value: String) {
        #expect(SubmissionResponse.wholeSeconds(value) == nil)
    }

    @Test(arguments: [
        (SubmissionResult.transportFailure(.connect), false), (.transportFailure(.tls), false), (.transportFailure(.timeout), true),
        (.transportFailure(.droppedConnection), true), (.transportFailure(.other), true),
        (.response(SubmissionResponse(status: 201, body: [])), true), (.response(SubmissionResponse(status: 503, body: [])), true),
        (.response(SubmissionResponse(status: 409, body: [])), true), (.response(SubmissionResponse(status: 429, body: [])), false),
        (.response(SubmissionResponse(status: 402, body: [])), false), (.response(SubmissionResponse(status: 422, body: [])), false),
    ])
    func onlyAConnectionNeverMadeOrARefusalProvesNoFaxWasCreated(result: SubmissionResult, mayHaveCreated: Bool) {
        #expect(result.mayHaveCreatedFax == mayHaveCreated)
    }
}

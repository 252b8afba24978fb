import FaxdCore
import Foundation
import Testing

@Suite struct DeadLetterSelectionTests {
    private static let noon = RFC3339Timestamp.parse("2026-11-27T12:00:00Z")!

    @Test func everythingParkedIsRedrivenByDefault() {
        let selection = DeadLetterSelection()
        for code in ["unknown_tenant", "unauthenticated", "account_not_activated", "insufficient_balance", "retry_budget_exhausted"] {
            #expect(selection.verdict(tenant: "acme", errorCode: code, writtenAt: Self.noon) == .redrive, "\(code)")
        }
        #expect(selection.verdict(tenant: nil, errorCode: nil, writtenAt: nil) == .redrive)
    }

    @Test func rejectedJobsAreSkippedUnlessIncluded() {
        #expect(DeadLetterSelection().verdict(tenant: "acme", errorCode: "validation_failed", writtenAt: nil) == .skipRejected)
        #expect(DeadLetterSelection().verdict(tenant: "acme", errorCode: "not_json", writtenAt: nil) == .skipRejected)
        let including = DeadLetterSelection(includeRejected: true)
        #expect(including.verdict(tenant: "acme", errorCode: "validation_failed", writtenAt: nil) == .redrive)
    }

    @Test func tenantAndErrorCodeFiltersMustBothMatch() {
        let selection = DeadLetterSelection(tenants: ["acme", "globex"], errorCodes: ["insufficient_balance"])
        #expect(selection.verdict(tenant: "acme", errorCode: "insufficient_balance", writtenAt: nil) == .redrive)
        #expect(selection.verdict(tenant: "globex", errorCode: "insufficient_balance", writtenAt: nil) == .redrive)
        #expect(selection.verdict(tenant: "initech", errorCode: "insufficient_balance", writtenAt: nil) == .notSelected)
        #expect(selection.verdict(tenant: "acme", errorCode: "unauthenticated", writtenAt: nil) == .notSelected)
        #expect(selection.verdict(tenant: nil, errorCode: "insufficient_balance", writtenAt: nil) == .notSelected)
        #expect(selection.verdict(tenant: "acme", errorCode: nil, writtenAt: nil) == .notSelected)
    }

    @Test func aRejectionCodeAskedForByNameIsStillSkippedWithoutIncludeRejected() {
        let selection = DeadLetterSelection(errorCodes: ["validation_failed"])
        #expect(selection.verdict(tenant: "acme", errorCode: "validation_failed", writtenAt: nil) == .skipRejected)
    }

    @Test func theTimeWindowIncludesSinceAndExcludesUntil() {
        let selection = DeadLetterSelection(since: Self.noon, until: Self.noon.addingTimeInterval(3600))
        #expect(selection.verdict(tenant: "acme", errorCode: "unknown_tenant", writtenAt: Self.noon) == .redrive)
        #expect(
            selection.verdict(tenant: "acme", errorCode: "unknown_tenant", writtenAt: Self.noon.addingTimeInterval(-0.001)) == .notSelected
        )
        #expect(selection.verdict(tenant: "acme", errorCode: "unknown_tenant", writtenAt: Self.noon.addingTimeInterval(3599)) == .redrive)
        #expect(
            selection.verdict(tenant: "acme", errorCode: "unknown_tenant", writtenAt: Self.noon.addingTimeInterval(3600)) == .notSelected
        )
        #expect(selection.verdict(tenant: "acme", errorCode: "unknown_tenant", writtenAt: nil) == .notSelected)
    }

    @Test func everyJobRejectionCodeIsARejection() {
        let codes: [JobRejection.Code] = [
            .notJSON, .notAnObject, .missingField, .invalidField, .tenantKeyMismatch, .documentTooLarge, .unsupportedDocumentType,
        ]
        for code in codes { #expect(DeadLetterSelection.isRejection(code.rawValue), "\(code)") }
    }

    /// The selection agrees with the classifier: what it rejects is a rejection, what it parks is not.
    @Test(arguments: Array(400..<500))
    func mintfaxAnswersWithoutABodyAreRejectionsExactlyWhenTheClassifierRejectsThem(status: Int) {
        let outcome = SubmissionClassifier.classify(
            .response(SubmissionResponse(status: status, body: [], retryAfter: nil, replayed: false))
        )
        guard let code = outcome.error?.code else {
            Issue.record("no error for \(status)")
            return
        }
        switch outcome {
        case .rejected: #expect(DeadLetterSelection.isRejection(code), "\(status) \(code)")
        case .park, .retry: #expect(!DeadLetterSelection.isRejection(code), "\(status) \(code)")
        case .submitted: Issue.record("submitted for \(status)")
        }
    }

    @Test(arguments: [
        (422, "validation_failed", true), (409, "idempotency_key_reuse", true), (402, "insufficient_balance", false),
        (401, "unauthenticated", false), (403, "account_not_activated", false),
    ])
    func mintfaxCodesAreRejectionsExactlyWhenTheClassifierRejectsThem(status: Int, code: String, rejected: Bool) {
        let body = #"{"error":"\#(code)","message":"m"}"#
        let outcome = SubmissionClassifier.classify(
            .response(SubmissionResponse(status: status, body: Array(body.utf8), retryAfter: nil, replayed: false))
        )
        if case .rejected = outcome { #expect(rejected) } else { #expect(!rejected) }
        #expect(DeadLetterSelection.isRejection(code) == rejected)
    }
}

/// Classifies the result of `POST /v1/faxes` (DESIGN §6 step 4, API §2.1, §3, §7).
///
/// | answer | outcome |
/// |---|---|
/// | 2xx with a fax id | `submitted` (replayed when 200 or flagged as a replay) |
/// | 2xx without a fax id | `retry` (`missing_fax_id`): the replay of the same key returns the id |
/// | 401, 403 | `park`, tenant circuit open (credentials) |
/// | 402 | `park`, tenant circuit open (balance) |
/// | 408, 429 | `retry`, not before `Retry-After` when given |
/// | 409 `idempotency_key_reuse` | `rejected` |
/// | 409 with any other code | `retry` (`idempotency_key_in_progress`, or unknown: the budget bounds it) |
/// | any other 4xx (400, 404, 410, 413, 422, …) | `rejected` |
/// | 5xx, 1xx, 3xx, anything else | `retry`, not before `Retry-After` when given |
/// | transport failure | `retry` |
///
/// A retry is never a rejection of the job: unclear answers are retried under the same key until the
/// retry budget is spent, and then dead-lettered where an operator can re-drive them.
public enum SubmissionClassifier {
    public static func classify(_ result: SubmissionResult) -> SubmissionOutcome {
        switch result {
        case .transportFailure(let failure):
            return .retry(failure.errorInfo, notBefore: nil)
        case .response(let response):
            return classify(response)
        }
    }

    private static func classify(_ response: SubmissionResponse) -> SubmissionOutcome {
        let status = response.status
        if (200..<300).contains(status) {
            guard let faxID = response.faxID else {
                let message = "mintfax answered HTTP \(status) without a fax id."
                return .retry(
                    ErrorInfo(code: "missing_fax_id", message: message, retryable: true, httpStatus: status),
                    notBefore: nil
                )
            }
            return .submitted(faxID: faxID, replayed: status == 200 || response.replayed)
        }
        // Only an answer that is not a success is read as an error (every job's answer is classified).
        let envelope = response.error ?? MintfaxErrorEnvelope(body: [], status: status)
        let retry = SubmissionOutcome.retry(info(envelope, status, retryable: true), notBefore: response.retryAfter)
        switch status {
        case 401, 402, 403:
            return .park(info(envelope, status, retryable: false), tenantCircuit: true)
        case 408, 429:
            return retry
        case 409:
            return envelope.code == "idempotency_key_reuse"
                ? .rejected(info(envelope, status, retryable: false)) : retry
        case 400..<500:
            return .rejected(info(envelope, status, retryable: false))
        default:
            return retry
        }
    }

    private static func info(_ envelope: MintfaxErrorEnvelope, _ status: Int, retryable: Bool) -> ErrorInfo {
        ErrorInfo(code: envelope.code, message: envelope.message, retryable: retryable, httpStatus: status)
    }
}

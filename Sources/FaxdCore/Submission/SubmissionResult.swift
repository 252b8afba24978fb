/// What came back from one submission attempt: an HTTP answer or a failure below HTTP.
public enum SubmissionResult: Sendable, Hashable {
    case response(SubmissionResponse)
    case transportFailure(TransportFailure)
}

extension SubmissionResult {
    /// Whether mintfax may have created a fax for the request although the answer does not name one:
    /// no answer after the connection was made (a timeout, a dropped connection), a 2xx without a fax
    /// id, a 5xx or other unclear status, a 409 (the key is in use, or was used). A connection that
    /// never opened and a 4xx refusal (400, 401, 402, 403, 404, 422, 429, …) create none.
    public var mayHaveCreatedFax: Bool {
        switch self {
        case .transportFailure(let failure):
            return failure != .connect && failure != .tls
        case .response(let response):
            switch response.status {
            case 409: return true
            case 400..<500: return false
            default: return true
            }
        }
    }
}

extension SubmissionResult {
    /// Whether mintfax failed broadly rather than answering for the job: no answer at all (a failure
    /// below HTTP), a 5xx, or a 408. These feed the breakers; a 429 (the tenant's own rate) or any
    /// other answer shows mintfax is up.
    public var isBroadFailure: Bool {
        switch self {
        case .transportFailure: true
        case .response(let response): response.status >= 500 || response.status == 408
        }
    }
}

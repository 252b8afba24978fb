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

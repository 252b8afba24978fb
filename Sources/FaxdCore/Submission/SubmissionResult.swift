/// What came back from one submission attempt: an HTTP answer or a failure below HTTP.
public enum SubmissionResult: Sendable, Hashable {
    case response(SubmissionResponse)
    case transportFailure(TransportFailure)
}

/// How a request failed before an HTTP answer arrived. The request may or may not have reached mintfax;
/// retrying under the same idempotency key is safe either way.
public enum TransportFailure: String, Sendable, Hashable, CaseIterable {
    /// No connection could be made (DNS, refused, unreachable).
    case connect
    /// No complete answer within the timeout.
    case timeout
    /// The connection closed before the answer was complete.
    case droppedConnection
    /// The TLS handshake or the certificate check failed.
    case tls
    /// Any other failure below HTTP.
    case other

    /// The `error` of the `fax.retrying` event (retryable, no HTTP status).
    public var errorInfo: ErrorInfo {
        ErrorInfo(code: code, message: message, retryable: true, httpStatus: nil)
    }

    /// The `error.code` of the `fax.retrying` event.
    public var code: String {
        switch self {
        case .connect: "connect_failed"
        case .timeout: "timed_out"
        case .droppedConnection: "connection_dropped"
        case .tls: "tls_failed"
        case .other: "transport_failed"
        }
    }

    /// The `error.message` of the `fax.retrying` event.
    public var message: String {
        switch self {
        case .connect: "Could not connect to mintfax."
        case .timeout: "mintfax did not answer in time."
        case .droppedConnection: "The connection to mintfax closed before the answer was complete."
        case .tls: "The TLS handshake with mintfax failed."
        case .other: "The request to mintfax failed before an answer arrived."
        }
    }
}

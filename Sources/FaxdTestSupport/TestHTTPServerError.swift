/// Thrown by ``TestHTTPServer/withServer(_:)`` when the server cannot start.
public struct TestHTTPServerError: Error, Sendable, CustomStringConvertible {
    /// What went wrong.
    public let reason: String

    public var description: String { "TestHTTPServerError: \(reason)" }
}

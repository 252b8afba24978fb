public import ServiceLifecycle

/// One long-running part of a worker or of the ingress (the HTTP server, a topic reader, a periodic
/// loop) as a `Service`: it runs until it fails or its group's graceful shutdown reaches it, which
/// cancels it. A failure shuts the whole group down gracefully and is what the group throws.
public struct WorkerPart: Service, CustomStringConvertible {
    public let description: String
    private let body: @Sendable () async throws -> Void

    public init(_ name: String, _ body: @escaping @Sendable () async throws -> Void) {
        self.description = name
        self.body = body
    }

    public func run() async throws {
        do {
            try await cancelWhenGracefulShutdown(body)
        } catch is CancellationError {}
    }

    /// This part in a group: when it ends, failed or not, the group shuts down gracefully.
    public var inGroup: ServiceGroupConfiguration.ServiceConfiguration {
        .init(service: self, successTerminationBehavior: .gracefullyShutdownGroup, failureTerminationBehavior: .gracefullyShutdownGroup)
    }
}

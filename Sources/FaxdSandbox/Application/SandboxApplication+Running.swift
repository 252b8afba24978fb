public import Logging
import ServiceLifecycle

extension SandboxApplication {
    /// Starts a sandbox with `configuration` (port 0 picks a free port), runs `body` with the port it
    /// listens on, then shuts the sandbox down gracefully and returns `body`'s result. The server runs
    /// in a child task, so it never outlives this call.
    ///
    /// - Throws: what `body` throws, a `SandboxConfigurationError`, or the server's own error when it
    ///   stops before listening.
    public static func withRunning<T: Sendable>(
        configuration: SandboxConfiguration,
        clock: SandboxClock = .system,
        logger: Logger,
        _ body: (Int) async throws -> T
    ) async throws -> T {
        let (ports, portContinuation) = AsyncStream.makeStream(of: Int.self)
        let application = try make(configuration: configuration, clock: clock, logger: logger) { port in
            portContinuation.yield(port)
            portContinuation.finish()
        }
        // No signals: the caller owns them. Stopped by a graceful shutdown once `body` returned.
        let services = ServiceGroup(configuration: .init(services: [application], gracefulShutdownSignals: [], logger: logger))
        return try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask {
                defer { portContinuation.finish() }
                try await services.run()
            }
            var iterator = ports.makeAsyncIterator()
            guard let port = await iterator.next() else {
                try await group.next()
                throw SandboxConfigurationError("the sandbox stopped before listening")
            }
            let result = try await body(port)
            await services.triggerGracefulShutdown()
            try await group.waitForAll()
            return result
        }
    }
}

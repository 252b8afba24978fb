import ServiceLifecycle

/// The consumer and its dispatcher as a `Service`: graceful shutdown calls `leave` (stop taking
/// jobs, let the in-flight ones finish, commit, leave the group), after which the dispatcher returns
/// and so does this. The dispatcher ending first is a failure or the end of the consumer.
struct DispatchService: Service, CustomStringConvertible {
    let dispatcher: Dispatcher
    let leave: @Sendable () async -> Void
    var description: String { "dispatcher" }

    private enum Ended { case dispatcher, leaving }

    func run() async throws {
        try await withThrowingTaskGroup(of: Ended.self) { group in
            group.addTask {
                try await dispatcher.run()
                return .dispatcher
            }
            group.addTask {
                // Thrown only when cancelled: the dispatcher ended first.
                guard (try? await gracefulShutdown()) != nil else { return .leaving }
                await leave()
                return .leaving
            }
            // Left once the dispatcher has returned (leaving lets it return).
            while let ended = try await group.next(), ended != .dispatcher {}
            group.cancelAll()
        }
    }
}

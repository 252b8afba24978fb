import Logging
import ServiceLifecycle
import Synchronization

/// The `ServiceGroup` a worker or the ingress runs its parts in, with a `stop()` that shuts it down
/// gracefully whether it comes while the group runs or before it started (then it is delivered at
/// the start).
final class PartsGroup: Sendable {
    private let state = Mutex<(group: ServiceGroup?, stopping: Bool)>((nil, false))

    /// Runs `services` until they end or a graceful shutdown (`stop()`, or the parent group's).
    func run(_ services: [ServiceGroupConfiguration.ServiceConfiguration], logger: Logger) async throws {
        let group = ServiceGroup(configuration: ServiceGroupConfiguration(services: services, logger: logger))
        let stopping = state.withLock { state in
            state.group = group
            return state.stopping
        }
        if stopping { await group.triggerGracefulShutdown() }
        try await group.run()
    }

    func stop() async {
        let group = state.withLock { state in
            state.stopping = true
            return state.group
        }
        await group?.triggerGracefulShutdown()
    }
}

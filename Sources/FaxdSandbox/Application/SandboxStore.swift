import FaxdMintfax
import Foundation
import Logging
import Synchronization

/// The sandbox's shared state behind one lock, with the operations handlers and services need.
///
/// Operations take the lock briefly, change ``SandboxState`` and return what happened; work
/// that follows a change — starting a fax lifecycle, enqueuing webhook deliveries, encoding
/// JSON — runs after the lock is released. Operations by feature live in `SandboxStore+*.swift`.
final class SandboxStore: Sendable {
    let configuration: SandboxConfiguration
    let clock: SandboxClock
    let logger: Logger
    private let state: Mutex<SandboxState>
    private let lifecycleJobs: AsyncStream<FaxLifecycleJob>.Continuation
    private let webhookJobs: AsyncStream<WebhookDeliveryJob>.Continuation

    /// Creates the store in its start-up state.
    ///
    /// - Parameters:
    ///   - lifecycleJobs: receives one job per created fax (read by ``FaxLifecycleService``).
    ///   - webhookJobs: receives one job per event and target (read by ``WebhookDispatcher``).
    init(
        configuration: SandboxConfiguration,
        clock: SandboxClock,
        logger: Logger,
        lifecycleJobs: AsyncStream<FaxLifecycleJob>.Continuation,
        webhookJobs: AsyncStream<WebhookDeliveryJob>.Continuation
    ) {
        self.configuration = configuration
        self.clock = clock
        self.logger = logger
        self.state = Mutex(SandboxState(configuration: configuration, now: clock.now()))
        self.lifecycleJobs = lifecycleJobs
        self.webhookJobs = webhookJobs
    }

    /// Runs `body` with the state locked. Keep it short: no I/O, no waiting, no encoding.
    func withState<Result: Sendable>(_ body: (inout SandboxState) -> Result) -> Result {
        state.withLock { body(&$0) }
    }

    /// Hands a created fax to the lifecycle service.
    func startLifecycle(_ job: FaxLifecycleJob) {
        lifecycleJobs.yield(job)
    }

    /// Hands deliveries to the webhook dispatcher.
    func enqueueDeliveries(_ jobs: [WebhookDeliveryJob]) {
        for job in jobs { webhookJobs.yield(job) }
    }
}

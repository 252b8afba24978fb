import ServiceLifecycle

/// Runs every created fax through its lifecycle, one child task per fax in a task group that
/// lives as long as the service: `fax.queued` at once, then after one step `submitted`, then per
/// attempt a step to start it (`in_progress`, `fax.sending`) and a step to finish it, with one
/// more step of waiting (in `submitted`) before a retry.
///
/// A step takes ``SandboxConfiguration/timeScale`` seconds. On graceful shutdown or cancellation
/// the running lifecycles stop where they are.
struct FaxLifecycleService: Service {
    let store: SandboxStore
    let jobs: AsyncStream<FaxLifecycleJob>
    /// One simulated step.
    let step: Duration

    init(store: SandboxStore, jobs: AsyncStream<FaxLifecycleJob>, timeScale: Double) {
        self.store = store
        self.jobs = jobs
        self.step = .seconds(timeScale)
    }

    func run() async {
        await cancelWhenGracefulShutdown {
            await withDiscardingTaskGroup { group in
                for await job in jobs {
                    group.addTask { await runLifecycle(job) }
                }
            }
        }
    }

    /// Drives one fax to its terminal state, or until a reset or cancellation ends it.
    private func runLifecycle(_ job: FaxLifecycleJob) async {
        do {
            guard store.announceQueued(job) else { return }
            try await Task.sleep(for: step)
            guard store.markSubmitted(job) else { return }
            while true {
                try await Task.sleep(for: step)
                guard store.startAttempt(job) else { return }
                try await Task.sleep(for: step)
                guard store.finishAttempt(job) == .willRetry else { return }
                try await Task.sleep(for: step)
            }
        } catch {
            // Cancelled while waiting: the sandbox is stopping.
            return
        }
    }
}

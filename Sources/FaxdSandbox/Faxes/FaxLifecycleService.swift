import ServiceLifecycle

/// Runs every created fax through its lifecycle: `fax.queued` at once, then after one step
/// `submitted`, then per attempt a step to start it (`in_progress`, `fax.sending`) and a step to
/// finish it, with one more step of waiting (in `submitted`) before a retry.
///
/// A step takes ``SandboxConfiguration/timeScale`` seconds. The steps of every fax wait in one
/// ``DueQueue`` and run one at a time (each is a short change of the store), so a million faxes in
/// flight cost a million queue entries, not a million sleeping tasks. On graceful shutdown or
/// cancellation the running lifecycles stop where they are.
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

    /// What a fax does when its step falls due.
    private enum Stage: Sendable {
        case announce, submit, start, finish
    }

    func run() async {
        let steps = DueQueue<(job: FaxLifecycleJob, stage: Stage)>()
        await cancelWhenGracefulShutdown {
            await withDiscardingTaskGroup { group in
                group.addTask {
                    for await job in jobs { steps.schedule((job, .announce), at: .now) }
                }
                while let (job, stage) = await steps.next() {
                    if let (next, after) = advance(job, from: stage) { steps.schedule((job, next), at: .now + after) }
                }
                group.cancelAll()
            }
        }
    }

    /// Runs `stage` of the fax. - Returns: its next stage and when, or nil when its lifecycle ended
    /// (a final state, or a reset made it stale).
    private func advance(_ job: FaxLifecycleJob, from stage: Stage) -> (Stage, Duration)? {
        switch stage {
        case .announce:
            store.announceQueued(job) ? (.submit, step) : nil
        case .submit:
            store.markSubmitted(job) ? (.start, step) : nil
        case .start:
            store.startAttempt(job) ? (.finish, step) : nil
        case .finish:
            // A retry waits one step in `submitted`, then starts after the usual step.
            store.finishAttempt(job) == .willRetry ? (.start, step * 2) : nil
        }
    }
}

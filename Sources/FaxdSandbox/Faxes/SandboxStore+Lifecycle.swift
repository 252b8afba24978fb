import FaxdCore
import Foundation

extension SandboxStore {
    /// A lifecycle step's outcome inside the lock: the fax after the step, who hears about it,
    /// and the environment's name.
    private struct StepResult: Sendable {
        let fax: FaxRecord
        let targets: [WebhookTarget]
        let environment: String
        let event: WebhookEventType?
    }

    /// Emits `fax.queued` for a new fax.
    ///
    /// - Returns: `false` when the fax is gone (a reset happened).
    func announceQueued(_ job: FaxLifecycleJob) -> Bool {
        step(job, event: .queued) { _, _ in true } != nil
    }

    /// `queued → submitted`.
    ///
    /// - Returns: `false` when the fax is gone or not `queued`.
    func markSubmitted(_ job: FaxLifecycleJob) -> Bool {
        step(job, event: nil) { fax, now in fax.markSubmitted(at: now) } != nil
    }

    /// `submitted → in_progress` with a new attempt; emits `fax.sending`.
    ///
    /// - Returns: `false` when the fax is gone or cannot start an attempt.
    func startAttempt(_ job: FaxLifecycleJob) -> Bool {
        step(job, event: .sending) { fax, now in fax.startAttempt(at: now) } != nil
    }

    /// Ends the running attempt. On delivery the hold is captured (`pages × price`) and
    /// `fax.delivered` emitted; on the final failure the hold is released and `fax.failed`
    /// emitted.
    ///
    /// - Returns: what happened, or `nil` when the fax is gone or has no running attempt.
    func finishAttempt(_ job: FaxLifecycleJob) -> FaxRecord.AttemptResult? {
        let now = clock.now()
        let price = configuration.pricePerPageCents
        let mode = configuration.faxWebhookURLMode
        let outcome = withState { state -> (FaxRecord.AttemptResult, StepResult?)? in
            guard state.generation == job.generation,
                var fax = state.environments[job.environmentIndex].faxes[job.faxID],
                let result = fax.finishAttempt(at: now)
            else { return nil }
            // Mutate before reading the environment as a whole: a live copy would make these
            // writes copy the fax dictionary.
            state.environments[job.environmentIndex].faxes[job.faxID] = fax
            let event: WebhookEventType
            switch result {
            case .willRetry:
                return (result, nil)
            case .delivered(let pages):
                state.environments[job.environmentIndex].balance.capture(hold: fax.holdCents, charge: pages * price)
                event = .delivered
            case .failed:
                state.environments[job.environmentIndex].balance.release(hold: fax.holdCents)
                event = .failed
            }
            let environment = state.environments[job.environmentIndex]
            let targets = Self.targets(for: fax, type: event, in: environment, mode: mode)
            return (result, StepResult(fax: fax, targets: targets, environment: environment.configuration.name, event: event))
        }
        guard let (result, step) = outcome else { return nil }
        if let step, let event = step.event {
            emit(event, fax: step.fax, environment: step.environment, targets: step.targets, generation: job.generation)
            logger.debug(
                "Fax finished",
                metadata: [
                    "fax.id": "\(step.fax.id)", "fax.to": "\(RecipientMask.mask(step.fax.to))",
                    "fax.status": "\(step.fax.status.rawValue)", "sandbox.environment": "\(step.environment)",
                ]
            )
        }
        return result
    }

    /// Applies `change` to the job's fax under the lock and, when it succeeds and `event` is
    /// set, emits the event about the changed fax after the lock is released.
    private func step(_ job: FaxLifecycleJob, event: WebhookEventType?, _ change: @Sendable (inout FaxRecord, Date) -> Bool) -> StepResult?
    {
        let now = clock.now()
        let mode = configuration.faxWebhookURLMode
        let result = withState { state -> StepResult? in
            guard state.generation == job.generation, var fax = state.environments[job.environmentIndex].faxes[job.faxID],
                change(&fax, now)
            else { return nil }
            state.environments[job.environmentIndex].faxes[job.faxID] = fax
            let environment = state.environments[job.environmentIndex]
            let targets = event.map { Self.targets(for: fax, type: $0, in: environment, mode: mode) } ?? []
            return StepResult(fax: fax, targets: targets, environment: environment.configuration.name, event: event)
        }
        if let result, let event {
            emit(event, fax: result.fax, environment: result.environment, targets: result.targets, generation: job.generation)
        }
        return result
    }
}

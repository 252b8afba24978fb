import Foundation

extension SandboxStore {
    /// Appends a received submission to the log.
    func recordSubmission(_ record: SubmissionRecord) {
        withState { $0.submissions.append(record) }
    }

    /// Every submission received since start-up or the last reset, oldest first.
    var submissions: [SubmissionRecord] {
        withState { $0.submissions }
    }

    /// Every webhook delivery attempt since start-up or the last reset, oldest first.
    var deliveries: [WebhookDeliveryRecord] {
        withState { $0.deliveries }
    }

    /// Every fax of every environment, oldest first.
    var allFaxes: [SandboxFaxEntry] {
        withState { state in
            state.environments.flatMap { environment in
                environment.faxOrder.compactMap { id in
                    environment.faxes[id].map { SandboxFaxEntry(environment: environment.configuration.name, fax: $0) }
                }
            }
        }.sorted { $0.fax.createdAt < $1.fax.createdAt }
    }

    /// Back to the start-up state: configured environments, balances, endpoints and faults;
    /// no faxes, idempotency records, rate-limit history, submissions or deliveries. Running
    /// lifecycles and pending webhook retries stop at their next step.
    func reset() {
        let now = clock.now()
        withState { $0.reset(now: now) }
    }
}

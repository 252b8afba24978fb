import Foundation

extension SandboxStore {
    /// The fault for one `POST /v1/faxes`, drawn before any state changes.
    func submissionFault() -> FaultInjector.SubmissionFault? {
        withState { $0.faults.submissionFault() }
    }

    /// The 5xx status for one lookup, or `nil` for none.
    func lookupFault() -> Int? {
        withState { $0.faults.lookupFault() }
    }

    /// Waits for the configured latency, if any.
    ///
    /// - Throws: `CancellationError` when the request's task is cancelled while waiting.
    func injectLatency() async throws {
        if let delay = withState({ $0.faults.latency() }) {
            try await Task.sleep(for: delay)
        }
    }

    /// The faults in force.
    var faults: FaultConfiguration {
        withState { $0.faults.configuration }
    }

    /// Replaces the faults in force; their storms start now and the generator is re-seeded.
    ///
    /// - Throws: ``SandboxConfigurationError`` when `faults` breaks a rule (the old faults stay).
    func applyFaults(_ faults: FaultConfiguration) throws(SandboxConfigurationError) {
        try faults.validate(path: "faults", environmentNames: Set(configuration.environments.map(\.name)))
        let now = clock.now()
        withState { $0.faults = FaultInjector(configuration: faults, now: now) }
    }
}

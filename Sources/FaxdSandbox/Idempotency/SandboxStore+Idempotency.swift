import Foundation

extension SandboxStore {
    /// Claims `key` in the environment, or says why the request must not run (see
    /// ``IdempotencyStore/begin(key:fingerprint:now:)``).
    func beginIdempotent(environment: EnvironmentHandle, key: String, fingerprint: String) -> IdempotencyStore.Decision {
        let now = clock.now()
        return withState { $0.environments[environment.index].idempotency.begin(key: key, fingerprint: fingerprint, now: now) }
    }

    /// Stores the 2xx answer of a claimed key.
    func completeIdempotent(environment: EnvironmentHandle, key: String, response: StoredResponse) {
        let now = clock.now()
        withState { $0.environments[environment.index].idempotency.complete(key: key, response: response, now: now) }
    }

    /// Forgets every environment's completed keys, as if 24 hours had passed (test-only).
    func expireIdempotencyKeys() {
        withState { state in
            for index in state.environments.indices { state.environments[index].idempotency.expireCompleted() }
        }
    }

    /// Releases a claimed key whose request did not succeed.
    func abandonIdempotent(environment: EnvironmentHandle, key: String) {
        withState { $0.environments[environment.index].idempotency.abandon(key: key) }
    }
}

import Foundation
import Hummingbird

extension SandboxStore {
    /// Runs a `POST` under its `Idempotency-Key` (API.md §3).
    ///
    /// Without a key, `operation` just runs. With one: a replay answers with the stored status
    /// and body (and the trace marks it `Idempotent-Replayed`), a different request with the key
    /// throws 409 `idempotency_key_reuse`, a duplicate of a request still running throws 409
    /// `idempotency_key_in_progress`; otherwise the key is claimed while `operation` runs and
    /// its answer is stored (2xx only — an error or a thrown answer releases the key).
    func runIdempotently(
        key: String?,
        fingerprint: String,
        environment: EnvironmentHandle,
        trace: RequestTrace,
        _ operation: () async throws -> StoredResponse
    ) async throws -> Response {
        guard let key else {
            let response = try await operation()
            return .json(status: response.status, bytes: response.body)
        }
        switch beginIdempotent(environment: environment, key: key, fingerprint: fingerprint) {
        case .replay(let stored):
            let faxID = (try? JSONDecoder().decode(JSONValue.self, from: Data(stored.body)))?.objectValue?["id"]
            trace.update {
                $0.replayed = true
                if case .string(let id)? = faxID { $0.faxID = id }
            }
            return .json(status: stored.status, bytes: stored.body)
        case .reuse:
            throw SandboxAPIError.idempotencyKeyReuse
        case .inProgress:
            throw SandboxAPIError.idempotencyKeyInProgress
        case .proceed:
            let response: StoredResponse
            do {
                response = try await operation()
            } catch {
                abandonIdempotent(environment: environment, key: key)
                throw error
            }
            if (200..<300).contains(response.status) {
                completeIdempotent(environment: environment, key: key, response: response)
            } else {
                abandonIdempotent(environment: environment, key: key)
            }
            return .json(status: response.status, bytes: response.body)
        }
    }
}

import Foundation
import Hummingbird
import NIOCore

/// `GET /_sandbox/faults` (the faults in force) and `POST /_sandbox/faults` (replace them with a
/// JSON ``FaultConfiguration``; storms start at the request). Test-only, unauthenticated.
struct FaultRoutes: Sendable {
    typealias Context = SandboxRequestContext

    let store: SandboxStore

    /// Adds the routes to the `/_sandbox` group.
    func register(on group: RouterGroup<Context>) {
        group.get("faults", use: show)
        group.post("faults", use: replace)
    }

    @Sendable func show(_ request: Request, context: Context) async throws -> Response {
        try .json(store.faults)
    }

    @Sendable func replace(_ request: Request, context: Context) async throws -> Response {
        var errors = FieldErrors()
        let body = try await FaxRoutes.collect(request, upTo: FaxRoutes.maximumJSONBodyBytes)
        let faults: FaultConfiguration
        do {
            faults = try JSONDecoder().decode(FaultConfiguration.self, from: Data(body))
        } catch {
            errors.add("faults", "The body must be a JSON fault configuration (see docs/sandbox.md).")
            throw SandboxAPIError.validation(errors)
        }
        do {
            try store.applyFaults(faults)
        } catch {
            errors.add("faults", error.reason)
            throw SandboxAPIError.validation(errors)
        }
        store.logger.info("Faults replaced", metadata: ["sandbox.faults": "\(faults)"])
        return try .json(store.faults)
    }
}

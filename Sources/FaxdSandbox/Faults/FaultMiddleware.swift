import Hummingbird
import NIOCore

/// Injects the configured faults, after the gateway and before any state changes: into
/// `POST /v1/faxes` a dropped connection (closed without an answer) or a 5xx answer; into lookups
/// (`GET /v1/faxes`, `GET /v1/faxes/{id}`) a 5xx answer.
struct FaultMiddleware: RouterMiddleware {
    typealias Context = SandboxRequestContext

    let store: SandboxStore

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        let path = request.uri.path
        if request.method == .get, path == "/v1/faxes" || path.hasPrefix("/v1/faxes/") {
            if let status = store.lookupFault() { throw SandboxAPIError.serverError(status: status) }
            return try await next(request, context)
        }
        guard request.method == .post, path == "/v1/faxes", let fault = store.submissionFault() else {
            return try await next(request, context)
        }
        switch fault {
        case .dropConnection:
            try? await context.channel.close()
            throw ConnectionDropped()
        case .serverError(let status):
            throw SandboxAPIError.serverError(status: status)
        }
    }
}

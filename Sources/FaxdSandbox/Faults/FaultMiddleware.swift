import Hummingbird
import NIOCore

/// Injects the configured faults into `POST /v1/faxes`, after the gateway and before any state
/// changes: a dropped connection (closed without an answer) or a 5xx answer.
struct FaultMiddleware: RouterMiddleware {
    typealias Context = SandboxRequestContext

    let store: SandboxStore

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        guard request.method == .post, request.uri.path == "/v1/faxes", let fault = store.submissionFault() else {
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

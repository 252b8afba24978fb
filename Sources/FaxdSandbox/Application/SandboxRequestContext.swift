public import Hummingbird
import NIOCore

/// The request context of the sandbox's router: Hummingbird's core storage, the connection (so a
/// fault can drop it), the request's ``RequestTrace`` and, after the gateway, its environment.
public struct SandboxRequestContext: RequestContext {
    public var coreContext: CoreRequestContextStorage
    /// The connection the request arrived on.
    let channel: any Channel
    /// Shared by every layer of this request.
    let trace: RequestTrace
    /// The authenticated environment; set by ``GatewayMiddleware`` for every `/v1` route.
    var environment: EnvironmentHandle?

    public init(source: ApplicationRequestContextSource) {
        self.coreContext = .init(source: source)
        self.channel = source.channel
        self.trace = RequestTrace()
        self.environment = nil
    }

    /// The environment of an authenticated request.
    ///
    /// - Throws: ``SandboxAPIError/unauthenticated`` outside the gateway (a routing mistake).
    func requireEnvironment() throws -> EnvironmentHandle {
        guard let environment else { throw SandboxAPIError.unauthenticated }
        return environment
    }
}

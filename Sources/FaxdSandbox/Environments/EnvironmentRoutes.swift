import Hummingbird

/// `GET /v1/environment/balance`.
struct EnvironmentRoutes: Sendable {
    typealias Context = SandboxRequestContext

    let store: SandboxStore

    /// Adds the routes to the `/v1` group.
    func register(on group: RouterGroup<Context>) {
        group.get("environment/balance", use: balance)
    }

    @Sendable func balance(_ request: Request, context: Context) async throws -> Response {
        let environment = try context.requireEnvironment()
        try await store.injectLatency()
        let live = store.configuration.environments[environment.index].live
        return try .json(BalanceResource(type: live ? "live" : "sandbox", balance: store.balance(environment: environment)))
    }
}

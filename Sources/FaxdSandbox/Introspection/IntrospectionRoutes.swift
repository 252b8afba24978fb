import Hummingbird

/// The test-only introspection endpoints under `/_sandbox/` (no authentication):
/// `GET submissions`, `GET faxes`, `GET webhook-deliveries` (each `{data: [...]}`, oldest
/// first), `POST reset` and `POST expire-idempotency-keys` (every completed key forgotten, as 24
/// hours later).
struct IntrospectionRoutes: Sendable {
    typealias Context = SandboxRequestContext

    let store: SandboxStore

    /// Adds the routes to the `/_sandbox` group.
    func register(on group: RouterGroup<Context>) {
        group.get("submissions", use: submissions)
        group.get("faxes", use: faxes)
        group.get("webhook-deliveries", use: deliveries)
        group.post("reset", use: reset)
        group.post("expire-idempotency-keys", use: expireKeys)
    }

    @Sendable func expireKeys(_ request: Request, context: Context) async throws -> Response {
        store.expireIdempotencyKeys()
        store.logger.info("Idempotency keys expired")
        return try .json(["expired": true])
    }

    @Sendable func submissions(_ request: Request, context: Context) async throws -> Response {
        try .json(DataList(data: store.submissions))
    }

    @Sendable func faxes(_ request: Request, context: Context) async throws -> Response {
        try .json(DataList(data: store.allFaxes))
    }

    @Sendable func deliveries(_ request: Request, context: Context) async throws -> Response {
        try .json(DataList(data: store.deliveries))
    }

    @Sendable func reset(_ request: Request, context: Context) async throws -> Response {
        store.reset()
        store.logger.info("Sandbox reset")
        return try .json(["reset": true])
    }
}

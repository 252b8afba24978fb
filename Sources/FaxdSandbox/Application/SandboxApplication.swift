public import Hummingbird
public import Logging

/// Builds the sandbox emulator: one function that `faxd sandbox`, the tests and the benchmarks
/// all call.
///
/// The application serves the mintfax Gen C API under `/v1` and the test-only endpoints under
/// `/_sandbox`, and runs two services next to the HTTP server: the fax lifecycles and the
/// webhook deliveries. All state is in memory.
public enum SandboxApplication {
    /// Creates the application; run it with `run()` (or inside a `ServiceGroup`).
    ///
    /// - Parameters:
    ///   - configuration: environments, timing, prices, faults; validated here.
    ///   - clock: the current time for timestamps, expiries and windows; default the system clock.
    ///   - logger: receives the server's and the sandbox's records; API keys, webhook secrets and
    ///     full recipient numbers are never logged.
    ///   - onServerRunning: called once the server listens, with the bound port (useful with
    ///     port 0).
    /// - Throws: ``SandboxConfigurationError`` when the configuration breaks a rule.
    public static func make(
        configuration: SandboxConfiguration,
        clock: SandboxClock = .system,
        logger: Logger,
        onServerRunning: @escaping @Sendable (Int) async -> Void = { _ in }
    ) throws(SandboxConfigurationError) -> some ApplicationProtocol {
        try configuration.validate()
        let (lifecycleJobs, lifecycleContinuation) = AsyncStream.makeStream(of: FaxLifecycleJob.self)
        let (webhookJobs, webhookContinuation) = AsyncStream.makeStream(of: WebhookDeliveryJob.self)
        let store = SandboxStore(
            configuration: configuration,
            clock: clock,
            logger: logger,
            lifecycleJobs: lifecycleContinuation,
            webhookJobs: webhookContinuation
        )

        let router = Router(context: SandboxRequestContext.self)
        router.add(middleware: ResponseMiddleware(store: store))
        let api = router.group("v1")
            .add(middleware: GatewayMiddleware(store: store))
            .add(middleware: FaultMiddleware(store: store))
        FaxRoutes(store: store).register(on: api)
        EnvironmentRoutes(store: store).register(on: api)
        WebhookRoutes(store: store).register(on: api)
        let testOnly = router.group("_sandbox")
        IntrospectionRoutes(store: store).register(on: testOnly)
        FaultRoutes(store: store).register(on: testOnly)

        return Application(
            router: router,
            configuration: ApplicationConfiguration(
                address: .hostname(configuration.host, port: configuration.port),
                serverName: "mintfax-sandbox"
            ),
            services: [
                FaxLifecycleService(store: store, jobs: lifecycleJobs, timeScale: configuration.timeScale),
                WebhookDispatcher(store: store, jobs: webhookJobs, timeScale: configuration.timeScale, logger: logger),
            ],
            onServerRunning: { channel in
                await onServerRunning(channel.localAddress?.port ?? configuration.port)
            },
            logger: logger
        )
    }
}

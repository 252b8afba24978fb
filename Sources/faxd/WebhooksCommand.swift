import ArgumentParser
import FaxdWorker
import Foundation
import Logging
import Prometheus
import UnixSignals

/// `faxd webhooks --config config/faxd.yaml`: the webhook ingress alone.
struct WebhooksCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "webhooks",
        abstract: "Serve mintfax's webhook deliveries alone: verify, publish status and usage events, answer.",
        discussion: """
            Reads the worker's configuration and tenants file; listens on metrics.listen. Run the workers \
            with webhooks.enabled: false and webhooks.public_base_url pointing here. SIGHUP re-reads the \
            tenants file (webhook secret rotation); SIGTERM stops.
            """
    )

    @Option(help: "The configuration file.") var config: String = "config/faxd.yaml"

    func run() async throws {
        let logger = CommandLogging.bootstrap(label: "faxd.webhooks", json: true)
        let environment = ProcessInfo.processInfo.environment
        let server: WebhookServer
        do {
            let configuration = try WorkerConfiguration.load(path: config, environment: environment)
            let tenants = try TenantDirectory(
                path: WorkerCommand.tenantsPath(configuration, configFile: config), environment: environment,
                mintfaxEnvironment: configuration.mintfax.environment)
            server = try WebhookServer(
                configuration: configuration, tenants: tenants, metrics: WorkerMetrics(registry: PrometheusCollectorRegistry()), logger: logger)
        } catch {
            throw CommandFailure("\(error)")
        }
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { try await server.run { port in CommandLogging.printLine("listening on \(port)") } }
            group.addTask {
                for await signal in await UnixSignalsSequence(trapping: .sigterm, .sigint, .sighup) {
                    if signal == .sighup {
                        WorkerCommand.reload(server.tenants, logger: logger)
                        continue
                    }
                    logger.info("Stopping on \(signal)")
                    return
                }
            }
            try await group.next()
            group.cancelAll()
            try await group.waitForAll()
        }
    }
}

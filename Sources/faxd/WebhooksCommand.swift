import ArgumentParser
import FaxdWorker
import Foundation
import Logging
import Prometheus
import ServiceLifecycle

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
        let (configuration, tenants) = try SignalledService.load(config)
        let server: WebhookServer
        do {
            server = try WebhookServer(
                configuration: configuration,
                tenants: tenants,
                metrics: WorkerMetrics(registry: CommandMetrics.bootstrap()),
                logger: logger
            )
        } catch {
            throw CommandFailure("\(error)")
        }
        try await SignalledService.run(AnnouncedIngress(server: server), tenants: tenants, logger: logger)
    }

    /// The ingress, printing `listening on <port>` once it listens (what scripts and tests wait for).
    private struct AnnouncedIngress: Service {
        let server: WebhookServer
        func run() async throws {
            try await server.run { listener, port in if listener == "webhooks.listen" { CommandLogging.printLine("listening on \(port)") } }
        }
    }
}

import ArgumentParser
import FaxdWorker
import Foundation
import Logging
import Prometheus

/// `faxd worker --config config/faxd.yaml`: one member of the worker pool.
struct WorkerCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "worker",
        abstract: "Consume fax jobs, submit them to mintfax once each, publish status and usage events.",
        discussion: """
            Environment variables override the file: FAXD_ + the upper-cased key path, e.g. \
            FAXD_KAFKA_BOOTSTRAP_SERVERS. SIGHUP re-reads the tenants file and its secrets; SIGTERM drains \
            and exits within dispatch.shutdown_timeout_seconds.
            """
    )

    @Option(help: "The configuration file.") var config: String = "config/faxd.yaml"

    func run() async throws {
        let logger = CommandLogging.bootstrap(label: "faxd.worker", json: true)
        let (configuration, tenants) = try SignalledService.load(config)
        let worker: Worker
        do {
            worker = try Worker(
                configuration: configuration,
                tenants: tenants,
                metrics: WorkerMetrics(registry: PrometheusCollectorRegistry(), tenantLabels: configuration.metrics.tenantLabels),
                logger: logger
            )
        } catch {
            throw CommandFailure("\(error)")
        }
        try await SignalledService.run(worker, tenants: tenants, logger: logger)
    }
}

/// A runtime failure: printed as one line, exit status 1.
struct CommandFailure: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}

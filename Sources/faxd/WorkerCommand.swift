import ArgumentParser
import FaxdWorker
import Foundation
import Logging
import Prometheus
import UnixSignals

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
        let environment = ProcessInfo.processInfo.environment
        let worker: Worker
        do {
            let configuration = try WorkerConfiguration.load(path: config, environment: environment)
            let tenants = try TenantDirectory(
                path: Self.tenantsPath(configuration, configFile: config), environment: environment,
                mintfaxEnvironment: configuration.mintfax.environment)
            worker = try Worker(
                configuration: configuration, tenants: tenants, metrics: WorkerMetrics(registry: PrometheusCollectorRegistry()), logger: logger)
        } catch {
            throw CommandFailure("\(error)")
        }
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { try await worker.run() }
            group.addTask {
                for await signal in await UnixSignalsSequence(trapping: .sigterm, .sigint, .sighup) {
                    if signal == .sighup {
                        Self.reload(worker.tenants, logger: logger)
                        continue
                    }
                    logger.info("Draining on \(signal)")
                    await worker.shutdown()
                    return
                }
            }
            try await group.next()
            group.cancelAll()
        }
    }
}

extension WorkerCommand {
    /// The tenants file's path: `tenants.path`, relative to the configuration file's directory.
    static func tenantsPath(_ configuration: WorkerConfiguration, configFile: String) -> String {
        if configuration.tenants.path.hasPrefix("/") { return configuration.tenants.path }
        let directory = (configFile as NSString).deletingLastPathComponent
        return (directory.isEmpty ? "." : directory) + "/" + configuration.tenants.path
    }

    /// SIGHUP: re-reads the tenants file and its secrets; on failure the previous tenants stay.
    static func reload(_ tenants: TenantDirectory, logger: Logger) {
        do {
            try tenants.reload()
            logger.info("Tenants reloaded", metadata: ["tenants.count": "\(tenants.listedTenantIDs.count)"])
        } catch {
            logger.error("Tenants reload failed; keeping the previous tenants", metadata: ["error": "\(error)"])
        }
    }
}

/// A runtime failure: printed as one line, exit status 1.
struct CommandFailure: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}

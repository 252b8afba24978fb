import FaxdWorker
import Foundation
import Logging
import ServiceLifecycle
import UnixSignals

/// How `faxd worker` and `faxd webhooks` load their configuration and live with signals.
enum SignalledService {
    /// Loads the configuration file and the tenants file and directory it names (relative to it); any problem —
    /// a bad key, a secret that cannot be read — becomes one line.
    static func load(_ configFile: String) throws -> (configuration: WorkerConfiguration, tenants: TenantDirectory) {
        let environment = ProcessInfo.processInfo.environment
        do {
            let configuration = try WorkerConfiguration.load(path: configFile, environment: environment)
            func relative(_ path: String) -> String {
                if path.hasPrefix("/") { return path }
                let directory = (configFile as NSString).deletingLastPathComponent
                return (directory.isEmpty ? "." : directory) + "/" + path
            }
            let tenants = try TenantDirectory(
                path: relative(configuration.tenants.path),
                directory: configuration.tenants.directory.map(relative),
                environment: environment,
                mintfaxEnvironment: configuration.mintfax.environment,
                logger: Logger(label: "faxd.tenants")
            )
            return (configuration, tenants)
        } catch {
            throw CommandFailure("\(error)")
        }
    }

    /// Runs `service` in one `ServiceGroup` with a reader of SIGHUP, which re-reads `tenants` (on
    /// failure the previous tenants stay), `before` (shut down after it: the span exporter) and
    /// `alongside` (shut down before it); one of them failing shuts the group down. SIGTERM or SIGINT shuts the group down gracefully: the service drains
    /// and returns, and so does this; `service` ending or failing ends it too.
    static func run(
        _ service: any Service,
        before: [any Service] = [],
        alongside: [any Service] = [],
        tenants: TenantDirectory,
        logger: Logger
    ) async throws {
        let group = ServiceGroup(
            configuration: ServiceGroupConfiguration(
                services: before.map {
                    .init(service: $0, successTerminationBehavior: .ignore, failureTerminationBehavior: .gracefullyShutdownGroup)
                } + [
                    .init(
                        service: service,
                        successTerminationBehavior: .gracefullyShutdownGroup,
                        failureTerminationBehavior: .gracefullyShutdownGroup
                    ),
                    .init(
                        service: TenantsReload(tenants: tenants, logger: logger),
                        successTerminationBehavior: .ignore,
                        failureTerminationBehavior: .gracefullyShutdownGroup
                    ),
                ]
                    + alongside.map {
                        .init(service: $0, successTerminationBehavior: .ignore, failureTerminationBehavior: .gracefullyShutdownGroup)
                    },
                gracefulShutdownSignals: [.sigterm, .sigint],
                logger: logger
            )
        )
        try await group.run()
    }

    /// SIGHUP: the tenants file and directory read again, until the group shuts down.
    struct TenantsReload: Service {
        let tenants: TenantDirectory
        let logger: Logger

        func run() async throws {
            for await _ in await UnixSignalsSequence(trapping: .sighup).cancelOnGracefulShutdown() {
                do {
                    try tenants.reload()
                    logger.info("Tenants reloaded", metadata: ["tenants.count": "\(tenants.listedTenantIDs.count)"])
                } catch {
                    logger.error("Tenants reload failed; keeping the previous tenants", metadata: ["error": "\(error)"])
                }
            }
        }
    }
}

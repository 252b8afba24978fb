import FaxdWorker
import Foundation
import Logging
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
                path: relative(configuration.tenants.path), directory: configuration.tenants.directory.map(relative), environment: environment,
                mintfaxEnvironment: configuration.mintfax.environment, logger: Logger(label: "faxd.tenants"))
            return (configuration, tenants)
        } catch {
            throw CommandFailure("\(error)")
        }
    }

    /// Runs `service` until it returns or fails. SIGHUP re-reads `tenants` (on failure the previous
    /// tenants stay); SIGTERM or SIGINT calls `stop`, after which `service` is awaited to its end.
    static func run(
        tenants: TenantDirectory, logger: Logger, service: @escaping @Sendable () async throws -> Void, stop: @escaping @Sendable () async -> Void
    ) async throws {
        try await withThrowingTaskGroup(of: Bool.self) { group in
            group.addTask {
                try await service()
                return true
            }
            group.addTask {
                for await signal in await UnixSignalsSequence(trapping: .sigterm, .sigint, .sighup) {
                    if signal == .sighup {
                        reload(tenants, logger: logger)
                        continue
                    }
                    logger.info("Stopping on \(signal)")
                    await stop()
                    break
                }
                return false
            }
            // The service ends first (done or failed: stop listening for signals), or a signal
            // stopped it (wait for it to finish).
            if try await group.next() == true { group.cancelAll() }
            try await group.waitForAll()
        }
    }

    private static func reload(_ tenants: TenantDirectory, logger: Logger) {
        do {
            try tenants.reload()
            logger.info("Tenants reloaded", metadata: ["tenants.count": "\(tenants.listedTenantIDs.count)"])
        } catch {
            logger.error("Tenants reload failed; keeping the previous tenants", metadata: ["error": "\(error)"])
        }
    }
}

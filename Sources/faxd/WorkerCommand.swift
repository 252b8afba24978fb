import ArgumentParser
import FaxdWorker
import Foundation
import Logging
import OTel
import Prometheus
import ServiceLifecycle
import Tracing

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
                metrics: WorkerMetrics(registry: CommandMetrics.bootstrap(), tenantLabels: configuration.metrics.tenantLabels),
                logger: logger
            )
        } catch {
            throw CommandFailure("\(error)")
        }
        let tracing = try Self.bootstrapTracing(configuration.tracing, logger: logger)
        try await SignalledService.run(worker, before: tracing.map { [$0] } ?? [], tenants: tenants, logger: logger)
    }

    /// With `tracing.otlp_traces_endpoint`, the OTLP/HTTP tracer as the process's instrument, and the
    /// service that exports its spans (shut down after the worker, so the last jobs' spans go out).
    static func bootstrapTracing(_ tracing: WorkerConfiguration.Tracing, logger: Logger) throws -> (any Service)? {
        guard !tracing.otlpTracesEndpoint.isEmpty else { return nil }
        var configuration = OTel.Configuration.default
        configuration.serviceName = tracing.serviceName
        configuration.diagnosticLogger = .custom(logger)
        configuration.logs.enabled = false
        configuration.metrics.enabled = false
        configuration.traces.otlpExporter.endpoint = tracing.otlpTracesEndpoint
        configuration.traces.otlpExporter.protocol = tracing.otlpProtocol == "http/json" ? .httpJSON : .httpProtobuf
        do {
            let (tracer, service) = try OTel.makeTracingBackend(configuration: configuration)
            InstrumentationSystem.bootstrap(tracer)
            return service
        } catch {
            throw CommandFailure("tracing: \(error)")
        }
    }
}

/// A runtime failure: printed as one line, exit status 1.
struct CommandFailure: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}

import ArgumentParser
import FaxdCore
import FaxdKafka
import FaxdSandbox
import FaxdWorker
import Foundation
import Logging
import Prometheus
import ServiceLifecycle

/// `faxd dev`: the embedded default. An in-process Kafka cluster with faxd's topics, the mintfax
/// sandbox emulator with its demo environments, a worker (with the webhook ingress on `--port`, which
/// the sandbox's webhooks reach) with demo tenants, and a sample job for every magic number; it shows
/// each job's status and usage events until every one reached its final state — delivered, failed,
/// rejected or parked — then stays up for the user's own `faxd enqueue` until Ctrl-C.
struct DevCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "dev",
        abstract: "Run faxd's embedded default: in-process Kafka, the sandbox, a worker, sample jobs, a live view."
    )

    @Option(help: "Partitions of each topic (1–64).") var partitions: Int = 6
    @Option(help: "Seconds per simulated fax lifecycle step in the sandbox.") var timeScale: Double = 0.5
    @Option(help: "The worker's webhook port on 127.0.0.1: the sandbox's webhooks.") var port: Int = 8090
    @Option(help: "The worker's admin port on 127.0.0.1: /metrics, /healthz, /readyz, the console.") var adminPort: Int = 8091

    func validate() throws {
        guard (1...64).contains(partitions) else { throw ValidationError("--partitions must be between 1 and 64, got \(partitions)") }
        guard (1...65_535).contains(port) else { throw ValidationError("--port must be between 1 and 65535, got \(port)") }
        guard (1...65_535).contains(adminPort), adminPort != port else {
            throw ValidationError("--admin-port must be between 1 and 65535 and differ from --port, got \(adminPort)")
        }
        guard timeScale > 0, timeScale <= 60 else {
            throw ValidationError("--time-scale must be greater than 0 and at most 60, got \(timeScale)")
        }
    }

    /// The sandbox's magic numbers (mintfax API.md §8.2), one sample job each, and what faxd does.
    static let samples: [(number: String, scenario: String)] = [
        ("+15005550001", "delivered"), ("+15005550002", "busy"), ("+15005550003", "no answer"),
        ("+15005550004", "delivered on attempt 2"), ("+15005550005", "line quality"), ("+15005550006", "insufficient balance: parked"),
        ("+15005550007", "3 pages"), ("+15005550008", "invalid number"), ("+15005550099", "validation failure: rejected"),
    ]

    /// The final states of a job on `fax.status`.
    static let finalTypes: Set<StatusEvent.Kind> = [.delivered, .failed, .rejected, .deadLettered, .expired]

    func run() async throws {
        var quiet = CommandLogging.bootstrap(label: "faxd.dev")
        quiet.logLevel = .warning
        let logger = quiet
        let topics = TopicNames()
        let cluster = try MockKafkaCluster(brokers: 1, logger: logger)
        for topic in topics.all { try cluster.createTopic(topic, partitions: partitions) }

        var sandboxConfiguration = SandboxConfiguration.demo
        sandboxConfiguration.host = "127.0.0.1"
        sandboxConfiguration.port = 0
        sandboxConfiguration.timeScale = timeScale
        try await SandboxApplication.withRunning(configuration: sandboxConfiguration, logger: logger) { sandboxPort in
            let sandboxURL = "http://127.0.0.1:\(sandboxPort)"

            var console = WorkerConfiguration.Console()
            console.token = ProcessInfo.processInfo.environment["FAXD_CONSOLE_TOKEN"] ?? Self.randomToken()
            if let problem = console.problem { throw CommandFailure("FAXD_CONSOLE_TOKEN \(problem)") }
            let consoleToken = console.token
            let worker = try Self.makeWorker(
                bootstrap: cluster.bootstrapServers,
                sandboxURL: sandboxURL,
                port: port,
                adminPort: adminPort,
                consoleToken: consoleToken,
                logger: logger
            )
            CommandLogging.printLine(
                """
                faxd dev — everything in this process:
                  Kafka      \(cluster.bootstrapServers)   topics \(topics.all.joined(separator: ", "))
                  mintfax    \(sandboxURL)/v1   (sandbox; demo tenants acme, globex)
                  worker     group faxd-dev   webhooks http://127.0.0.1:\(port)   /metrics http://127.0.0.1:\(adminPort)/metrics
                  console    http://127.0.0.1:\(adminPort)/console?token=\(consoleToken)
                Your own job, from another terminal:
                  faxd enqueue --brokers \(cluster.bootstrapServers) --tenant acme --job mine-1 --to +12125551234 --file README.md --content-type text/plain
                Ctrl-C stops.

                """
            )
            // The worker ends on Ctrl-C (after draining) or when it fails; the live view goes first.
            do {
                try await SignalledService.run(
                    worker,
                    alongside: [LiveView(bootstrap: cluster.bootstrapServers, topics: topics, logger: logger)],
                    tenants: worker.tenants,
                    logger: logger
                )
            } catch {
                throw Self.explain(error, port: port, adminPort: adminPort)
            }
        }
        await cluster.shutdown()
    }

    /// A worker failure in the words of `faxd dev`'s flags: the listeners are `--port` and `--admin-port`.
    private static func explain(_ error: any Error, port: Int, adminPort: Int) -> any Error {
        guard let configuration = error as? ConfigurationError else { return error }
        switch configuration.path {
        case "webhooks.listen": return CommandFailure("--port \(port): \(configuration.reason); choose another port with --port")
        case "metrics.listen":
            return CommandFailure("--admin-port \(adminPort): \(configuration.reason); choose another port with --admin-port")
        default: return error
        }
    }

    private static func makeWorker(
        bootstrap: String,
        sandboxURL: String,
        port: Int,
        adminPort: Int,
        consoleToken: String,
        logger: Logger
    ) throws -> Worker {
        var configuration = WorkerConfiguration()
        configuration.console.token = consoleToken
        configuration.kafka.bootstrapServers = bootstrap
        configuration.kafka.groupID = "faxd-dev"
        configuration.mintfax.baseURL = sandboxURL + "/v1"
        configuration.metrics.listen = "127.0.0.1:\(adminPort)"
        configuration.webhooks.listen = "127.0.0.1:\(port)"
        configuration.webhooks.publicBaseURL = "http://127.0.0.1:\(port)"
        configuration.delivery.reconcileAfterSeconds = 30
        configuration.delivery.reconcileIntervalSeconds = 10
        configuration.dispatch.drainTimeoutSeconds = 5
        configuration.dispatch.shutdownTimeoutSeconds = 10
        var secrets: [String: String] = [:]
        for environment in SandboxConfiguration.demoEnvironments {
            secrets["DEMO_KEY_" + environment.name.uppercased()] = environment.apiKey
            secrets["DEMO_WEBHOOK_SECRET_" + environment.name.uppercased()] = environment.webhookSecret.encoded
        }
        let tenants = try TenantDirectory(
            tenants: TenantsConfiguration(
                tenants: ["acme", "globex"].map { name in
                    .init(
                        id: name,
                        apiKey: .environment("DEMO_KEY_" + name.uppercased()),
                        webhookSecret: SecretReferences([.environment("DEMO_WEBHOOK_SECRET_" + name.uppercased())])
                    )
                }
            ),
            environment: secrets,
            mintfaxEnvironment: "sandbox"
        )
        return try Worker(
            configuration: configuration,
            tenants: tenants,
            metrics: WorkerMetrics(registry: CommandMetrics.bootstrap(), tenantLabels: configuration.metrics.tenantLabels),
            logger: logger
        )
    }

    /// A console token for this run (FAXD_CONSOLE_TOKEN sets one instead): 24 letters and digits.
    static func randomToken() -> String {
        let alphabet = Array("abcdefghijkmnopqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789")
        var generator = SystemRandomNumberGenerator()
        return String((0..<24).map { _ in alphabet[Int.random(in: 0..<alphabet.count, using: &generator)] })
    }

    private static func enqueueSamples(bootstrap: String, topic: String, logger: Logger) async throws {
        let producer = try KafkaProducer(configuration: .init(bootstrapServers: bootstrap), logger: logger)
        let pdf = Data("%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n".utf8).base64EncodedString()
        for (index, sample) in samples.enumerated() {
            let tenant = index % 2 == 0 ? "acme" : "globex"
            let job: [String: Any] = [
                "job_id": "sample-\(index + 1)", "tenant_id": tenant, "to": sample.number,
                "document": ["content_base64": pdf, "filename": "sample.pdf"],
                "tags": ["scenario": sample.scenario],
            ]
            let value = try JSONSerialization.data(withJSONObject: job, options: [.sortedKeys])
            _ = try await producer.send(KafkaOutgoingMessage(topic: topic, key: Array(tenant.utf8), value: Array(value)))
        }
        await producer.close()
    }

    /// Sends the sample jobs, then shows what happens to them until the group shuts down, which it
    /// announces ("stopping…": the worker drains next).
    private struct LiveView: Service {
        let bootstrap: String
        let topics: TopicNames
        let logger: Logger

        func run() async throws {
            let view = WorkerPart("live view") { [bootstrap, topics, logger] in
                try await DevCommand.enqueueSamples(bootstrap: bootstrap, topic: topics.jobs, logger: logger)
                try await DevCommand.liveView(bootstrap: bootstrap, topics: topics, logger: logger)
            }
            try await withGracefulShutdownHandler {
                try await view.run()
            } onGracefulShutdown: {
                CommandLogging.printLine("stopping…")
            }
        }
    }

    /// Prints every status and usage event; says so once each sample job reached a final state.
    private static func liveView(bootstrap: String, topics: TopicNames, logger: Logger) async throws {
        let consumer = try KafkaConsumer(configuration: .init(bootstrapServers: bootstrap, groupID: "faxd-dev-view"), logger: logger)
        try consumer.subscribe(topics: [topics.status, topics.usage])
        var finished: Set<String> = []
        let started = ContinuousClock.now
        let decoder = JSONDecoder()
        do {
            for try await record in consumer.records {
                if record.topic == topics.usage, let usage = try? decoder.decode(UsageEvent.self, from: Data(record.value)) {
                    CommandLogging.printLine(describe(usage))
                    continue
                }
                guard let event = try? decoder.decode(StatusEvent.self, from: Data(record.value)) else { continue }
                CommandLogging.printLine(describe(event))
                if finalTypes.contains(event.type), event.jobID.hasPrefix("sample-"), finished.insert(event.jobID).inserted,
                    finished.count == samples.count
                {
                    CommandLogging.printLine(
                        "\nAll \(samples.count) sample jobs reached their final state in \((ContinuousClock.now - started).formatted(.units(allowed: [.seconds], fractionalPart: .show(length: 1)))). Waiting for your jobs (Ctrl-C stops).\n"
                    )
                }
            }
        } catch is CancellationError {}
        try? await consumer.close(timeout: .seconds(5))
    }

    static func describe(_ event: UsageEvent) -> String {
        var line = "\(event.tenantID)/\(event.jobID ?? "-")  \(event.type.rawValue)"
        if let pages = event.pages { line += "  \(pages) page\(pages == 1 ? "" : "s")" }
        if let available = event.available { line += "  available \(available)¢" }
        return line
    }

    static func describe(_ event: StatusEvent) -> String {
        var line = "\(event.tenantID)/\(event.jobID)  \(event.type.rawValue)"
        if let faxID = event.faxID { line += "  \(faxID)" }
        if event.type == .sending, let attempt = event.attempt { line += "  attempt \(attempt)" }
        if event.source != .worker { line += "  (\(event.source.rawValue))" }
        if let error = event.error { line += "  \(error.code): \(error.message)" }
        return line
    }
}

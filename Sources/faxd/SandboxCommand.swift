import ArgumentParser
import FaxdCore
import FaxdSandbox
import Foundation
import Logging
import ServiceLifecycle

/// `faxd sandbox`: the mintfax sandbox emulator on its own (docs/sandbox.md).
struct SandboxCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "sandbox",
        abstract: "Run the mintfax sandbox emulator until SIGINT or SIGTERM.",
        discussion: """
            The first line of standard output is the sandbox's base URL; then one line per environment: \
            its name, its API key and its webhook signing secret, separated by spaces. Without --config the \
            demo environments acme, globex and initech are served.
            """
    )

    @Option(help: "TCP port, 0–65535 (0 picks a free one). Default: the config file's, else 8089.")
    var port: Int?
    @Option(help: "Address to listen on. Default: the config file's, else 127.0.0.1.")
    var host: String?
    @Option(help: "A YAML configuration file (format in docs/sandbox.md).")
    var config: String?
    @Option(help: "Seconds per simulated lifecycle step, > 0 and ≤ 1000 (1 = demo pace). Default: the config file's, else 1.")
    var timeScale: Double?

    func validate() throws {
        if let port, !(0...65_535).contains(port) { throw ValidationError("--port must be between 0 and 65535, got \(port)") }
        if let host, host.isEmpty { throw ValidationError("--host must not be empty") }
        if let timeScale, !(timeScale.isFinite && timeScale > 0 && timeScale <= 1000) {
            throw ValidationError("--time-scale must be greater than 0 and at most 1000, got \(timeScale)")
        }
    }

    func run() async throws {
        var configuration: SandboxConfiguration
        if let config {
            do {
                configuration = try SandboxConfiguration.load(contentsOfFile: config)
            } catch {
                BatchedLineWriter.standardError.writeNow(Array("faxd sandbox: \(error)\n".utf8))
                throw ExitCode.failure
            }
        } else {
            configuration = .demo
        }
        if let port { configuration.port = port }
        if let host { configuration.host = host }
        if let timeScale { configuration.timeScale = timeScale }

        let logger = CommandLogging.bootstrap(label: "faxd.sandbox")
        let environments = configuration.environments
        let host = configuration.host
        let application = try SandboxApplication.make(configuration: configuration, logger: logger) { port in
            let url = "http://\(host.contains(":") ? "[\(host)]" : host):\(port)"
            CommandLogging.printLine(url)
            for environment in environments {
                CommandLogging.printLine("\(environment.name) \(environment.apiKey) \(environment.webhookSecret.encoded)")
            }
            logger.info(
                "mintfax sandbox ready",
                metadata: ["sandbox.url": "\(url)", "sandbox.environments": "\(environments.map(\.name).joined(separator: ","))"]
            )
        }
        let group = ServiceGroup(
            configuration: ServiceGroupConfiguration(services: [application], gracefulShutdownSignals: [.sigterm, .sigint], logger: logger)
        )
        do {
            try await group.run()
        } catch {
            BatchedLineWriter.standardError.writeNow(Array("faxd sandbox: \(error)\n".utf8))
            throw ExitCode.failure
        }
    }
}

import ArgumentParser
import FaxdCore

/// The `faxd` executable: one binary, a subcommand per role.
@main
struct FaxdCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "faxd",
        abstract: "Sends faxes from Kafka jobs through the mintfax API, once each.",
        subcommands: [
            WorkerCommand.self, WebhooksCommand.self, EnqueueCommand.self, DevCommand.self, SandboxCommand.self, ReplayCommand.self,
            RedriveCommand.self, UsageCommand.self, BrokerCommand.self, KeyCommand.self,
        ]
    )
}

extension FaxdCommand {
    /// ArgumentParser's own `main`, but the log lines still waiting in `BatchedLineWriter` are
    /// written before the error's line, which stays the last one on standard error.
    static func main() async {
        do {
            var command = try parseAsRoot()
            if var asyncCommand = command as? any AsyncParsableCommand {
                try await asyncCommand.run()
            } else {
                try command.run()
            }
        } catch {
            BatchedLineWriter.standardError.flush()
            exit(withError: error)
        }
    }
}

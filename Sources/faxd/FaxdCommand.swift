import ArgumentParser

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

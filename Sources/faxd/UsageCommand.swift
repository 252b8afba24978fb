import ArgumentParser

/// `faxd usage`: tools for the usage events billing reads from `fax.usage` (DESIGN §5).
struct UsageCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "usage",
        abstract: "Read the usage events on fax.usage.",
        subcommands: [UsageReportCommand.self]
    )
}

import ArgumentParser
import FaxdCore
import FaxdKafka
import Foundation
import Logging

/// `faxd usage report`: an example downstream billing consumer. Reads the usage topic from the
/// beginning to its end as it was at the start, drops duplicate events by `event_id`, and prints per
/// tenant and environment the faxes held, still held, captured and released, and the latest balance.
///
/// Commits nothing: it reads with `KafkaTopicSnapshotReader`, which joins no consumer group. The rules
/// of counting are `UsageLedger`'s.
struct UsageReportCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "report",
        abstract: "Summarise the usage topic per tenant: holds, captures, releases, latest balance.",
        discussion: """
            Reads the topic from the beginning up to its end at the start (so it ends), counts each \
            event_id once, and prints a table (or one JSON object) with totals and how many duplicates \
            were dropped. Records that are not usage events are counted as skipped. Commits nothing.
            """
    )

    enum Format: String, ExpressibleByArgument, CaseIterable {
        case table, json
    }

    @Option(help: "Kafka bootstrap servers.") var brokers: String =
        ProcessInfo.processInfo.environment["FAXD_KAFKA_BOOTSTRAP_SERVERS"] ?? "localhost:9092"
    @Option(help: "The usage topic.") var topic: String = TopicNames().usage
    @Option(help: "Leave out events that occurred before this time (RFC 3339, e.g. 2026-11-27T08:00:00Z).") var since: String?
    @Option(help: "Output format: table or json.") var format: Format = .table

    func validate() throws {
        if let since, RFC3339Timestamp.parse(since) == nil {
            throw ValidationError("--since must be an RFC 3339 time such as 2026-11-27T08:00:00Z, got '\(since)'")
        }
    }

    func run() async throws {
        var logger = CommandLogging.bootstrap(label: "faxd.usage")
        logger.logLevel = .error
        var ledger = UsageLedger(since: since.flatMap(RFC3339Timestamp.parse))
        do {
            let reader = try await KafkaTopicSnapshotReader(topic: topic, configuration: .init(bootstrapServers: brokers), logger: logger)
            try await reader.read { record in ledger.add(recordValue: record.value) }
        } catch {
            throw CommandFailure("cannot read \(topic): \(error)")
        }
        let report = ledger.report
        switch format {
        case .table:
            report.tableLines().forEach(CommandLogging.printLine)
        case .json:
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.sortedKeys, .prettyPrinted, .withoutEscapingSlashes]
            CommandLogging.printLine(String(decoding: try encoder.encode(report), as: UTF8.self))
        }
    }
}

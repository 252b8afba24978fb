import ArgumentParser
import FaxdCore
import FaxdKafka
import FaxdWorker
import Foundation
import Logging

/// `faxd redrive`: puts dead letters back on the jobs topic once what parked them is fixed (a tenant's
/// key replaced, a balance topped up). Each job goes back byte for byte, so it keeps its job id and
/// idempotency key: mintfax answers a job it already took with the fax it has, never a second one.
struct RedriveCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "redrive",
        abstract: "Re-publish dead letters to the jobs topic, after fixing what parked them.",
        discussion: """
            Reads the dead-letter topic from its first record to its end as it is when the command starts, \
            and re-publishes the selected dead letters to the jobs topic: key and value unchanged, the faxd.* \
            reason headers dropped, other headers kept, and faxd.redriven-from set to topic/partition/offset. \
            Prints the dead letters selected per tenant and error code; with --dry-run, publishes nothing. \
            Rejected jobs (malformed, mintfax 422, 409 idempotency_key_reuse) are skipped unless \
            --include-rejected is given: sent again unchanged, they would be rejected again. \
            Nothing is committed and the dead letters stay where they are: running redrive twice re-publishes \
            twice. That is safe — each job keeps its idempotency key, so mintfax sends no fax twice — but the \
            workers do the jobs' work again.
            """
    )

    @Option(help: "Kafka bootstrap servers.") var brokers: String =
        ProcessInfo.processInfo.environment["FAXD_KAFKA_BOOTSTRAP_SERVERS"] ?? "localhost:9092"
    @Option(help: "The dead-letter topic to read.") var dlqTopic: String = TopicNames().deadLetters
    @Option(help: "The jobs topic to publish to.") var topic: String = TopicNames().jobs
    @Option(name: .customLong("tenant"), help: "Only this tenant's dead letters (the record key; repeatable).") var tenants: [String] = []
    @Option(name: .customLong("error-code"), help: "Only dead letters with this faxd.error.code, e.g. insufficient_balance (repeatable).")
    var errorCodes: [String] = []
    @Option(help: "Only dead letters written at or after this time (RFC 3339, e.g. 2026-11-27T08:00:00Z).") var since: String?
    @Option(help: "Only dead letters written before this time (RFC 3339).") var until: String?
    @Flag(help: "Also re-drive rejected jobs (malformed, mintfax 422, 409 key reuse), which would be rejected again.") var includeRejected =
        false
    @Option(help: "Give up when the dead-letter topic delivers nothing for this many seconds before its end.") var readTimeout: Int = 30
    @Flag(help: "Show what would be re-driven; publish nothing.") var dryRun = false

    func validate() throws {
        for (flag, value) in [("--since", since), ("--until", until)] {
            if let value, RFC3339Timestamp.parse(value) == nil {
                throw ValidationError("\(flag) must be an RFC 3339 time such as 2026-11-27T08:00:00Z, got '\(value)'")
            }
        }
        if let since = since.flatMap(RFC3339Timestamp.parse), let until = until.flatMap(RFC3339Timestamp.parse), since >= until {
            throw ValidationError("--since must be before --until")
        }
        guard topic != dlqTopic else { throw ValidationError("--topic and --dlq-topic must differ, both are '\(topic)'") }
        guard readTimeout > 0 else { throw ValidationError("--read-timeout must be a positive number of seconds, got \(readTimeout)") }
    }

    func run() async throws {
        var logger = CommandLogging.bootstrap(label: "faxd.redrive")
        // A failure is one line on stderr; FAXD_LOG_LEVEL shows librdkafka's own messages too.
        if ProcessInfo.processInfo.environment["FAXD_LOG_LEVEL"] == nil { logger.logLevel = .critical }
        let selection = DeadLetterSelection(
            tenants: Set(tenants),
            errorCodes: Set(errorCodes),
            since: since.flatMap(RFC3339Timestamp.parse),
            until: until.flatMap(RFC3339Timestamp.parse),
            includeRejected: includeRejected
        )
        let redrive: DeadLetterRedrive
        do {
            redrive = try await DeadLetterRedrive(
                cluster: KafkaClientConfiguration(bootstrapServers: brokers),
                deadLetterTopic: dlqTopic,
                jobsTopic: topic,
                selection: selection,
                readTimeout: .seconds(readTimeout),
                logger: logger
            )
        } catch {
            throw CommandFailure("cannot read the partitions of \(dlqTopic) at \(brokers): \(error)")
        }
        // A mistyped --topic fails here, before anything is read or named as a dry run's destination.
        try await PublishTarget.requireExisting(topic, brokers: brokers, logger: logger)
        let read: DeadLetterRedrive.Outcome
        do {
            read = try await redrive.run(dryRun: dryRun)
        } catch {
            throw CommandFailure("\(error)")
        }

        let safe = "running redrive again is safe (same idempotency keys)"
        if let stopped = read.stopped {
            let before = dryRun ? "nothing published" : "published \(read.published) dead letters to \(topic) before that; \(safe)"
            throw CommandFailure("stopped reading \(dlqTopic): \(stopped); \(before)")
        }
        printSummary(read)
        if dryRun {
            CommandLogging.printLine(
                "dry run: \(read.selectedCount) of \(read.readCount) dead letters on \(dlqTopic) would be re-published to \(topic); nothing published"
            )
        } else if let failure = read.failure {
            throw CommandFailure(
                "published \(read.published) of \(read.selectedCount) dead letters to \(topic); the others failed: \(failure); \(safe)"
            )
        } else {
            CommandLogging.printLine(
                "published \(read.published) of \(read.readCount) dead letters from \(dlqTopic) to \(topic) (same job ids and idempotency keys: no fax is sent twice)"
            )
        }
    }

    /// The table of selected dead letters per tenant and error code, the total, and what was skipped.
    private func printSummary(_ read: DeadLetterRedrive.Outcome) {
        let rows = read.selected.sorted { $0.key < $1.key }
        let tenantWidth = max("tenant".count, "total".count, rows.map(\.key.tenant.count).max() ?? 0) + 2
        let codeWidth = max("error code".count, rows.map(\.key.errorCode.count).max() ?? 0) + 2
        func line(_ tenant: String, _ code: String, _ count: String) {
            CommandLogging.printLine(
                tenant.padding(toLength: tenantWidth, withPad: " ", startingAt: 0)
                    + code.padding(toLength: codeWidth, withPad: " ", startingAt: 0) + count
            )
        }
        line("tenant", "error code", "dead letters")
        for (row, count) in rows { line(row.tenant, row.errorCode, String(count)) }
        line("total", "", String(read.selectedCount))
        if read.skippedTruncated > 0 {
            CommandLogging.printLine(
                "skipped \(read.skippedTruncated) dead letters kept only as a reference (faxd.truncated): the original is on the jobs topic at faxd.origin.offset"
            )
        }
        if read.skippedRejected > 0 {
            CommandLogging.printLine(
                "skipped \(read.skippedRejected) rejected jobs, which would be rejected again (--include-rejected re-drives them too)"
            )
        }
    }
}

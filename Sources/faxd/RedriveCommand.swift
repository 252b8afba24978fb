import ArgumentParser
import FaxdCore
import FaxdKafka
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
        let reader: KafkaTopicSnapshotReader
        do {
            reader = try await KafkaTopicSnapshotReader(
                topic: dlqTopic,
                configuration: .init(bootstrapServers: brokers),
                idleTimeout: .seconds(readTimeout),
                logger: logger
            )
        } catch {
            throw CommandFailure("cannot read the partitions of \(dlqTopic) at \(brokers): \(error)")
        }
        // A mistyped --topic fails here, before anything is read or named as a dry run's destination.
        try await PublishTarget.requireExisting(topic, brokers: brokers, logger: logger)

        var republisher = try Republisher(brokers: brokers, dryRun: dryRun, logger: logger)
        var read = ReadResult()
        do {
            try await reader.read { record in
                read.readCount += 1
                let deadLetter = DeadLetter(record)
                switch selection.verdict(tenant: deadLetter.tenant, errorCode: deadLetter.errorCode, writtenAt: deadLetter.writtenAt) {
                case .redrive where deadLetter.truncated:
                    read.skippedTruncated += 1
                case .redrive:
                    read.selected[Row(tenant: deadLetter.tenant ?? "-", errorCode: deadLetter.errorCode ?? "-"), default: 0] += 1
                    try await republisher.publish(Self.redriven(record, to: topic))
                case .skipRejected:
                    read.skippedRejected += 1
                case .notSelected:
                    break
                }
            }
        } catch {
            read.stopped = "\(error)"
        }
        let (published, failure) = await republisher.finish(cut: read.stopped != nil)

        let safe = "running redrive again is safe (same idempotency keys)"
        if let stopped = read.stopped {
            let before = dryRun ? "nothing published" : "published \(published) dead letters to \(topic) before that; \(safe)"
            throw CommandFailure("stopped reading \(dlqTopic): \(stopped); \(before)")
        }
        printSummary(read)
        if dryRun {
            CommandLogging.printLine(
                "dry run: \(read.selectedCount) of \(read.readCount) dead letters on \(dlqTopic) would be re-published to \(topic); nothing published"
            )
        } else if let failure {
            throw CommandFailure(
                "published \(published) of \(read.selectedCount) dead letters to \(topic); the others failed: \(failure); \(safe)"
            )
        } else {
            CommandLogging.printLine(
                "published \(published) of \(read.readCount) dead letters from \(dlqTopic) to \(topic) (same job ids and idempotency keys: no fax is sent twice)"
            )
        }
    }

    /// The table of selected dead letters per tenant and error code, the total, and what was skipped.
    private func printSummary(_ read: ReadResult) {
        let rows = read.selected.sorted { ($0.key.tenant, $0.key.errorCode) < ($1.key.tenant, $1.key.errorCode) }
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

    // MARK: Reading and publishing

    /// A dead letter as the selection sees it.
    struct DeadLetter {
        var tenant: String?
        var errorCode: String?
        var writtenAt: Date?
        /// Only a reference to the job was kept (the record was too large for Kafka with the reason).
        var truncated: Bool

        init(_ record: KafkaRecord) {
            tenant = record.key.map { String(decoding: $0, as: UTF8.self) }
            errorCode = record.header(Self.errorCodeHeader).map { String(decoding: $0, as: UTF8.self) }
            writtenAt = record.timestampMilliseconds.map { Date(timeIntervalSince1970: Double($0) / 1000) }
            truncated = record.header("faxd.truncated") != nil
        }

        /// Written by the worker's `EventPublisher.deadLetter`, like every `faxd.` header.
        static let errorCodeHeader = "faxd.error.code"
    }

    /// A row of the summary: a tenant ("-" for a record without a key) and an error code ("-" without one).
    struct Row: Hashable, Sendable {
        var tenant: String
        var errorCode: String
    }

    /// What reading the dead-letter topic found and did.
    struct ReadResult {
        var readCount = 0
        var selected: [Row: Int] = [:]
        var skippedRejected = 0
        var skippedTruncated = 0
        /// Why reading ended before the end of the topic; nil when it reached the end.
        var stopped: String?

        var selectedCount: Int { selected.values.reduce(0, +) }
    }

    /// The job of a dead letter, bytes unchanged, without the `faxd.` reason headers (the worker adds
    /// new ones if it parks the job again), with the producer's other headers, and with
    /// `faxd.redriven-from` naming the dead letter (`topic/partition/offset`).
    static func redriven(_ record: KafkaRecord, to topic: String) -> KafkaOutgoingMessage {
        KafkaOutgoingMessage(
            topic: topic,
            key: record.key,
            value: record.value,
            headers: record.headers.filter { !$0.name.hasPrefix("faxd.") }
                + [KafkaHeader(name: "faxd.redriven-from", string: "\(record.topic)/\(record.partition)/\(record.offset)")]
        )
    }
}

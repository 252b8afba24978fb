import ArgumentParser
import FaxdCore
import FaxdKafka
import Foundation
import Logging

/// `faxd replay`: moves the workers' consumer group back on the jobs topic, after an outage. Every job
/// replayed keeps its idempotency key, so mintfax answers with the fax it already has; records older
/// than mintfax's 24-hour key window are looked up first by the worker.
struct ReplayCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "replay",
        abstract: "Move a consumer group back on the jobs topic (stop the workers first).",
        discussion: "With --dry-run, prints per partition where the group is, where it would go, and how many records would be read again, and changes nothing."
    )

    @Option(help: "Kafka bootstrap servers.") var brokers: String = ProcessInfo.processInfo.environment["FAXD_KAFKA_BOOTSTRAP_SERVERS"] ?? "localhost:9092"
    @Option(help: "The workers' consumer group.") var group: String = ProcessInfo.processInfo.environment["FAXD_KAFKA_GROUP_ID"] ?? "faxd-workers"
    @Option(help: "The jobs topic.") var topic: String = TopicNames().jobs
    @Flag(help: "Go back to the first record kept.") var toBeginning = false
    @Option(help: "Go back to the first record at or after this time (RFC 3339, e.g. 2026-11-27T08:00:00Z).") var toTime: String?
    @Flag(help: "Show what would change; change nothing.") var dryRun = false

    func validate() throws {
        guard toBeginning != (toTime != nil) else { throw ValidationError("give exactly one of --to-beginning or --to-time") }
        if let toTime, RFC3339Timestamp.parse(toTime) == nil {
            throw ValidationError("--to-time must be an RFC 3339 time such as 2026-11-27T08:00:00Z, got '\(toTime)'")
        }
    }

    func run() async throws {
        var logger = CommandLogging.bootstrap(label: "faxd.replay")
        logger.logLevel = .error
        let admin = try KafkaAdmin(configuration: .init(bootstrapServers: brokers), logger: logger)
        do {
            let partitions = (0..<(try await admin.partitionCount(topic: topic))).map { KafkaTopicPartition(topic: topic, partition: Int32($0)) }
            let committed = try await admin.committedOffsets(group: group, partitions: partitions)
            var targets: [KafkaTopicPartition: Int64] = [:]
            var total: Int64 = 0
            CommandLogging.printLine("partition  committed  target  records to read again")
            for partition in partitions {
                let marks = try await admin.watermarks(partition)
                let target: Int64
                if let toTime, let date = RFC3339Timestamp.parse(toTime) {
                    let found = try await admin.offsets(forTimes: [partition: Int64(date.timeIntervalSince1970 * 1000)])[partition] ?? -1
                    target = found < 0 ? marks.high : found
                } else {
                    target = marks.low
                }
                let current = (committed[partition] ?? nil) ?? marks.low
                let again = max(0, current - target)
                total += again
                targets[partition] = target
                CommandLogging.printLine("\(String(partition.partition).padding(toLength: 11, withPad: " ", startingAt: 0))\(String(current).padding(toLength: 11, withPad: " ", startingAt: 0))\(String(target).padding(toLength: 8, withPad: " ", startingAt: 0))\(again)")
            }
            if dryRun {
                CommandLogging.printLine("dry run: \(total) records would be read again by group \(group); nothing changed")
            } else {
                try await admin.alterCommittedOffsets(group: group, offsets: targets)
                CommandLogging.printLine("group \(group) moved: \(total) records will be read again (same idempotency keys, no second fax)")
            }
            await admin.close()
        } catch {
            await admin.close()
            throw CommandFailure("\(error)")
        }
    }
}

import ArgumentParser
import FaxdCore
import FaxdKafka
import FaxdWorker
import Foundation
import Logging

/// `faxd replay`: after an outage, has the workers do jobs again — by moving their stopped consumer
/// group back on the jobs topic, or, with `--tenant`, by re-publishing some tenants' jobs from a time on
/// while the workers run. Every job replayed keeps its job id and idempotency key, and the job ledger
/// checks it before any submission: a job that has a fax is reported again, never sent again.
struct ReplayCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "replay",
        abstract: "Move a stopped consumer group back on the jobs topic, or re-publish some tenants' jobs.",
        discussion: """
            Group replay (without --tenant) moves the group back to --to-beginning or to the first record at or \
            after --to-time, per partition, but never past the offset the group committed: a partition where the \
            group has not reached that point stays where it is, so no job ahead of the group is skipped. It is \
            refused while the group has members: stop every worker of the group first. --to-time is found from \
            the cluster's time index or, where the cluster answers none (faxd broker), from the records' own \
            timestamps. With --dry-run, prints per partition the committed offset, the offset the time names, the \
            new offset, the records read again and the records still ahead of the group, and changes nothing.

            Tenant replay (--tenant, repeatable) re-publishes those tenants' jobs written at or after --to-time (or \
            from the beginning) and before --until (or the topic's end when the command starts) to the jobs topic, \
            each to the partition it was read from, key and value unchanged, with faxd.replayed-from set to \
            topic/partition/offset. The group is not touched; the workers may keep running.
            """
    )

    @Option(help: "Kafka bootstrap servers.") var brokers: String =
        ProcessInfo.processInfo.environment["FAXD_KAFKA_BOOTSTRAP_SERVERS"] ?? "localhost:9092"
    @Option(help: "The workers' consumer group.") var group: String =
        ProcessInfo.processInfo.environment["FAXD_KAFKA_GROUP_ID"] ?? "faxd-workers"
    @Option(help: "The jobs topic.") var topic: String = TopicNames().jobs
    @Flag(help: "Go back to the first record kept.") var toBeginning = false
    @Option(help: "Go back to the first record at or after this time (RFC 3339, e.g. 2026-11-27T08:00:00Z).") var toTime: String?
    @Option(name: .customLong("tenant"), help: "Re-publish this tenant's jobs instead of moving the group (the record key; repeatable).")
    var tenants: [String] = []
    @Option(help: "With --tenant: only jobs written before this time (RFC 3339).") var until: String?
    @Option(help: "With --tenant: give up when the jobs topic delivers nothing for this many seconds before its end.") var readTimeout:
        Int = 30
    @Flag(help: "Show what would change; change nothing.") var dryRun = false

    func validate() throws {
        guard toBeginning != (toTime != nil) else { throw ValidationError("give exactly one of --to-beginning or --to-time") }
        for (flag, value) in [("--to-time", toTime), ("--until", until)] {
            if let value, RFC3339Timestamp.parse(value) == nil {
                throw ValidationError("\(flag) must be an RFC 3339 time such as 2026-11-27T08:00:00Z, got '\(value)'")
            }
        }
        if until != nil, tenants.isEmpty { throw ValidationError("--until selects a tenant replay's jobs: give --tenant too") }
        if let from = toTime.flatMap(RFC3339Timestamp.parse), let until = until.flatMap(RFC3339Timestamp.parse), from >= until {
            throw ValidationError("--to-time must be before --until")
        }
        guard readTimeout > 0 else { throw ValidationError("--read-timeout must be a positive number of seconds, got \(readTimeout)") }
    }

    func run() async throws {
        var logger = CommandLogging.bootstrap(label: "faxd.replay")
        if ProcessInfo.processInfo.environment["FAXD_LOG_LEVEL"] == nil { logger.logLevel = .critical }
        if tenants.isEmpty {
            try await moveGroup(logger: logger)
        } else {
            try await republishTenants(logger: logger)
        }
    }

    /// The first offset of each partition of `watermarks` from which the replay reads.
    private func startOffsets(
        _ watermarks: [KafkaTopicPartition: KafkaWatermarks],
        admin: KafkaAdmin,
        logger: Logger
    ) async throws -> [KafkaTopicPartition: Int64] {
        guard let time = toTime.flatMap(RFC3339Timestamp.parse) else { return watermarks.mapValues(\.low) }
        return try await KafkaTimeSearch(configuration: .init(bootstrapServers: brokers), logger: logger)
            .firstOffsets(atOrAfter: Int64((time.timeIntervalSince1970 * 1000).rounded(.down)), in: watermarks, asking: admin)
    }

    // MARK: Group replay

    private func moveGroup(logger: Logger) async throws {
        let admin = try KafkaAdmin(configuration: .init(bootstrapServers: brokers), logger: logger)
        do {
            try await moveGroup(admin: admin, logger: logger)
            await admin.close()
        } catch let failure as CommandFailure {
            await admin.close()
            throw failure
        } catch {
            await admin.close()
            throw CommandFailure("\(error)")
        }
    }

    private func moveGroup(admin: KafkaAdmin, logger: Logger) async throws {
        let watermarks = try await admin.watermarks(ofTopic: topic)
        let members = try await admin.memberCount(group: group)
        if let members, members > 0, !dryRun { throw Self.liveGroup(group, members: members) }
        let committed = try await admin.committedOffsets(group: group, partitions: Array(watermarks.keys))
        let starts = try await startOffsets(watermarks, admin: admin, logger: logger)
        let plan = watermarks.sorted { $0.key.partition < $1.key.partition }.map { partition, marks in
            // A partition the search left out reads again from its first record: more, never less.
            ReplayPlan(
                partition: partition.partition,
                committed: (committed[partition] ?? nil) ?? marks.low,
                start: starts[partition] ?? marks.low,
                end: marks.high
            )
        }
        ReplayPlan.printTable(plan)
        let again = plan.reduce(0) { $0 + $1.readAgain }
        let ahead = plan.reduce(0) { $0 + $1.ahead }
        if dryRun {
            if let members, members > 0 {
                CommandLogging.printLine("group \(group) has \(members) members: replay would be refused until they stop")
            }
            CommandLogging.printLine(
                "dry run: \(again) records would be read again by group \(group), \(ahead) are still ahead of it; nothing changed"
            )
            return
        }
        let targets = Dictionary(uniqueKeysWithValues: plan.map { (KafkaTopicPartition(topic: topic, partition: $0.partition), $0.target) })
        try await commit(targets, admin: admin)
        CommandLogging.printLine(
            "group \(group) moved: \(again) records will be read again, \(ahead) are still ahead (same idempotency keys, no second fax)"
        )
    }

    /// Commits `targets` for the group. On a cluster that cannot describe groups, the member that
    /// commits finds out: it is given only some partitions, or none, while others hold them.
    private func commit(_ targets: [KafkaTopicPartition: Int64], admin: KafkaAdmin) async throws {
        do throws(KafkaError) {
            try await admin.alterCommittedOffsets(group: group, offsets: targets)
        } catch {
            throw [.timedOut, .nonEmptyGroup].contains(error.code) ? Self.liveGroup(group, members: nil) : CommandFailure("\(error)")
        }
    }

    private static func liveGroup(_ group: String, members: Int?) -> CommandFailure {
        CommandFailure(
            "group \(group) has \(members.map { "\($0) active members" } ?? "active members"): stop every faxd worker of the group (SIGTERM; on Kubernetes scale it to 0), then run replay again; nothing changed"
        )
    }

    // MARK: Tenant replay

    private func republishTenants(logger: Logger) async throws {
        try await PublishTarget.requireExisting(topic, brokers: brokers, logger: logger)
        let reader: KafkaTopicSnapshotReader
        do {
            let whole = try await KafkaTopicSnapshotReader(
                topic: topic,
                configuration: .init(bootstrapServers: brokers),
                idleTimeout: .seconds(readTimeout),
                logger: logger
            )
            let admin = try KafkaAdmin(configuration: .init(bootstrapServers: brokers), logger: logger)
            let starts: [KafkaTopicPartition: Int64]
            do {
                starts = try await startOffsets(whole.watermarks, admin: admin, logger: logger)
                await admin.close()
            } catch {
                await admin.close()
                throw error
            }
            reader = whole.starting(at: starts)
        } catch {
            throw CommandFailure("cannot find where to read \(topic) at \(brokers): \(error)")
        }
        let wanted = Set(tenants)
        let untilMilliseconds = until.flatMap(RFC3339Timestamp.parse).map { Int64(($0.timeIntervalSince1970 * 1000).rounded(.down)) }
        var republisher: Republisher
        do {
            republisher = try Republisher(cluster: KafkaClientConfiguration(bootstrapServers: brokers), dryRun: dryRun, logger: logger)
        } catch {
            throw CommandFailure("\(error)")
        }
        var selected: [String: Int] = [:]
        var stopped: String?
        do {
            try await reader.read { record in
                let tenant = String(decoding: record.key ?? [], as: UTF8.self)
                guard wanted.contains(tenant) else { return }
                if let untilMilliseconds, let written = record.timestampMilliseconds, written >= untilMilliseconds { return }
                selected[tenant, default: 0] += 1
                try await republisher.publish(Self.replayed(record))
            }
        } catch {
            stopped = "\(error)"
        }
        let (published, failure) = await republisher.finish(cut: stopped != nil)
        for tenant in tenants.sorted() { CommandLogging.printLine("\(tenant)  \(selected[tenant] ?? 0) jobs") }
        let total = selected.values.reduce(0, +)
        let safe = "running replay again is safe (same idempotency keys, checked by the job ledger)"
        if let stopped {
            throw CommandFailure(
                "stopped reading \(topic): \(stopped); \(dryRun ? "nothing published" : "published \(published) jobs before that; \(safe)")"
            )
        }
        if dryRun {
            CommandLogging.printLine(
                "dry run: \(total) jobs of \(tenants.count) tenants would be re-published to \(topic); nothing published"
            )
        } else if let failure {
            throw CommandFailure("published \(published) of \(total) jobs to \(topic); the others failed: \(failure); \(safe)")
        } else {
            CommandLogging.printLine(
                "published \(published) jobs of \(tenants.count) tenants to \(topic) (same job ids and idempotency keys: no fax is sent twice)"
            )
        }
    }

    /// A job record again, on the partition it was read from (where its job-ledger entries are), bytes
    /// unchanged, without `faxd.` headers, with `faxd.replayed-from` naming the record replayed.
    static func replayed(_ record: KafkaRecord) -> KafkaOutgoingMessage {
        KafkaOutgoingMessage(
            topic: record.topic,
            partition: record.partition,
            key: record.key,
            value: record.value,
            headers: record.headers.filter { !$0.name.hasPrefix("faxd.") }
                + [KafkaHeader(name: "faxd.replayed-from", string: "\(record.topic)/\(record.partition)/\(record.offset)")]
        )
    }
}

/// Where a group replay moves one partition: back to `start`, but never past the committed offset.
struct ReplayPlan: Equatable {
    var partition: Int32
    /// The next offset the group reads now (the low watermark when it committed none).
    var committed: Int64
    /// The first offset at or after the replay's time (the low watermark for --to-beginning).
    var start: Int64
    /// The high watermark.
    var end: Int64

    /// The new committed offset: the earlier of the two, so nothing ahead of the group is skipped.
    var target: Int64 { min(start, committed) }
    var readAgain: Int64 { committed - target }
    /// Records the group has not read yet; a replay keeps them ahead of it.
    var ahead: Int64 { max(0, end - committed) }

    static func printTable(_ plans: [ReplayPlan]) {
        let columns = ["partition", "committed", "time offset", "new offset", "read again", "still ahead"]
        func line(_ cells: [String]) {
            let padded = zip(cells.dropLast(), columns).map {
                $0.padding(toLength: max($1.count + 2, $0.count + 1), withPad: " ", startingAt: 0)
            }
            CommandLogging.printLine(padded.joined() + (cells.last ?? ""))
        }
        line(columns)
        for plan in plans {
            line([String(plan.partition)] + [plan.committed, plan.start, plan.target, plan.readAgain, plan.ahead].map { String($0) })
        }
    }
}

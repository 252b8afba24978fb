import FaxdCore
import FaxdKafka
import Foundation
import Logging

/// The job ledger of the jobs-topic partitions this worker owns, and the one way a job run consults
/// and changes it (issue #10).
///
/// The ledger topic is co-partitioned with the jobs topic, like a Kafka Streams changelog: a job's
/// entry sits on the partition number of the job's record. When partitions are assigned, their
/// ledger partitions are read from the beginning to the end they have then — every entry the
/// previous owner wrote, since it wrote each before storing the job's offset — and only then may a
/// job of theirs be decided: `begin` waits for it. A failed restore is tried again every 2 s; the
/// partition's jobs wait meanwhile (they are never decided without their entries).
///
/// Two records of one job (a producer's re-send next to the original) never run at once: `begin`
/// waits for the other run to `end`, so the second sees what the first recorded.
///
/// It is also the owner's list of faxes to reconcile (`overdue`): entries in state `submitted` are
/// faxes not yet seen finished, whoever published their events; a final event on `fax.status` (a
/// webhook's, another worker's) moves its job to `delivered` or `failed` (`observe`).
actor JobLedgerStore {
    private enum Partition {
        /// Being read by the restore numbered so.
        case restoring(Int)
        case ready(JobLedger)
    }

    private let kafka: KafkaClientConfiguration
    private let topic: String
    private let publisher: EventPublisher
    private let namespace: UUIDv5
    private let logger: Logger
    /// When the reconciler last looked each unfinished job up (by record key), in this process.
    private var lookedUp: [String: Date] = [:]
    private var partitions: [Int32: Partition] = [:]
    private var restores: [Int: Task<Void, Never>] = [:]
    private var nextRestore = 0
    /// Runs waiting for their partition's restore.
    private var restoreWaiters: [Int32: [CheckedContinuation<Void, Never>]] = [:]
    /// Jobs being run (by record key), each with the runs of the same job waiting for it to end.
    private var running: [String: [CheckedContinuation<Void, Never>]] = [:]

    /// - Parameter namespace: the deployment's idempotency-key namespace.
    init(kafka: KafkaClientConfiguration, topic: String, publisher: EventPublisher, namespace: UUIDv5, logger: Logger) {
        self.kafka = kafka
        self.topic = topic
        self.publisher = publisher
        self.namespace = namespace
        self.logger = logger
    }

    /// Starts restoring `partitions` (jobs-topic partition numbers); returns at once.
    func assigned(_ assigned: [Int32]) {
        let fresh = assigned.filter { partitions[$0] == nil }
        guard !fresh.isEmpty else { return }
        nextRestore += 1
        let number = nextRestore
        for partition in fresh { partitions[partition] = .restoring(number) }
        restores[number] = Task { await self.restore(fresh, number: number) }
    }

    /// Forgets `partitions`; runs waiting for their restore go on without an answer.
    func revoked(_ revoked: [Int32]) {
        for partition in revoked {
            partitions[partition] = nil
            for waiter in restoreWaiters.removeValue(forKey: partition) ?? [] { waiter.resume() }
        }
        // A restore none of whose partitions remain is no longer wanted.
        let wanted = Set(partitions.values.compactMap { if case .restoring(let number) = $0 { number } else { nil } })
        for (number, task) in restores where !wanted.contains(number) {
            task.cancel()
            restores[number] = nil
        }
    }

    /// Assigned partitions whose ledger is still being read.
    var restoringCount: Int {
        partitions.values.count { if case .restoring = $0 { true } else { false } }
    }

    /// Whether every assigned partition's ledger is restored.
    var isRestored: Bool {
        partitions.values.allSatisfy { if case .ready = $0 { true } else { false } }
    }

    /// Waits until `partition`'s ledger is restored and no other run of `job` is under way, then
    /// marks `job` as running (call `end` after) and decides it.
    /// - Returns: nil when the partition left this worker meanwhile (do nothing: its next owner will).
    func begin(_ job: JobReference, partition: Int32, now: @Sendable () -> Date, keyWindow: TimeInterval) async -> JobLedger.Decision? {
        let key = JobLedgerEntry.recordKey(job)
        while true {
            switch partitions[partition] {
            case nil:
                return nil
            case .restoring:
                await withCheckedContinuation { restoreWaiters[partition, default: []].append($0) }
            case .ready(let ledger):
                if running[key] != nil {
                    await withCheckedContinuation { running[key]!.append($0) }
                    continue
                }
                running[key] = []
                return ledger.decide(job, now: now(), keyWindow: keyWindow)
            }
        }
    }

    /// The run of `job` ended; the next run of the same job, if one waits, goes on.
    func end(_ job: JobReference) {
        for waiter in running.removeValue(forKey: JobLedgerEntry.recordKey(job)) ?? [] { waiter.resume() }
    }

    /// Records an entry Kafka acknowledged on `partition`'s ledger.
    func record(_ entry: JobLedgerEntry, partition: Int32) {
        if entry.state != .submitted { lookedUp[JobLedgerEntry.recordKey(entry.job)] = nil }
        guard case .ready(var ledger) = partitions[partition] else { return }
        partitions[partition] = nil
        ledger.record(entry)
        partitions[partition] = .ready(ledger)
    }

    /// Writes `entry` to `partition`'s ledger and records it once Kafka acknowledged it. Publishes
    /// outside the actor: it is entered once, to record, not also to start (docs/benchmarks.md).
    /// - Returns: false when cancelled first.
    nonisolated func write(_ entry: JobLedgerEntry, partition: Int32) async -> Bool {
        guard await publisher.publish(tenantKey: Array(entry.tenantID.utf8), ledger: message(entry, partition: partition), status: [])
        else { return false }
        await record(entry, partition: partition)
        return true
    }

    // MARK: Delivery

    /// A submitted job's fax, as the reconciler works on it.
    struct Unfinished: Sendable {
        var entry: JobLedgerEntry
        var partition: Int32
    }

    /// The owned jobs whose fax was submitted at least `after(entry)` seconds ago and is not yet seen
    /// finished, and not looked up in the last `lookupInterval` seconds; oldest first.
    func overdue(now: Date, after: (JobLedgerEntry) -> TimeInterval, lookupInterval: TimeInterval) -> [Unfinished] {
        var due: [Unfinished] = []
        for (partition, state) in partitions {
            guard case .ready(let ledger) = state else { continue }
            for entry in ledger.unfinished {
                let submitted = entry.submittedAt ?? .distantPast
                guard now.timeIntervalSince(submitted) >= after(entry) else { continue }
                if let last = lookedUp[JobLedgerEntry.recordKey(entry.job)], now.timeIntervalSince(last) < lookupInterval { continue }
                due.append(Unfinished(entry: entry, partition: partition))
            }
        }
        return due.sorted {
            ($0.entry.submittedAt ?? .distantPast, $0.entry.faxID ?? "") < ($1.entry.submittedAt ?? .distantPast, $1.entry.faxID ?? "")
        }
    }

    /// The reconciler looked `job` up at `date`.
    func lookedUp(_ job: JobReference, at date: Date) {
        lookedUp[JobLedgerEntry.recordKey(job)] = date
    }

    /// Takes status events read from `fax.status`: each final one (`fax.delivered`, `fax.failed`) of a
    /// fax this worker's ledger holds as unfinished moves the job to that state, written to the
    /// ledger, so neither this worker nor the partition's next owner looks the fax up.
    func observe(_ events: [StatusEvent]) async {
        var finished: [Unfinished] = []
        for event in events where event.type == .delivered || event.type == .failed {
            guard let faxID = event.faxID,
                let (entry, partition) = unfinished(JobReference(tenantID: event.tenantID, jobID: event.jobID), faxID: faxID)
            else { continue }
            var done = entry
            done.state = event.type == .delivered ? .delivered : .failed
            done.pages = event.pages ?? entry.pages
            finished.append(Unfinished(entry: done, partition: partition))
        }
        for item in finished {
            lookedUp[JobLedgerEntry.recordKey(item.entry.job)] = nil
            _ = await write(item.entry, partition: item.partition)
        }
    }

    /// The unfinished entry of `job` with fax `faxID`, and its partition.
    private func unfinished(_ job: JobReference, faxID: String) -> (JobLedgerEntry, Int32)? {
        for (partition, state) in partitions {
            if case .ready(let ledger) = state, let entry = ledger.entry(job), entry.state == .submitted, entry.faxID == faxID {
                return (entry, partition)
            }
        }
        return nil
    }

    /// The record that writes `entry` to `partition`'s ledger.
    nonisolated func message(_ entry: JobLedgerEntry, partition: Int32) -> KafkaOutgoingMessage {
        KafkaOutgoingMessage(
            topic: topic,
            partition: partition,
            key: Array(JobLedgerEntry.recordKey(entry.job).utf8),
            value: entry.jsonBytes()
        )
    }

    // MARK: Restoring

    private func restore(_ restoring: [Int32], number: Int) async {
        let started = ContinuousClock.now
        while !Task.isCancelled {
            do {
                let ledgers = try await Self.read(restoring, topic: topic, kafka: kafka, namespace: namespace, logger: logger)
                restored(ledgers, number: number)
                logger.info(
                    "Job ledger restored",
                    metadata: [
                        "kafka.partitions": "\(restoring)", "ledger.jobs": "\(ledgers.values.reduce(0) { $0 + $1.count })",
                        "ledger.restore_ms": "\(Int((ContinuousClock.now - started).seconds * 1000))",
                    ]
                )
                return
            } catch {
                if Task.isCancelled { return }
                logger.error(
                    "Restoring the job ledger failed; trying again in 2 s",
                    metadata: ["kafka.partitions": "\(restoring)", "error": "\(error)"]
                )
                try? await Task.sleep(for: .seconds(2))
            }
        }
    }

    /// Reads the ledger partitions from their first record to their end as it is now.
    private static func read(
        _ partitions: [Int32],
        topic: String,
        kafka: KafkaClientConfiguration,
        namespace: UUIDv5,
        logger: Logger
    ) async throws -> [Int32: JobLedger] {
        var ledgers = Dictionary(uniqueKeysWithValues: partitions.map { ($0, JobLedger(namespace: namespace)) })
        var kafka = kafka
        // Partitions resumed after the reader's buffer was full wait for the broker's fetch.wait.max.ms
        // (500 ms by default) before their next records come.
        if kafka.properties["fetch.wait.max.ms"] == nil { kafka.properties["fetch.wait.max.ms"] = "1" }
        let reader = try await KafkaTopicSnapshotReader(topic: topic, partitions: partitions, configuration: kafka, logger: logger)
        try await reader.read { record in
            ledgers[record.partition]?.apply(key: record.key, value: record.value)
        }
        return ledgers
    }

    private func restored(_ ledgers: [Int32: JobLedger], number: Int) {
        restores[number] = nil
        for (partition, ledger) in ledgers {
            // A partition revoked (or revoked and assigned again) meanwhile is not this restore's.
            guard case .restoring(number) = partitions[partition] else { continue }
            partitions[partition] = .ready(ledger)
            for waiter in restoreWaiters.removeValue(forKey: partition) ?? [] { waiter.resume() }
        }
    }
}

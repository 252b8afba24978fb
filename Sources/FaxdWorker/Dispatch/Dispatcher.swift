import FaxdCore
import FaxdKafka
import FaxdMintfax
import Foundation
import Logging

/// The dispatch pipeline of one worker (DESIGN §6): records in, faxes submitted, events out, offsets
/// stored only below the first job that is not done.
///
/// Records are parsed as they arrive; valid jobs wait in a `TenantScheduler` (fair across tenants,
/// within the global, per-tenant and rate limits) and run as child tasks; a job is done when Kafka
/// acknowledged its events. Reading stops while `max_buffered_jobs` jobs or `max_buffered_bytes` of
/// records wait, so the consumer's own buffer fills and it pauses fetching: memory stays bounded.
///
/// - Important: the actor holds only bookkeeping; network calls run in nonisolated job tasks.
actor Dispatcher: KafkaRebalanceListener {
    /// A job waiting for, or holding, a scheduler slot.
    struct PendingJob: Sendable {
        var job: Job
        var record: KafkaRecord
    }

    struct Dependencies: Sendable {
        var consumer: KafkaConsumer
        var publisher: EventPublisher
        var ledger: JobLedgerStore
        var mintfax: MintfaxClient
        var tenants: TenantDirectory
        var documents: DocumentFetcher
        var events: EventFactory
        var configuration: WorkerConfiguration
        var metrics: WorkerMetrics
        var logger: Logger
    }

    private let dependencies: Dependencies
    private let retryPolicy: RetryPolicy
    private var scheduler: TenantScheduler<PendingJob>
    private var trackers: [KafkaTopicPartition: OffsetTracker] = [:]
    private var inFlight: [KafkaTopicPartition: Int] = [:]
    private var revoked: Set<KafkaTopicPartition> = []
    private var readingDone = false
    /// Bytes of the records of queued (not yet started) jobs.
    private var queuedBytes = 0
    private var pokeWaiter: CheckedContinuation<Void, Never>?
    private var poked = false
    private var nextWake: ContinuousClock.Instant?
    private var roomWaiters: [CheckedContinuation<Void, Never>] = []
    private var drainWaiters: [CheckedContinuation<Void, Never>] = []
    /// Tenants whose key or balance failed: until when, and the error their jobs are parked with.
    private var circuits: [String: (until: ContinuousClock.Instant, error: ErrorInfo)] = [:]
    /// Jobs of a tenant with an open circuit, to be parked without a request; the run loop starts them.
    private var toPark: [(pending: PendingJob, error: ErrorInfo)] = []
    /// Parkings started and not yet published.
    private var parking = 0
    private let clock = ContinuousClock()

    init(_ dependencies: Dependencies) {
        self.dependencies = dependencies
        let dispatch = dependencies.configuration.dispatch
        retryPolicy = RetryPolicy(budget: .seconds(dispatch.retryBudgetSeconds))
        scheduler = TenantScheduler(
            configuration: TenantSchedulerConfiguration(
                maxInFlight: dispatch.maxInFlight,
                defaultLimits: TenantLimits(maxInFlight: dispatch.maxInFlightPerTenant, ratePerMinute: Double(dispatch.rateLimitPerMinute))))
    }

    /// Reads and dispatches until the consumer's records end (it was closed) and every started job is
    /// done.
    func run() async throws {
        try await withThrowingDiscardingTaskGroup { group in
            group.addTask {
                try await self.readRecords()
                await self.finishReading()
            }
            while true {
                for (pending, error) in toPark {
                    inFlight[pending.record.topicPartition, default: 0] += 1
                    parking += 1
                    group.addTask { await self.executeParking(pending, error: error) }
                }
                toPark.removeAll()
                if readingDone, scheduler.totalQueued == 0, scheduler.totalInFlight == 0, parking == 0 { return }
                switch scheduler.next(now: clock.now) {
                case .run(let pending, let tenant):
                    queuedBytes -= pending.record.value.count
                    inFlight[pending.record.topicPartition, default: 0] += 1
                    dependencies.metrics.setInFlight(scheduler.totalInFlight)
                    configureLimits(for: tenant)
                    group.addTask { await self.execute(pending) }
                case .waitUntil(let instant):
                    if nextWake.map({ instant < $0 }) ?? true {
                        nextWake = instant
                        group.addTask {
                            try? await Task.sleep(until: instant, clock: .continuous)
                            await self.wake(at: instant)
                        }
                    }
                    await waitForPoke()
                case .idle:
                    await waitForPoke()
                }
            }
        }
    }

    // MARK: Reading

    private nonisolated func readRecords() async throws {
        for try await record in dependencies.consumer.records {
            await self.accept(record)
        }
    }

    private func finishReading() {
        readingDone = true
        poke()
    }

    /// Takes one record: rejects it, expires it, or queues its job.
    private func accept(_ record: KafkaRecord) async {
        let partition = record.topicPartition
        guard !revoked.contains(partition) else { return }
        trackers[partition, default: OffsetTracker()].start(record.offset)
        switch Job.parse(value: record.value, key: record.key) {
        case .failure(let rejection):
            dependencies.logger.warning(
                "Rejected a malformed job", metadata: metadata(record).merging(["fax.rejection": "\(rejection)"]) { $1 })
            let status = rejection.reference.map { [dependencies.events.rejected($0, error: rejection.errorInfo, attempt: nil, occurredAt: Date())] } ?? []
            let done = await dependencies.publisher.publish(
                tenantKey: record.key ?? [], status: status,
                deadLetter: (record, .init(error: rejection.errorInfo, attempts: 0)))
            dependencies.metrics.count("malformed")
            dependencies.metrics.deadLettered()
            if done { finish(record) }
        case .success(let job) where circuits[job.tenantID].map({ $0.until > clock.now }) ?? false:
            toPark.append((PendingJob(job: job, record: record), circuits[job.tenantID]!.error))
            poke()
        case .success(let job):
            let dispatch = dependencies.configuration.dispatch
            while scheduler.totalQueued >= dispatch.maxBufferedJobs || (queuedBytes > 0 && queuedBytes + record.value.count > dispatch.maxBufferedBytes) {
                await withCheckedContinuation { roomWaiters.append($0) }
            }
            // The partition may have been revoked while this waited for room: its next owner reads it.
            guard !revoked.contains(partition) else { return }
            queuedBytes += record.value.count
            scheduler.enqueue(PendingJob(job: job, record: record), tenant: job.tenantID)
            poke()
        }
    }

    // MARK: Running a job

    /// Submits one job and publishes its outcome; runs outside the actor.
    private nonisolated func execute(_ pending: PendingJob) async {
        let outcome = await JobRun(pending: pending, dependencies: dependencies, retryPolicy: retryPolicy, dispatcher: self).run()
        await completed(pending, published: outcome)
    }

    /// Parks one job of a tenant with an open circuit; runs outside the actor.
    private nonisolated func executeParking(_ pending: PendingJob, error: ErrorInfo) async {
        let published = await JobRun(pending: pending, dependencies: dependencies, retryPolicy: retryPolicy, dispatcher: self).park(error, attempts: 0)
        await parked(pending, published: published)
    }

    private func parked(_ pending: PendingJob, published: Bool) {
        parking -= 1
        inFlight[pending.record.topicPartition, default: 1] -= 1
        if published { finish(pending.record) }
        releaseDrainWaiters()
        poke()
    }

    /// Records the end of a job: frees its slot and, when its events are durable, its offset.
    private func completed(_ pending: PendingJob, published: Bool) {
        let partition = pending.record.topicPartition
        scheduler.completed(tenant: pending.job.tenantID)
        inFlight[partition, default: 1] -= 1
        dependencies.metrics.setInFlight(scheduler.totalInFlight)
        if published { finish(pending.record) }
        for waiter in roomWaiters { waiter.resume() }
        roomWaiters.removeAll()
        releaseDrainWaiters()
        poke()
    }

    private func releaseDrainWaiters() {
        for waiter in drainWaiters { waiter.resume() }
        drainWaiters.removeAll()
    }

    /// Marks a record done and stores the partition's committable offset.
    private func finish(_ record: KafkaRecord) {
        let partition = record.topicPartition
        guard !revoked.contains(partition), var tracker = trackers[partition] else { return }
        _ = tracker.finish(record.offset)
        trackers[partition] = tracker
        store(partition)
    }

    private func store(_ partition: KafkaTopicPartition) {
        guard let offset = trackers[partition]?.committableOffset else { return }
        do {
            try dependencies.consumer.storeOffset(partition, nextOffset: offset)
        } catch {
            if error.code != .partitionLost {
                dependencies.logger.error("Storing an offset failed", metadata: ["kafka.partition": "\(partition)", "error": "\(error)"])
            }
        }
    }

    /// mintfax's rate-limit answer for a tenant's key throttles the tenant's bucket.
    func observe(tenant: String, response: MintfaxResponse) {
        scheduler.observe(
            rateLimitRemaining: response.rateLimitRemaining,
            resetIn: response.rateLimitResetSeconds.map { .seconds($0) },
            retryAfter: response.retryAfterSeconds.map { .seconds($0) },
            tenant: tenant, now: clock.now)
        poke()
    }

    /// Takes one of the tenant's rate-limit tokens for a lookup that is not a submission (reconciler,
    /// balance watch), so it shares the tenant's rate with the jobs.
    /// - Returns: true when taken; false when the tenant must wait (try again next round).
    func takeToken(tenant: String) -> Bool {
        configureLimits(for: tenant)
        return scheduler.takeToken(tenant: tenant, now: clock.now) == nil
    }

    /// Credentials or balance failed (`error`): for 30 s no request goes out with the tenant's key, and
    /// its jobs — those queued now and those read meanwhile — are parked on the dead-letter topic
    /// straight away instead of waiting for the circuit (which would hold back the partitions'
    /// offsets). After 30 s the next job tries the key again.
    func openCircuit(tenant: String, error: ErrorInfo) {
        let until = clock.now.advanced(by: .seconds(30))
        let parked = ErrorInfo(
            code: error.code, message: "Not sent: the tenant's circuit is open after \(error.code) (\(error.message))", retryable: false,
            httpStatus: error.httpStatus)
        circuits[tenant] = (until, parked)
        scheduler.pause(tenant: tenant, until: until)
        let held = scheduler.removeQueued { $0.job.tenantID == tenant }
        queuedBytes -= held.reduce(0) { $0 + $1.record.value.count }
        toPark += held.map { ($0, parked) }
        for waiter in roomWaiters { waiter.resume() }
        roomWaiters.removeAll()
        poke()
        dependencies.logger.warning(
            "Tenant circuit open for 30 s; parking its jobs", metadata: ["tenant.id": "\(tenant)", "error.code": "\(error.code)", "jobs.parked": "\(held.count)"])
    }

    /// Applies a tenant's own limits from the tenants file.
    private func configureLimits(for tenant: String) {
        guard let entry = dependencies.tenants.tenant(tenant), !entry.shared else { return }
        let defaults = scheduler.configuration.defaultLimits
        let limits = TenantLimits(
            maxInFlight: entry.maxInFlight ?? defaults.maxInFlight,
            ratePerMinute: entry.rateLimitPerMinute.map(Double.init) ?? defaults.ratePerMinute,
            burst: defaults.burst)
        if scheduler.configuration.tenantLimits[tenant] != limits { scheduler.configuration.tenantLimits[tenant] = limits }
    }

    // MARK: Waking

    private func poke() {
        if let waiter = pokeWaiter {
            pokeWaiter = nil
            waiter.resume()
        } else {
            poked = true
        }
    }

    /// A scheduled wake-up came due: a later one may be scheduled again.
    private func wake(at instant: ContinuousClock.Instant) {
        if nextWake == instant { nextWake = nil }
        poke()
    }

    private func waitForPoke() async {
        if poked {
            poked = false
            return
        }
        await withCheckedContinuation { pokeWaiter = $0 }
        poked = false
    }

    // MARK: Rebalancing

    /// Starts restoring the partitions' job ledger (their jobs wait for it) and tracks their offsets.
    func partitionsAssigned(_ partitions: [KafkaTopicPartition]) async {
        for partition in partitions {
            revoked.remove(partition)
            trackers[partition] = OffsetTracker()
        }
        await dependencies.ledger.assigned(partitions.map(\.partition))
    }

    /// Stops starting jobs of `partitions`, lets their running jobs finish (at most
    /// `drain_timeout_seconds`), stores their offsets, then lets them go.
    func partitionsRevoked(_ partitions: [KafkaTopicPartition], lost: Bool) async {
        let leaving = Set(partitions)
        let dropped = scheduler.removeQueued { leaving.contains($0.record.topicPartition) }
        toPark.removeAll { leaving.contains($0.pending.record.topicPartition) }
        queuedBytes -= dropped.reduce(0) { $0 + $1.record.value.count }
        if !dropped.isEmpty { poke() }
        for waiter in roomWaiters { waiter.resume() }
        roomWaiters.removeAll()
        if !lost {
            let deadline = clock.now.advanced(by: .seconds(dependencies.configuration.dispatch.drainTimeoutSeconds))
            while leaving.contains(where: { inFlight[$0, default: 0] > 0 }), clock.now < deadline {
                let timer = Task {
                    try? await Task.sleep(until: deadline, clock: .continuous)
                    self.releaseDrainWaiters()
                }
                await withCheckedContinuation { drainWaiters.append($0) }
                timer.cancel()
            }
            for partition in partitions { store(partition) }
        }
        for partition in partitions {
            revoked.insert(partition)
            trackers[partition] = nil
        }
        await dependencies.ledger.revoked(partitions.map(\.partition))
        dependencies.logger.info(
            "Released partitions", metadata: ["kafka.partitions": "\(partitions)", "jobs.dropped": "\(dropped.count)", "kafka.lost": "\(lost)"])
    }

    private nonisolated func metadata(_ record: KafkaRecord) -> Logger.Metadata {
        ["kafka.partition": "\(record.partition)", "kafka.offset": "\(record.offset)"]
    }
}

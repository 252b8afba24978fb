import FaxdCore
import FaxdKafka
import FaxdMintfax
import Foundation
import Logging
import Tracing

/// The dispatch pipeline of one worker (DESIGN §6): records in, faxes submitted, events out, offsets
/// stored only below the first job that is not done.
///
/// Every decision — what is read ahead, what starts, when a retry is due, when mintfax's breakers
/// stop submissions, which offset is committable — is `DispatchStateMachine`'s; this actor feeds it
/// events and carries out its actions: attempts and parkings as child tasks, partition pauses and
/// offset stores on the consumer.
///
/// - Important: the actor holds only bookkeeping; network calls run in nonisolated job tasks.
actor Dispatcher: KafkaRebalanceListener {
    /// A job, with what its next attempt continues from.
    struct PendingJob: Sendable {
        var job: Job
        var record: KafkaRecord
        /// Set once the job ledger decided the job (its run began): a retry goes on from here.
        var submission: JobRun.Submission?
    }

    typealias Run = DispatchStateMachine<PendingJob>.Run

    /// What every job run uses; a class, so that a run holds one reference, not a copy of the
    /// configuration and every client (a retain and release each, per job).
    final class Dependencies: Sendable {
        let consumer: KafkaConsumer
        let publisher: EventPublisher
        let ledger: JobLedgerStore
        let mintfax: MintfaxClient
        let tenants: TenantDirectory
        let documents: DocumentFetcher
        let events: EventFactory
        let configuration: WorkerConfiguration
        let metrics: WorkerMetrics
        let logger: Logger

        init(
            consumer: KafkaConsumer,
            publisher: EventPublisher,
            ledger: JobLedgerStore,
            mintfax: MintfaxClient,
            tenants: TenantDirectory,
            documents: DocumentFetcher,
            events: EventFactory,
            configuration: WorkerConfiguration,
            metrics: WorkerMetrics,
            logger: Logger
        ) {
            self.consumer = consumer
            self.publisher = publisher
            self.ledger = ledger
            self.mintfax = mintfax
            self.tenants = tenants
            self.documents = documents
            self.events = events
            self.configuration = configuration
            self.metrics = metrics
            self.logger = logger
        }
    }

    /// Malformed records being dead-lettered at once, beyond which reading waits.
    private static let maxRejectionsInFlight = 256

    private let dependencies: Dependencies
    private let jobsTopic: String
    private var machine: DispatchStateMachine<PendingJob>
    private var readingDone = false
    /// Malformed records read and not yet dead-lettered (the run loop starts them).
    private var toReject: [(record: KafkaRecord, rejection: JobRejection)] = []
    private var rejecting = 0
    private var rejectionRoomWaiters: [CheckedContinuation<Void, Never>] = []
    private var pokeWaiter: CheckedContinuation<Void, Never>?
    private var poked = false
    private var nextWake: ContinuousClock.Instant?
    private var drainWaiters: [CheckedContinuation<Void, Never>] = []
    private var wasProviderBreakerOpen = false
    /// When shutdown began, the instant by which whatever still runs is cancelled.
    private var abandonAt: ContinuousClock.Instant?
    /// Where tenants' records belong, once the jobs topic's partition count is known.
    private var placement: TenantPlacement?
    /// The jobs topic's partitions this worker owns.
    private var owned: Set<Int32> = []
    /// What the keys' budgets were last computed from: the tenants' generation and `owned`.
    private var budgetedFrom: (generation: Int, owned: Set<Int32>)?
    private let clock = ContinuousClock()

    init(_ dependencies: Dependencies) {
        self.dependencies = dependencies
        jobsTopic = dependencies.configuration.kafka.topics.jobs
        let dispatch = dependencies.configuration.dispatch
        let openFor = Duration.seconds(dispatch.breakerOpenSeconds)
        machine = DispatchStateMachine(
            configuration: .init(
                scheduler: TenantSchedulerConfiguration(
                    maxInFlight: dispatch.maxInFlight,
                    defaultLimits: TenantLimits(
                        maxInFlight: dispatch.maxInFlightPerTenant,
                        ratePerMinute: Double(dispatch.rateLimitPerMinute)
                    )
                ),
                maxBufferedJobs: dispatch.maxBufferedJobs,
                maxBufferedBytes: dispatch.maxBufferedBytes,
                maxBufferedJobsPerTenant: dispatch.maxBufferedJobsPerTenant,
                maxPublishing: dispatch.maxPublishing,
                retryPolicy: RetryPolicy(budget: .seconds(dispatch.retryBudgetSeconds)),
                breaker: .init(failureThreshold: dispatch.breakerFailures, openFor: openFor, maxOpenFor: max(openFor, .seconds(60)))
            )
        )
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
                for (record, rejection) in toReject {
                    rejecting += 1
                    group.addTask { await self.reject(record, rejection) }
                }
                toReject.removeAll()
                if readingDone, machine.isIdle, rejecting == 0 {
                    // Only wake-up timers are left: they must not hold the group open.
                    group.cancelAll()
                    return
                }
                if let abandonAt, clock.now >= abandonAt {
                    dependencies.logger.warning(
                        "Shutdown time is up; cancelling what still runs (the next owner redoes it under the same keys)",
                        metadata: ["jobs.in_flight": "\(machine.attemptsInFlight)"]
                    )
                    group.cancelAll()
                    return
                }
                var (actions, wake) = machine.next(now: clock.now)
                if let abandonAt { wake = min(wake ?? abandonAt, abandonAt) }
                for action in actions {
                    switch action {
                    case .attempt(let run):
                        group.addTask { await self.execute(run) }
                    case .park(let run, let error):
                        group.addTask { await self.executeParking(run, error: error) }
                    default:
                        perform([action])
                    }
                }
                dependencies.metrics.setInFlight(machine.attemptsInFlight)
                guard actions.isEmpty else { continue }
                if let wake, nextWake.map({ wake < $0 }) ?? true {
                    nextWake = wake
                    group.addTask {
                        try? await Task.sleep(until: wake, clock: .continuous)
                        await self.wake(at: wake)
                    }
                }
                await waitForPoke()
            }
        }
    }

    /// Carries out the actions that need no task.
    private func perform(_ actions: [DispatchStateMachine<PendingJob>.Action]) {
        for action in actions {
            switch action {
            case .pause(let partition):
                dependencies.consumer.pause([KafkaTopicPartition(topic: jobsTopic, partition: partition)])
            case .resume(let partition):
                dependencies.consumer.resume([KafkaTopicPartition(topic: jobsTopic, partition: partition)])
            case .commit(let partition, let nextOffset):
                store(KafkaTopicPartition(topic: jobsTopic, partition: partition), nextOffset: nextOffset)
            case .release(let run):
                // A run that began ends its hold on the job, so the next owner's copy is not kept waiting.
                if run.job.submission != nil {
                    let (ledger, reference) = (dependencies.ledger, run.job.job.reference)
                    Task { await ledger.end(reference) }
                }
            case .attempt, .park:
                break
            }
        }
    }

    // MARK: Reading

    private nonisolated func readRecords() async throws {
        do {
            for try await record in dependencies.consumer.records {
                await self.accept(record)
            }
        } catch is CancellationError {
            // Shutdown ran out of time: nothing more is read.
        }
    }

    /// Starts noticing tenants whose records are not on their murmur2 partition of `partitions`.
    func watchPlacement(partitions: Int) {
        placement = TenantPlacement(partitions: partitions)
    }

    /// Shutdown has begun: whatever still runs at `deadline` — an attempt waiting for mintfax, a
    /// lookup between tries, an event Kafka has not taken — is cancelled then, its offset not
    /// committed (the next owner redoes it under the same key).
    func stop(by deadline: ContinuousClock.Instant) {
        abandonAt = deadline
        poke()
    }

    private func finishReading() {
        readingDone = true
        poke()
    }

    /// Takes one record: a malformed one is dead-lettered by its own task; a job goes to the machine.
    private func accept(_ record: KafkaRecord) async {
        switch Job.parse(value: record.value, key: record.key) {
        case .failure(let rejection):
            while rejecting + toReject.count >= Self.maxRejectionsInFlight {
                await withCheckedContinuation { rejectionRoomWaiters.append($0) }
            }
            machine.readWithoutRun(partition: record.partition, offset: record.offset, recordTime: record.timestampMilliseconds)
            toReject.append((record, rejection))
        case .success(let job):
            if placement?.observe(tenant: job.tenantID, key: record.key, partition: record.partition) == true {
                dependencies.metrics.setMisplacedTenants(placement?.misplaced.count ?? 0)
                dependencies.logger.warning(
                    "A tenant's jobs arrive on a partition its key does not hash to: its producer does not partition like Kafka's Java client (murmur2; librdkafka clients: partitioner=murmur2_random), so its jobs may be split across partitions",
                    metadata: ["tenant.id": "\(job.tenantID)", "kafka.partition": "\(record.partition)"]
                )
            }
            configureBudget(of: job.tenantID)
            perform(
                machine.read(
                    PendingJob(job: job, record: record),
                    tenant: job.tenantID,
                    partition: record.partition,
                    offset: record.offset,
                    bytes: record.value.count,
                    recordTime: record.timestampMilliseconds,
                    now: clock.now
                )
            )
        }
        poke()
    }

    /// Dead-letters a malformed record; runs outside the actor.
    private nonisolated func reject(_ record: KafkaRecord, _ rejection: JobRejection) async {
        dependencies.logger.warning(
            "Rejected a malformed job",
            metadata: ["kafka.partition": "\(record.partition)", "kafka.offset": "\(record.offset)", "fax.rejection": "\(rejection)"]
        )
        let status =
            rejection.reference.map { [dependencies.events.rejected($0, error: rejection.errorInfo, attempt: nil, occurredAt: Date())] }
            ?? []
        let done = await dependencies.publisher.publish(
            tenantKey: record.key ?? [],
            status: status,
            deadLetter: (record, .init(error: rejection.errorInfo, attempts: 0))
        )
        dependencies.metrics.count("malformed")
        dependencies.metrics.deadLettered(code: rejection.errorInfo.code)
        await rejected(record, published: done)
    }

    private func rejected(_ record: KafkaRecord, published: Bool) {
        rejecting -= 1
        if published { perform(machine.finished(partition: record.partition, offset: record.offset)) }
        for waiter in rejectionRoomWaiters { waiter.resume() }
        rejectionRoomWaiters.removeAll()
        releaseDrainWaiters()
        poke()
    }

    /// Puts `tenant` in its key's budget with its own limits from the tenants file, after
    /// recomputing the keys' budgets if the tenants or the assignment changed since.
    private func configureBudget(of tenant: String) {
        refreshKeyBudgets()
        let entry = dependencies.tenants.tenant(tenant)
        machine.setKey(entry?.keyFingerprint, tenant: tenant)
        guard let entry, entry.maxInFlight != nil || entry.rateLimitPerMinute != nil else {
            machine.setLimits(nil, tenant: tenant)
            return
        }
        let defaults = machine.configuration.scheduler.defaultLimits
        machine.setLimits(
            TenantLimits(
                maxInFlight: entry.maxInFlight ?? defaults.maxInFlight,
                ratePerMinute: entry.rateLimitPerMinute.map(Double.init) ?? defaults.ratePerMinute,
                burst: defaults.burst
            ),
            tenant: tenant
        )
    }

    /// This worker's share of every key's rate (`KeyBudget.share`): the key's configured rate (or
    /// `dispatch.rate_limit_per_minute`) times the part of the key's partitions this worker owns.
    private func refreshKeyBudgets() {
        let generation = dependencies.tenants.generation
        guard budgetedFrom.map({ $0.generation != generation || $0.owned != owned }) ?? true else { return }
        budgetedFrom = (generation, owned)
        let defaults = machine.configuration.scheduler.defaultLimits
        let partitionCount = placement?.partitions ?? max(owned.count, 1)
        var budgets: [String: KeyBudget] = [:]
        for (fingerprint, key) in dependencies.tenants.keys {
            let partitions =
                key.takesUnlisted || placement == nil
                ? nil : Set(key.tenants.map { Murmur2Partitioner.partition(key: Array($0.utf8), partitions: partitionCount) })
            budgets[fingerprint] = KeyBudget.share(
                ratePerMinute: key.ratePerMinute.map(Double.init) ?? defaults.ratePerMinute,
                burst: defaults.burst,
                keyPartitions: partitions,
                owned: owned,
                partitionCount: partitionCount
            )
        }
        machine.setKeyBudgets(budgets)
    }

    // MARK: Running a job

    /// One attempt of a job; runs outside the actor.
    private nonisolated func execute(_ run: Run) async {
        let (end, submission) = await Self.inJobSpan(run) {
            await JobRun(run: run, dependencies: dependencies, dispatcher: self).attempt()
        }
        var next = run
        next.job.submission = submission
        await attemptEnded(next, end)
    }

    /// Parks one job of a tenant with an open circuit; runs outside the actor.
    private nonisolated func executeParking(_ run: Run, error: ErrorInfo) async {
        let published = await Self.inJobSpan(run) {
            await JobRun(run: run, dependencies: dependencies, dispatcher: self).parkWithoutRequest(error)
        }
        await parked(run, published: published)
    }

    /// Runs `body` in a `faxd job` span (one per attempt), a child of the producer's trace when the
    /// record carries a W3C `traceparent`. Without a tracer bootstrapped (`tracing.otlp_endpoint`
    /// empty) there is no span: a no-op one still set its context as a task-local value per job
    /// (docs/benchmarks.md).
    private static func inJobSpan<T: Sendable>(_ run: Run, _ body: () async -> T) async -> T {
        if InstrumentationSystem.tracer is NoOpTracer { return await body() }
        let (job, record) = (run.job.job, run.job.record)
        var context = ServiceContext.topLevel
        InstrumentationSystem.instrument.extract(record.headers, into: &context, using: KafkaHeadersExtractor())
        return await withSpan("faxd job", context: context, ofKind: .consumer) { span in
            // Only a recording span keeps attributes: without a tracer, building them cost per job.
            if span.isRecording {
                span.attributes["faxd.tenant_id"] = job.tenantID
                span.attributes["faxd.job_id"] = job.jobID
                span.attributes["messaging.destination.name"] = record.topic
                span.attributes["messaging.destination.partition.id"] = String(record.partition)
                span.attributes["messaging.kafka.offset"] = Int(record.offset)
            }
            return await body()
        }
    }

    private func attemptEnded(_ run: Run, _ end: DispatchStateMachine<PendingJob>.AttemptEnd) {
        perform(machine.attemptEnded(run, end, now: clock.now))
        dependencies.metrics.setInFlight(machine.attemptsInFlight)
        releaseDrainWaiters()
        poke()
    }

    private func parked(_ run: Run, published: Bool) {
        perform(machine.parkEnded(run, published: published))
        releaseDrainWaiters()
        poke()
    }

    private func releaseDrainWaiters() {
        for waiter in drainWaiters { waiter.resume() }
        drainWaiters.removeAll()
    }

    private func store(_ partition: KafkaTopicPartition, nextOffset: Int64) {
        do {
            try dependencies.consumer.storeOffset(partition, nextOffset: nextOffset)
        } catch {
            if error.code != .partitionLost {
                dependencies.logger.error("Storing an offset failed", metadata: ["kafka.partition": "\(partition)", "error": "\(error)"])
            }
        }
    }

    // MARK: What job runs report

    /// Whether a failed attempt is tried again, and when (see `DispatchStateMachine.retryVerdict`).
    func retryVerdict(_ run: Run, notBefore: Duration?) -> DispatchStateMachine<PendingJob>.RetryVerdict {
        var random = SystemRandomNumberGenerator()
        return machine.retryVerdict(run, notBefore: notBefore, now: clock.now, random: &random)
    }

    /// The submission of `run` ended: mintfax answered (`response`, with its rate-limit headers) or
    /// failed broadly (5xx, time-out, no connection; `answered` false). Its slot goes to the next job
    /// while the run publishes what happened (`DispatchStateMachine.requestEnded`) — after the key's
    /// circuit opened, when the answer said its credentials or balance failed (`openingCircuit`).
    func requestEnded(_ run: Run, answered: Bool, response: MintfaxResponse?, openingCircuit circuit: ErrorInfo?) {
        if let response { observe(response, tenant: run.tenant) }
        noteHealth(answered: answered, tenant: run.tenant)
        if let circuit { openCircuit(tenant: run.tenant, error: circuit) }
        machine.requestEnded(run, now: clock.now)
        dependencies.metrics.setInFlight(machine.attemptsInFlight)
        poke()
    }

    /// mintfax answered a request with the tenant's key, or failed broadly (5xx, time-out, no connection).
    private func noteHealth(answered: Bool, tenant: String) {
        if answered {
            machine.mintfaxAnswered(tenant: tenant, now: clock.now)
        } else {
            machine.mintfaxFailed(tenant: tenant, now: clock.now)
        }
        reportBreakers()
    }

    /// Logs and counts the breakers opening and closing; they change only on mintfax's feedback.
    private func reportBreakers() {
        let open = machine.isProviderBreakerOpen
        dependencies.metrics.setBreakers(providerOpen: open, keysOpen: machine.openKeyBreakerCount)
        guard open != wasProviderBreakerOpen else { return }
        wasProviderBreakerOpen = open
        if open {
            dependencies.logger.warning(
                "mintfax is failing for several tenants; submissions stopped, jobs wait in Kafka until a probe succeeds",
                metadata: ["jobs.waiting": "\(machine.jobsWaiting)"]
            )
        } else {
            dependencies.logger.notice("mintfax answers again; submissions resumed", metadata: ["jobs.waiting": "\(machine.jobsWaiting)"])
        }
    }

    /// mintfax's rate-limit answer for a tenant's key throttles the tenant's bucket.
    func observe(tenant: String, response: MintfaxResponse) {
        observe(response, tenant: tenant)
        poke()
    }

    private func observe(_ response: MintfaxResponse, tenant: String) {
        machine.observe(
            rateLimitRemaining: response.rateLimitRemaining,
            resetIn: response.rateLimitResetSeconds.map { .seconds($0) },
            retryAfter: response.retryAfterSeconds.map { .seconds($0) },
            tenant: tenant,
            now: clock.now
        )
    }

    /// Takes one of the tenant's rate-limit tokens for a lookup that is not a submission (reconciler,
    /// balance watch), so it shares the tenant's rate with the jobs.
    /// - Returns: true when taken; false when the tenant must wait (try again next round).
    func takeToken(tenant: String) -> Bool {
        configureBudget(of: tenant)
        return machine.takeToken(tenant: tenant, now: clock.now)
    }

    /// Credentials or balance failed (`error`): for 30 s no request goes out with the tenant's key, and
    /// the jobs of every tenant of the key — those waiting now and those read meanwhile — are parked on the dead-letter topic
    /// straight away instead of waiting for the circuit (which would hold back the partitions'
    /// offsets). After 30 s the next job tries the key again.
    private func openCircuit(tenant: String, error: ErrorInfo) {
        let parked = ErrorInfo(
            code: error.code,
            message: "Not sent: the circuit of the tenant's mintfax key is open after \(error.code) (\(error.message))",
            retryable: false,
            httpStatus: error.httpStatus
        )
        let held = machine.openCircuit(tenant: tenant, error: parked, until: clock.now.advanced(by: .seconds(30)))
        poke()
        dependencies.logger.warning(
            "Key circuit open for 30 s; parking the jobs of its tenants",
            metadata: [
                "tenant.id": "\(tenant)", "mintfax.key": "\(dependencies.tenants.tenant(tenant)?.keyFingerprint ?? tenant)",
                "error.code": "\(error.code)",
                "jobs.parked": "\(held)",
            ]
        )
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

    /// What `/metrics` reports of the dispatch, read at each scrape.
    func view() -> DispatchStateMachine<PendingJob>.View {
        machine.view(now: clock.now)
    }

    // MARK: Rebalancing

    /// Starts restoring the partitions' job ledger (their jobs wait for it) and tracks their offsets.
    func partitionsAssigned(_ partitions: [KafkaTopicPartition]) async {
        machine.assigned(partitions.map(\.partition))
        owned.formUnion(partitions.map(\.partition))
        dependencies.metrics.rebalanced("assigned")
        dependencies.metrics.setAssignedPartitions(owned.count)
        await dependencies.ledger.assigned(partitions.map(\.partition))
    }

    /// Stops starting jobs of `partitions` (those waiting are dropped: the next owner reads them
    /// again), lets their running jobs finish (at most `drain_timeout_seconds`), then lets them go.
    func partitionsRevoked(_ partitions: [KafkaTopicPartition], lost: Bool) async {
        let numbers = partitions.map(\.partition)
        dependencies.metrics.rebalanced(lost ? "lost" : "revoked")
        let dropped = machine.jobsWaiting
        perform(machine.revoking(numbers))
        let leaving = Set(numbers)
        toReject.removeAll { leaving.contains($0.record.partition) }
        poke()
        if !lost {
            let deadline = clock.now.advanced(by: .seconds(dependencies.configuration.dispatch.drainTimeoutSeconds))
            while numbers.contains(where: { machine.running(partition: $0) > 0 }), clock.now < deadline {
                let timer = Task {
                    try? await Task.sleep(until: deadline, clock: .continuous)
                    self.releaseDrainWaiters()
                }
                await withCheckedContinuation { drainWaiters.append($0) }
                timer.cancel()
            }
        }
        perform(machine.revoked(numbers))
        owned.subtract(numbers)
        dependencies.metrics.setAssignedPartitions(owned.count)
        await dependencies.ledger.revoked(numbers)
        dependencies.logger.info(
            "Released partitions",
            metadata: ["kafka.partitions": "\(partitions)", "jobs.dropped": "\(dropped - machine.jobsWaiting)", "kafka.lost": "\(lost)"]
        )
    }
}

/// The decisions of a worker's dispatch pipeline (DESIGN §6): which records are taken in, which job
/// runs next, when a failed attempt runs again, when mintfax is left alone, and which offset may be
/// committed. A pure value, like `TenantScheduler` (which it uses for the order of starts): the caller
/// passes events and the time in and carries out the actions that come back.
///
/// The rules:
///
/// - **Read-ahead.** At most `maxBufferedJobs` jobs (and `maxBufferedBytes` of records) wait in all,
///   and at most `maxBufferedJobsPerTenant` of one tenant; jobs waiting to retry and to be parked count.
///   A record that does not fit is held and its partition paused (`.pause`); the records behind it on
///   that partition are held too, in order, and taken in, and the partition resumed, as room frees.
///   One stuck tenant fills only its own share: other tenants' partitions keep flowing.
/// - **Retries release their slot.** A failed attempt that is to be tried again (`retryVerdict`) goes
///   back to waiting until its delay has passed, then queues behind its tenant's jobs and starts through
///   the scheduler, taking a rate-limit token like any start. Its retry budget counts the time since its
///   first attempt less the time mintfax's breakers were open meanwhile.
/// - **Breakers.** Broad failures (`mintfaxFailed`: 5xx, time-outs, no connection) of one key open
///   that key's breaker, for all its tenants; such failures in a row across two or more keys open the breaker of
///   all mintfax. While a breaker is open nothing it covers starts: jobs wait, read-ahead fills, their
///   partitions pause, offsets hold. When its time is up one job goes as the probe; any answer from
///   mintfax (`mintfaxAnswered`) closes the breaker, a failure opens it for longer.
/// - **Key circuits.** A key whose credentials or balance failed (`openCircuit`) has the waiting jobs
///   of all its tenants, and those read until the circuit's end, parked (`.park`) without a request, at most
///   `maxInFlight` at a time, within the read-ahead.
/// - **Publishing.** An attempt holds its in-flight slot while its request is out: once mintfax
///   answered (`requestEnded`) the slot goes to the next job while the attempt's events wait for
///   Kafka. At most `maxPublishing` jobs wait so; beyond it nothing starts (Kafka is slow or away).
/// - **Offsets.** A record's offset is committable once it and every record before it on its partition
///   finished (`.commit`): a job whose events Kafka has not acknowledged is not finished.
public struct DispatchStateMachine<Job: Sendable>: Sendable {
    public typealias Instant = ContinuousClock.Instant

    public struct Configuration: Sendable {
        public var scheduler: TenantSchedulerConfiguration
        public var maxBufferedJobs: Int
        public var maxBufferedBytes: Int
        public var maxBufferedJobsPerTenant: Int
        /// Jobs whose request ended and whose events wait for Kafka's acknowledgement.
        public var maxPublishing: Int
        public var retryPolicy: RetryPolicy
        public var breaker: CircuitBreaker.Configuration

        public init(
            scheduler: TenantSchedulerConfiguration = TenantSchedulerConfiguration(),
            maxBufferedJobs: Int = 20_000,
            maxBufferedBytes: Int = 64 * 1024 * 1024,
            maxBufferedJobsPerTenant: Int = 5_000,
            maxPublishing: Int = 256,
            retryPolicy: RetryPolicy = RetryPolicy(),
            breaker: CircuitBreaker.Configuration = CircuitBreaker.Configuration()
        ) {
            self.scheduler = scheduler
            self.maxBufferedJobs = maxBufferedJobs
            self.maxBufferedBytes = maxBufferedBytes
            self.maxBufferedJobsPerTenant = maxBufferedJobsPerTenant
            self.maxPublishing = maxPublishing
            self.retryPolicy = retryPolicy
            self.breaker = breaker
        }
    }

    /// The job of one record, from when it is read until it is done.
    public struct Run: Sendable {
        /// The caller's job, carried through retries (a retry's state goes in here).
        public var job: Job
        public let tenant: String
        public let partition: Int32
        public let offset: Int64
        public let bytes: Int
        /// When the record was written (milliseconds since the epoch), when it says.
        public let recordTime: Int64?
        /// Attempts started, this one included.
        public fileprivate(set) var attempts = 0
        fileprivate var firstAttempt: Instant?
        fileprivate var outageBeforeFirstAttempt = Duration.zero
        /// Whether this attempt is the probe of mintfax's breaker, of its tenant's breaker.
        fileprivate var probes = (provider: false, tenant: false)

        fileprivate init(job: Job, tenant: String, partition: Int32, offset: Int64, bytes: Int, recordTime: Int64?) {
            self.job = job
            self.tenant = tenant
            self.partition = partition
            self.offset = offset
            self.bytes = bytes
            self.recordTime = recordTime
        }
    }

    public enum Action: Sendable {
        /// Start an attempt of the run; report its end with `attemptEnded`.
        case attempt(Run)
        /// Park the run without a request (its tenant's circuit is open); report with `parkEnded`.
        case park(Run, ErrorInfo)
        /// Stop fetching the partition: its next record is held.
        case pause(partition: Int32)
        /// Fetch the partition again.
        case resume(partition: Int32)
        /// Every record of the partition below `nextOffset` is done.
        case commit(partition: Int32, nextOffset: Int64)
        /// The run will not go on here (its partition left): end what it began.
        case release(Run)
    }

    /// How an attempt ended.
    public enum AttemptEnd: Sendable, Equatable {
        /// The job is done; `published` when its outcome is durable (its offset may pass).
        case finished(published: Bool)
        /// Try the job again after this delay (from `retryVerdict`).
        case retry(after: Duration)
    }

    public enum RetryVerdict: Sendable, Equatable {
        case retry(after: Duration)
        /// The retry budget is spent: dead-letter the job.
        case spent
    }

    public private(set) var configuration: Configuration
    private var scheduler: TenantScheduler<Run>
    /// Owned partitions. What a job changes per attempt lives here, in a type that does not depend
    /// on `Job`: nested in this generic type, it was used through unspecialised generic code (the
    /// caller's `Job` is another module's), an allocation per dictionary access (docs/benchmarks.md).
    private var partitions: [Int32: DispatchPartition] = [:]
    /// Records read and not taken in (no room), in offset order, by partition; the partition is paused.
    private var held: [Int32: FIFOQueue<Run>] = [:]
    /// Runs waiting for a retry's delay, latest due first.
    private var delayed: [(due: Instant, run: Run)] = []
    private var toPark = FIFOQueue<(run: Run, error: ErrorInfo)>()
    private var parking = 0
    /// Attempts whose request ended (their slot given back) and whose events are not yet acknowledged.
    private var publishing: Set<RunID> = []
    /// Circuits, breakers and failures are kept by budget (`TenantSchedulerConfiguration.budget(of:)`):
    /// what a key's failure stops, it stops for every tenant of the key.
    private var circuits: [String: (until: Instant, error: ErrorInfo)] = [:]
    private var provider: CircuitBreaker
    private var keyBreakers: [String: CircuitBreaker] = [:]
    /// Keys that failed broadly since mintfax last answered.
    private var failingKeys: Set<String> = []
    /// Waiting jobs: queued, delayed and to be parked.
    private var waiting = 0
    private var waitingBytes = 0
    private var waitingByTenant: [String: Int] = [:]

    public init(configuration: Configuration) {
        self.configuration = configuration
        scheduler = TenantScheduler(configuration: configuration.scheduler)
        provider = CircuitBreaker(configuration: configuration.breaker)
    }

    // MARK: What the caller asks

    /// Attempts running.
    public var attemptsInFlight: Int { scheduler.totalInFlight }

    /// Attempts past their request whose events wait for Kafka.
    public var attemptsPublishing: Int { publishing.count }

    /// Jobs read and not started: queued, waiting to retry, to be parked, and held.
    public var jobsWaiting: Int { waiting + held.values.reduce(0) { $0 + $1.count } }

    /// Whether the breaker of all mintfax is open (or probing).
    public var isProviderBreakerOpen: Bool { provider.isOpen }

    /// Keys (fingerprints, or tenant ids for tenants budgeted alone) whose own breaker is open (or probing).
    public var keysWithOpenBreakers: [String] { keyBreakers.filter(\.value.isOpen).keys.sorted() }

    /// How many keys' own breakers are open (or probing): ``keysWithOpenBreakers``' count, without
    /// the list (the dispatcher reports it after every answer).
    public var openKeyBreakerCount: Int { keyBreakers.values.count(where: \.isOpen) }

    /// Attempts and parkings of `partition` under way.
    public func running(partition: Int32) -> Int { partitions[partition]?.running ?? 0 }

    /// Nothing waits and nothing runs.
    public var isIdle: Bool {
        jobsWaiting == 0 && scheduler.totalInFlight == 0 && parking == 0 && publishing.isEmpty
    }

    /// What an operator sees of the dispatch at `now`: each tenant with work, each owned partition.
    /// Changes nothing; O(tenants + partitions + jobs waiting to retry).
    public func view(now: Instant) -> View {
        var tenants: [String: View.Tenant] = [:]
        for (tenant, entry) in scheduler.activity(now: now) {
            var row = View.Tenant()
            row.activity = entry.activity
            row.oldestQueuedTime = entry.first?.recordTime
            tenants[tenant] = row
        }
        for (_, run) in delayed { tenants[run.tenant, default: View.Tenant()].retrying += 1 }
        for (tenant, var row) in tenants {
            let key = budget(of: tenant)
            if circuits[key].map({ $0.until > now }) ?? false || keyBreakers[key]?.isOpen == true { row.activity.circuitOpen = true }
            if row.activity.circuitOpen { row.activity.throttled = false }
            tenants[tenant] = row
        }
        var partitions: [Int32: View.Partition] = [:]
        for (partition, state) in self.partitions where !state.leaving {
            partitions[partition] = View.Partition(
                unfinished: state.offsets.outstandingCount,
                held: held[partition]?.count ?? 0,
                oldestUnfinishedTime: state.offsets.oldestOutstandingTime
            )
        }
        return View(tenants: tenants, partitions: partitions)
    }

    /// Applies a tenant's own limits (from the tenants file) to its next starts.
    public mutating func setLimits(_ limits: TenantLimits?, tenant: String) {
        guard scheduler.configuration.tenantLimits[tenant] != limits else { return }
        scheduler.configuration.tenantLimits[tenant] = limits
    }

    /// Puts `tenant` in the budget, feedback and circuit of the key with fingerprint `key`; nil: the
    /// tenant is budgeted alone.
    public mutating func setKey(_ key: String?, tenant: String) {
        guard scheduler.configuration.tenantKeys[tenant] != key else { return }
        scheduler.configuration.tenantKeys[tenant] = key
    }

    /// This worker's shares of the keys' rates, after an assignment or a tenants change.
    public mutating func setKeyBudgets(_ budgets: [String: KeyBudget]) {
        guard scheduler.configuration.keyBudgets != budgets else { return }
        scheduler.configuration.keyBudgets = budgets
    }

    private func budget(of tenant: String) -> String {
        scheduler.configuration.budget(of: tenant)
    }

    // MARK: Partitions

    public mutating func assigned(_ assigned: [Int32]) {
        for partition in assigned { partitions[partition] = DispatchPartition() }
    }

    /// Stops starting `leaving`'s jobs: what waits is dropped (`.release`; the next owner reads it
    /// again); what runs goes on (see `running(partition:)`) until `revoked`.
    public mutating func revoking(_ leaving: [Int32]) -> [Action] {
        let set = Set(leaving)
        var dropped = scheduler.removeQueued { set.contains($0.partition) }
        dropped += delayed.filter { set.contains($0.run.partition) }.map(\.run)
        delayed.removeAll { set.contains($0.run.partition) }
        dropped += toPark.removeAll { set.contains($0.run.partition) }.map(\.run)
        for run in dropped { unwait(run) }
        for partition in leaving where partitions[partition] != nil {
            while let run = held[partition]?.popFirst() { dropped.append(run) }
            held[partition] = nil
            partitions[partition]!.leaving = true
        }
        return dropped.map(Action.release)
    }

    /// Forgets `revoked`: attempts of theirs that end later change nothing.
    public mutating func revoked(_ revoked: [Int32]) -> [Action] {
        let actions = revoking(revoked)
        for partition in revoked { partitions[partition] = nil }
        return actions
    }

    // MARK: Records

    /// A record's job was read at `now`; `recordTime` is when the record was written (milliseconds
    /// since the epoch), when it says.
    public mutating func read(
        _ job: Job,
        tenant: String,
        partition: Int32,
        offset: Int64,
        bytes: Int,
        recordTime: Int64? = nil,
        now: Instant
    ) -> [Action] {
        // The partition's state is changed in place throughout: a copy of it would make every
        // change copy its offsets (copy on write), a cost that grew with the jobs read ahead.
        guard partitions[partition].map({ !$0.leaving }) ?? false else { return [] }
        partitions[partition]!.offsets.start(offset, time: recordTime)
        let run = Run(job: job, tenant: tenant, partition: partition, offset: offset, bytes: bytes, recordTime: recordTime)
        let holding = held[partition] != nil
        if holding || !fits(run) {
            held[partition, default: FIFOQueue()].append(run)
            return holding ? [] : [.pause(partition: partition)]
        }
        takeIn(run, now: now)
        return []
    }

    /// A record that finishes without a run (malformed, say) was read: its offset waits for `finished`.
    public mutating func readWithoutRun(partition: Int32, offset: Int64, recordTime: Int64? = nil) {
        partitions[partition]?.offsets.start(offset, time: recordTime)
    }

    /// A record read with `readWithoutRun` is done.
    public mutating func finished(partition: Int32, offset: Int64) -> [Action] {
        finish(partition, offset)
    }

    // MARK: Starting

    /// What to start at `now`, and when to ask again at the latest (nil: after the next event).
    public mutating func next(now: Instant) -> (actions: [Action], wakeAt: Instant?) {
        var actions: [Action] = []
        var wake: Instant?
        func wakeAt(_ instant: Instant) { wake = min(wake ?? instant, instant) }
        while let last = delayed.last, last.due <= now {
            delayed.removeLast()
            requeue(last.run, now: now)
        }
        if let due = delayed.last?.due { wakeAt(due) }
        for (key, circuit) in circuits where circuit.until <= now { circuits[key] = nil }
        while true {
            actions += takeInHeld(now: now)
            var started = false
            while parking < configuration.scheduler.maxInFlight, let (run, error) = toPark.popFirst() {
                unwait(run)
                parking += 1
                partitions[run.partition]?.running += 1
                actions.append(.park(run, error))
                started = true
            }
            starting: while publishing.count < configuration.maxPublishing {
                let admission = provider.admission(at: now)
                if case .blocked(let until) = admission {
                    if let until { wakeAt(until) }
                    break
                }
                switch scheduler.next(now: now) {
                case .run(var run, _):
                    unwait(run)
                    start(&run, now: now, providerProbe: admission == .probe)
                    actions.append(.attempt(run))
                    started = true
                    if admission == .probe { break starting }
                case .waitUntil(let instant):
                    wakeAt(instant)
                    break starting
                case .idle:
                    break starting
                }
            }
            if !started { break }
        }
        return (actions, wake)
    }

    private mutating func start(_ run: inout Run, now: Instant, providerProbe: Bool) {
        partitions[run.partition]?.running += 1
        run.attempts += 1
        if run.firstAttempt == nil {
            run.firstAttempt = now
            run.outageBeforeFirstAttempt = outageTime(tenant: run.tenant, now: now)
        }
        run.probes = (providerProbe, false)
        if providerProbe { provider.probeStarted(at: now) }
        let key = budget(of: run.tenant)
        if var breaker = keyBreakers[key], breaker.admission(at: now) == .probe {
            breaker.probeStarted(at: now)
            keyBreakers[key] = breaker
            // Nothing else with the key starts until the probe's answer.
            scheduler.pause(tenant: run.tenant, until: now + .seconds(86_400 * 365))
            run.probes.tenant = true
        }
    }

    // MARK: Ending

    /// The request of an attempt started by `.attempt` ended at `now` (mintfax answered, or the
    /// request failed): its slot goes to the next job while the attempt publishes what happened.
    /// The attempt still ends with `attemptEnded`.
    public mutating func requestEnded(_ run: Run, now: Instant) {
        guard publishing.insert(RunID(partition: run.partition, offset: run.offset)).inserted else { return }
        scheduler.completed(tenant: run.tenant)
        abandonProbes(of: run, now: now)
    }

    /// An attempt started by `.attempt` ended at `now`.
    public mutating func attemptEnded(_ run: Run, _ end: AttemptEnd, now: Instant) -> [Action] {
        if publishing.remove(RunID(partition: run.partition, offset: run.offset)) == nil {
            scheduler.completed(tenant: run.tenant)
            abandonProbes(of: run, now: now)
        }
        partitions[run.partition]?.running -= 1
        switch end {
        case .finished(let published):
            return published ? finish(run.partition, run.offset) : []
        case .retry(let delay):
            guard let state = partitions[run.partition], !state.leaving else { return [.release(run)] }
            let due = now + delay
            wait(run)
            delayed.insert((due, run), at: delayed.partitioningIndex { $0.due <= due })
            return []
        }
    }

    /// A parking started by `.park` ended.
    public mutating func parkEnded(_ run: Run, published: Bool) -> [Action] {
        parking -= 1
        guard partitions[run.partition] != nil else { return [] }
        partitions[run.partition]!.running -= 1
        return published ? finish(run.partition, run.offset) : []
    }

    /// Whether the run's failed attempt (at `now`, mintfax asking for at least `notBefore`) is tried
    /// again, and after how long. The time mintfax's breakers were open since its first attempt does
    /// not count against its budget.
    public func retryVerdict(_ run: Run, notBefore: Duration?, now: Instant, random: inout some RandomNumberGenerator) -> RetryVerdict {
        let first = run.firstAttempt ?? now
        let outage = outageTime(tenant: run.tenant, now: now) - run.outageBeforeFirstAttempt
        let spent = max(.zero, now - first - outage)
        return configuration.retryPolicy.delay(afterAttempt: run.attempts, elapsed: spent, notBefore: notBefore, random: &random)
            .map(RetryVerdict.retry) ?? .spent
    }

    // MARK: mintfax's health

    /// mintfax answered a request with `tenant`'s key (any HTTP answer that is not a 5xx).
    public mutating func mintfaxAnswered(tenant: String, now: Instant) {
        failingKeys.removeAll()
        provider.succeeded(at: now)
        // The breaker stays (closed): its open time still counts for the budgets of the runs it held.
        let key = budget(of: tenant)
        if var breaker = keyBreakers[key] {
            let wasOpen = breaker.isOpen
            breaker.succeeded(at: now)
            keyBreakers[key] = breaker
            if wasOpen { scheduler.resume(tenant: tenant) }
        }
    }

    /// A request with `tenant`'s key failed broadly: a 5xx, a time-out, no connection.
    public mutating func mintfaxFailed(tenant: String, now: Instant) {
        let key = budget(of: tenant)
        failingKeys.insert(key)
        var breaker = keyBreakers[key] ?? CircuitBreaker(configuration: configuration.breaker)
        breaker.failed(at: now)
        if case .blocked(let until?) = breaker.admission(at: now) {
            scheduler.resume(tenant: tenant)
            scheduler.pause(tenant: tenant, until: until)
        }
        keyBreakers[key] = breaker
        provider.failed(at: now, mayOpen: failingKeys.count >= 2)
    }

    private func outageTime(tenant: String, now: Instant) -> Duration {
        provider.outageTime(at: now) + (keyBreakers[budget(of: tenant)]?.outageTime(at: now) ?? .zero)
    }

    /// A probe that ended without an answer either way lets another go.
    private mutating func abandonProbes(of run: Run, now: Instant) {
        if run.probes.provider { provider.probeAbandoned(at: now) }
        let key = budget(of: run.tenant)
        if run.probes.tenant, var breaker = keyBreakers[key] {
            breaker.probeAbandoned(at: now)
            keyBreakers[key] = breaker
            if breaker.admission(at: now) == .probe { scheduler.resume(tenant: run.tenant) }
        }
    }

    // MARK: Rate limits and circuits

    /// mintfax's rate-limit answer for `tenant`'s key.
    public mutating func observe(rateLimitRemaining: Int?, resetIn: Duration?, retryAfter: Duration?, tenant: String, now: Instant) {
        scheduler.observe(rateLimitRemaining: rateLimitRemaining, resetIn: resetIn, retryAfter: retryAfter, tenant: tenant, now: now)
    }

    /// Takes one of `tenant`'s tokens for a request that is not a job. - Returns: whether taken.
    public mutating func takeToken(tenant: String, now: Instant) -> Bool {
        scheduler.takeToken(tenant: tenant, now: now) == nil
    }

    /// `tenant`'s credentials or balance failed: until `until` the jobs of every tenant of its key —
    /// waiting now or read meanwhile — are parked with `error` instead of started.
    public mutating func openCircuit(tenant: String, error: ErrorInfo, until: Instant) -> Int {
        let key = budget(of: tenant)
        circuits[key] = (until, error)
        scheduler.pause(tenant: tenant, until: until)
        let configuration = scheduler.configuration
        func ofKey(_ run: Run) -> Bool { configuration.budget(of: run.tenant) == key }
        var held = scheduler.removeQueued(where: ofKey)
        held += delayed.filter { ofKey($0.run) }.map(\.run)
        delayed.removeAll { ofKey($0.run) }
        for run in held { toPark.append((run, error)) }
        return held.count
    }

    // MARK: Waiting

    private func fits(_ run: Run) -> Bool {
        waiting < configuration.maxBufferedJobs
            && (waitingBytes == 0 || waitingBytes + run.bytes <= configuration.maxBufferedBytes)
            && waitingByTenant[run.tenant, default: 0] < configuration.maxBufferedJobsPerTenant
    }

    private mutating func takeIn(_ run: Run, now: Instant) {
        wait(run)
        requeue(run, now: now)
    }

    /// Queues a waiting run to start, or to be parked while its tenant's circuit is open.
    private mutating func requeue(_ run: Run, now: Instant) {
        if let circuit = circuits[budget(of: run.tenant)], circuit.until > now {
            toPark.append((run, circuit.error))
        } else {
            scheduler.enqueue(run, tenant: run.tenant)
        }
    }

    /// Takes in the held records that fit now, partition by partition in offset order; resumes the
    /// partitions whose held records are all in.
    private mutating func takeInHeld(now: Instant) -> [Action] {
        var actions: [Action] = []
        guard !held.isEmpty else { return actions }
        for partition in held.keys.sorted() {
            while let run = held[partition]!.first, fits(run) {
                _ = held[partition]!.popFirst()
                takeIn(run, now: now)
            }
            if held[partition]!.isEmpty {
                held[partition] = nil
                actions.append(.resume(partition: partition))
            }
        }
        return actions
    }

    private mutating func wait(_ run: Run) {
        waiting += 1
        waitingBytes += run.bytes
        waitingByTenant[run.tenant, default: 0] += 1
    }

    private mutating func unwait(_ run: Run) {
        waiting -= 1
        waitingBytes -= run.bytes
        let left = waitingByTenant[run.tenant, default: 1] - 1
        waitingByTenant[run.tenant] = left > 0 ? left : nil
    }

    private mutating func finish(_ partition: Int32, _ offset: Int64) -> [Action] {
        guard let before = partitions[partition].map({ $0.offsets.committableOffset }) else { return [] }
        guard partitions[partition]!.offsets.finish(offset) else { return [] }
        let after = partitions[partition]!.offsets.committableOffset
        guard let after, after != before else { return [] }
        return [.commit(partition: partition, nextOffset: after)]
    }
}

extension Array {
    /// The first index whose element satisfies `belongs`, for an array where every element that does
    /// follows every element that does not.
    fileprivate func partitioningIndex(where belongs: (Element) -> Bool) -> Int {
        var low = startIndex
        var high = endIndex
        while low < high {
            let middle = low + (high - low) / 2
            if belongs(self[middle]) { high = middle } else { low = middle + 1 }
        }
        return low
    }
}

/// What the dispatch keeps of one owned partition besides its held records.
private struct DispatchPartition: Sendable {
    var offsets = OffsetTracker()
    /// Attempts and parkings of the partition under way.
    var running = 0
    var leaving = false
}

/// A run's record: one attempt of it runs at a time.
private struct RunID: Hashable, Sendable {
    var partition: Int32
    var offset: Int64

    init(partition: Int32, offset: Int64) {
        self.partition = partition
        self.offset = offset
    }
}

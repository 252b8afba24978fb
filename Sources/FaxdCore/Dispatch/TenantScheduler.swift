/// Decides which queued job starts next, fairly across tenants and within every limit (DESIGN §6 step 2).
///
/// A pure state machine: the caller passes the time in and acts on the returned `Decision`; nothing here
/// reads a clock or sleeps. The rules:
///
/// - at most `configuration.maxInFlight` jobs run at once, and at most `TenantLimits.maxInFlight` of
///   one tenant;
/// - each budget has a token bucket: a mintfax key shared by several tenants (`tenantKeys`) has one
///   for all of them, of this worker's share of the key's rate (`keyBudgets`); any other tenant has
///   its own, of `TenantLimits.burst` tokens refilled at `TenantLimits.ratePerMinute`. A start takes a
///   token; a tenant of a shared key with limits of its own also takes one of its own bucket;
/// - mintfax's feedback (`observe`) throttles a budget: `Retry-After`, or `X-RateLimit-Remaining: 0`
///   until `X-RateLimit-Reset`, block it; a low `Remaining` caps its tokens;
/// - a circuit (`pause`) blocks a budget until a given instant;
/// - tenants with runnable work take turns (round robin), each turn starts one job, and each tenant's
///   jobs start in the order they were enqueued. A tenant with 10,000 queued jobs delays another's next
///   job by at most one turn of every other tenant.
///
/// - Important: Not thread-safe; own it from one task or guard it with a lock.
public struct TenantScheduler<Item> {
    public typealias Instant = ContinuousClock.Instant

    /// What the caller does next.
    public enum Decision {
        /// Start `Item` of `tenant` now; call `completed(tenant:)` when it is done.
        case run(Item, tenant: String)
        /// Nothing may start before this instant (a token refills or a block ends); ask again then, or
        /// earlier after `enqueue`, `completed` or `observe`.
        case waitUntil(Instant)
        /// Nothing may start until the state changes: nothing is queued, or every tenant with queued
        /// work is at an in-flight cap. Ask again after `enqueue` or `completed`.
        case idle
    }

    /// The limits; changes apply to the next decision.
    public var configuration: TenantSchedulerConfiguration
    /// Jobs queued across all tenants.
    public private(set) var totalQueued = 0
    /// Jobs started and not yet completed, across all tenants.
    public private(set) var totalInFlight = 0

    /// One record per tenant ever seen (a few dozen bytes), apart from its queue: a type that does
    /// not depend on `Item` is used through specialised code when the caller's `Item` is another
    /// module's, where `Item`'s own needs the generic one, an allocation per access (docs/benchmarks.md).
    private var tenants: [String: TenantCounters] = [:]
    /// Each tenant's queued jobs, kept (with their storage) once the tenant was seen.
    private var queues: [String: FIFOQueue<Item>] = [:]
    /// The token buckets, by budget: a key's fingerprint, or a tenant id for a tenant budgeted alone.
    private var budgets: [String: Bucket] = [:]
    /// Tenants with queued jobs, in turn order.
    private var ring: [String] = []
    /// The index in `ring` of the tenant whose turn is next.
    private var cursor = 0

    public init(configuration: TenantSchedulerConfiguration = TenantSchedulerConfiguration()) {
        self.configuration = configuration
    }

    /// Queues `item` behind `tenant`'s other jobs. A tenant without queued jobs joins the turn order last.
    public mutating func enqueue(_ item: Item, tenant: String) {
        let joins = updateQueue(tenant) { queue in
            queue.append(item)
            return queue.count == 1
        }
        if joins { ring.append(tenant) }
        totalQueued += 1
    }

    /// The next decision at `now`. A `.run` counts the job as in flight and takes a token.
    public mutating func next(now: Instant) -> Decision {
        guard totalQueued > 0, totalInFlight < configuration.maxInFlight else { return .idle }
        var earliest: Instant?
        for step in 0..<ring.count {
            let index = (cursor + step) % ring.count
            let tenant = ring[index]
            guard tenants[tenant, default: TenantCounters()].inFlight < configuration.limits(for: tenant).maxInFlight else { continue }
            if let due = due(tenant, now: now) {
                earliest = min(earliest ?? due, due)
                continue
            }
            guard case let (item, emptied)? = updateQueue(tenant, { queue in queue.popFirst().map { ($0, queue.isEmpty) } }) else {
                continue
            }
            takeTokens(tenant, now: now)
            update(tenant) { $0.inFlight += 1 }
            totalQueued -= 1
            totalInFlight += 1
            if emptied {
                ring.remove(at: index)
                cursor = ring.isEmpty ? 0 : index % ring.count
            } else {
                cursor = (index + 1) % ring.count
            }
            return .run(item, tenant: tenant)
        }
        return earliest.map(Decision.waitUntil) ?? .idle
    }

    /// Records that a job of `tenant` started by `.run` is done; ignored when none is in flight.
    public mutating func completed(tenant: String) {
        let wasInFlight = update(tenant) { state in
            guard state.inFlight > 0 else { return false }
            state.inFlight -= 1
            return true
        }
        if wasInFlight { totalInFlight -= 1 }
    }

    /// Applies mintfax's rate-limit feedback on a response for `tenant` received at `now`. mintfax
    /// counts per key, so the feedback applies to the budget of `tenant`'s key, for all its tenants.
    ///
    /// - Parameters:
    ///   - rateLimitRemaining: `X-RateLimit-Remaining`: 0 empties the bucket (and blocks until `resetIn`
    ///     when given); a positive value caps the tokens at it.
    ///   - resetIn: `X-RateLimit-Reset`, the time until mintfax's window resets.
    ///   - retryAfter: `Retry-After`: empties the bucket and blocks the key for that long.
    public mutating func observe(
        rateLimitRemaining: Int?,
        resetIn: Duration?,
        retryAfter: Duration?,
        tenant: String,
        now: Instant
    ) {
        let rate = budgetRate(of: tenant)
        updateBudget(of: tenant, now: now) { bucket in
            if let retryAfter {
                bucket.capTokens(0, now: now, rate: rate)
                bucket.throttle(until: now + retryAfter)
            }
            guard let remaining = rateLimitRemaining else { return }
            bucket.capTokens(remaining, now: now, rate: rate)
            if remaining <= 0, let resetIn { bucket.throttle(until: now + resetIn) }
        }
    }

    /// Takes one of `tenant`'s tokens at `now` for a request that is not a queued job (a reconciler
    /// lookup, a balance poll), so such requests share the key's rate with its submissions.
    /// Blocks and an open circuit apply; in-flight caps do not.
    /// - Returns: nil when a token was taken; otherwise the instant one is due or the block ends.
    public mutating func takeToken(tenant: String, now: Instant) -> Instant? {
        if let due = due(tenant, now: now) { return due }
        takeTokens(tenant, now: now)
        return nil
    }

    /// Opens the circuit of `tenant`'s key: no job of any tenant of the key starts before `until` (a
    /// later pause extends it). Queued jobs stay queued.
    public mutating func pause(tenant: String, until: Instant) {
        let budget = configuration.budget(of: tenant)
        budgets[budget, default: Bucket()].pausedUntil = max(budgets[budget]?.pausedUntil ?? until, until)
    }

    /// Closes the circuit of `tenant`'s key early; a block from mintfax's feedback stays.
    public mutating func resume(tenant: String) {
        budgets[configuration.budget(of: tenant)]?.pausedUntil = nil
    }

    /// Removes the queued jobs that match `predicate` (e.g. those of a revoked partition) and returns
    /// them, tenant by tenant in turn order, each tenant's in queue order. In-flight jobs are not affected.
    public mutating func removeQueued(where predicate: (Item) -> Bool) -> [Item] {
        var removed: [Item] = []
        var remaining: [String] = []
        var nextCursor = 0
        for (index, tenant) in ring.enumerated() {
            if index == cursor { nextCursor = remaining.count }
            let stillQueued = updateQueue(tenant) { queue in
                removed += queue.removeAll(where: predicate)
                return !queue.isEmpty
            }
            if stillQueued { remaining.append(tenant) }
        }
        ring = remaining
        cursor = nextCursor < ring.count ? nextCursor : 0
        totalQueued -= removed.count
        return removed
    }

    /// Jobs of `tenant` waiting to start.
    public func queued(tenant: String) -> Int {
        queues[tenant]?.count ?? 0
    }

    /// Jobs of `tenant` started and not completed.
    public func inFlight(tenant: String) -> Int {
        tenants[tenant]?.inFlight ?? 0
    }

    /// Each tenant with jobs queued or in flight at `now`, with its first queued job (the one that
    /// waited longest). Changes nothing; O(tenants).
    public func activity(now: Instant) -> [String: (activity: TenantActivity, first: Item?)] {
        var result: [String: (activity: TenantActivity, first: Item?)] = [:]
        for (tenant, state) in tenants {
            let queue = queues[tenant] ?? FIFOQueue()
            guard !queue.isEmpty || state.inFlight > 0 else { continue }
            let bucket = budgets[configuration.budget(of: tenant)]
            let circuitOpen = bucket?.pausedUntil.map { $0 > now } ?? false
            var due = bucket?.due(now: now, rate: budgetRate(of: tenant))
            if let own = ownRate(of: tenant), let ownDue = state.own.due(now: now, rate: own) { due = ownDue }
            let throttled = !circuitOpen && !queue.isEmpty && due != nil
            result[tenant] = (
                TenantActivity(queued: queue.count, inFlight: state.inFlight, throttled: throttled, circuitOpen: circuitOpen),
                queue.first
            )
        }
        return result
    }

    // MARK: Budgets

    /// The rate of the budget `tenant` draws on: its key's share, or its own limits.
    private func budgetRate(of tenant: String) -> Rate {
        guard let key = configuration.tenantKeys[tenant] else { return Rate(configuration.limits(for: tenant)) }
        return configuration.keyBudgets[key].map(Rate.init) ?? Rate(configuration.defaultLimits)
    }

    /// The tenant's own rate inside its key's budget: set only for a tenant that shares a key and
    /// has limits of its own.
    private func ownRate(of tenant: String) -> Rate? {
        guard configuration.tenantKeys[tenant] != nil, let limits = configuration.tenantLimits[tenant] else { return nil }
        return Rate(limits)
    }

    /// When `tenant` may start next, or nil when it may now.
    private mutating func due(_ tenant: String, now: Instant) -> Instant? {
        let rate = budgetRate(of: tenant)
        var due = updateBudget(of: tenant, now: now) { $0.due(now: now, rate: rate) }
        if let own = ownRate(of: tenant), let ownDue = tenants[tenant, default: TenantCounters()].own.due(now: now, rate: own) {
            due = max(due ?? ownDue, ownDue)
        }
        return due
    }

    private mutating func takeTokens(_ tenant: String, now: Instant) {
        let rate = budgetRate(of: tenant)
        updateBudget(of: tenant, now: now) { $0.take(now: now, rate: rate) }
        if let own = ownRate(of: tenant) { update(tenant) { $0.own.take(now: now, rate: own) } }
    }

    /// Mutates the bucket of `tenant`'s budget in place. A key's bucket starts empty, its first
    /// token one interval after `now`: the worker that owned the key's partitions before may have
    /// spent its burst just now. A tenant's own budget starts full.
    @discardableResult
    private mutating func updateBudget<Result>(of tenant: String, now: Instant, _ body: (inout Bucket) -> Result) -> Result {
        let budget = configuration.budget(of: tenant)
        if budgets[budget] == nil {
            var bucket = Bucket()
            if configuration.tenantKeys[tenant] != nil { bucket.capTokens(0, now: now, rate: budgetRate(of: tenant)) }
            budgets[budget] = bucket
        }
        return body(&budgets[budget]!)
    }

    /// Mutates `tenant`'s record in place.
    @discardableResult
    private mutating func update<Result>(_ tenant: String, _ body: (inout TenantCounters) -> Result) -> Result {
        body(&tenants[tenant, default: TenantCounters()])
    }

    /// Mutates `tenant`'s queue in place (no copy of it); the tenant is seen from then on.
    private mutating func updateQueue<Result>(_ tenant: String, _ body: (inout FIFOQueue<Item>) -> Result) -> Result {
        if tenants[tenant] == nil { tenants[tenant] = TenantCounters() }
        return body(&queues[tenant, default: FIFOQueue()])
    }
}

/// One tenant's in-flight count and, inside a shared key's budget, its own bucket.
private struct TenantCounters: Sendable {
    var inFlight = 0
    var own = Bucket()
}

/// A token bucket's refill interval (a minute divided by the rate per minute) and size.
private struct Rate {
    var interval: Duration
    var burst: Int

    init(ratePerMinute: Double, burst: Int) {
        interval = .seconds(60 / ratePerMinute)
        self.burst = burst
    }

    init(_ limits: TenantLimits) {
        self.init(ratePerMinute: limits.ratePerMinute, burst: limits.burst)
    }

    init(_ budget: KeyBudget) {
        self.init(ratePerMinute: budget.ratePerMinute, burst: budget.burst)
    }
}

/// A token bucket with the blocks mintfax and the circuits put on it.
///
/// Kept as a generic cell rate algorithm (GCRA): one instant, the theoretical arrival time, instead of
/// a fractional token count, so the arithmetic is exact `Duration` arithmetic and a wait ends precisely
/// when a token is due. It admits what a bucket of `burst` tokens refilled at one per `interval` admits.
private struct Bucket: Sendable {
    /// When the bucket is full again; nil or past: full.
    var theoreticalArrival: ContinuousClock.Instant?
    var throttledUntil: ContinuousClock.Instant?
    var pausedUntil: ContinuousClock.Instant?

    /// When a token may be taken: the end of a block, the next token, or nil for now.
    func due(now: ContinuousClock.Instant, rate: Rate) -> ContinuousClock.Instant? {
        let blockedUntil = max(throttledUntil ?? now, pausedUntil ?? now)
        if blockedUntil > now { return blockedUntil }
        let arrival = max(theoreticalArrival ?? now, now)
        let due = arrival - rate.interval * (rate.burst - 1)
        return due > now ? due : nil
    }

    /// Takes a token at `now` (after `due` said one is there); ended blocks are forgotten.
    mutating func take(now: ContinuousClock.Instant, rate: Rate) {
        throttledUntil = nil
        pausedUntil = nil
        theoreticalArrival = max(theoreticalArrival ?? now, now) + rate.interval
    }

    /// Leaves at most `tokens` tokens in the bucket at `now`.
    mutating func capTokens(_ tokens: Int, now: ContinuousClock.Instant, rate: Rate) {
        guard tokens < rate.burst else { return }
        let emptied = now + rate.interval * (rate.burst - max(tokens, 0))
        theoreticalArrival = max(theoreticalArrival ?? emptied, emptied)
    }

    /// Blocks the bucket until `instant` (a later block wins).
    mutating func throttle(until instant: ContinuousClock.Instant) {
        throttledUntil = max(throttledUntil ?? instant, instant)
    }
}

extension TenantScheduler: Sendable where Item: Sendable {}
extension TenantScheduler.Decision: Sendable where Item: Sendable {}
extension TenantScheduler.Decision: Equatable where Item: Equatable {}

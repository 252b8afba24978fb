/// Decides which queued job starts next, fairly across tenants and within every limit (DESIGN §6 step 2).
///
/// A pure state machine: the caller passes the time in and acts on the returned `Decision`; nothing here
/// reads a clock or sleeps. The rules:
///
/// - at most `configuration.maxInFlight` jobs run at once, and at most `TenantLimits.maxInFlight` of
///   one tenant;
/// - each tenant has a token bucket of `TenantLimits.burst` tokens refilled at
///   `TenantLimits.ratePerMinute`; a start takes a token;
/// - mintfax's feedback (`observe`) throttles a tenant: `Retry-After`, or `X-RateLimit-Remaining: 0`
///   until `X-RateLimit-Reset`, block it; a low `Remaining` caps its tokens;
/// - a tenant's circuit (`pause`) blocks it until a given instant;
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

    /// One record per tenant ever seen (a few dozen bytes beside its queue).
    private var tenants: [String: TenantState] = [:]
    /// Tenants with queued jobs, in turn order.
    private var ring: [String] = []
    /// The index in `ring` of the tenant whose turn is next.
    private var cursor = 0

    public init(configuration: TenantSchedulerConfiguration = TenantSchedulerConfiguration()) {
        self.configuration = configuration
    }

    /// Queues `item` behind `tenant`'s other jobs. A tenant without queued jobs joins the turn order last.
    public mutating func enqueue(_ item: Item, tenant: String) {
        let joins = update(tenant) { state in
            state.queue.append(item)
            return state.queue.count == 1
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
            let limits = configuration.limits(for: tenant)
            let verdict = update(tenant) { $0.take(now: now, limits: limits) }
            switch verdict {
            case .run(let item, let emptied):
                totalQueued -= 1
                totalInFlight += 1
                if emptied {
                    ring.remove(at: index)
                    cursor = ring.isEmpty ? 0 : index % ring.count
                } else {
                    cursor = (index + 1) % ring.count
                }
                return .run(item, tenant: tenant)
            case .waitUntil(let instant):
                earliest = min(earliest ?? instant, instant)
            case .atCap:
                continue
            }
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

    /// Applies mintfax's rate-limit feedback on a response for `tenant` received at `now`.
    ///
    /// - Parameters:
    ///   - rateLimitRemaining: `X-RateLimit-Remaining`: 0 empties the bucket (and blocks until `resetIn`
    ///     when given); a positive value caps the tokens at it.
    ///   - resetIn: `X-RateLimit-Reset`, the time until mintfax's window resets.
    ///   - retryAfter: `Retry-After`: empties the bucket and blocks the tenant for that long.
    public mutating func observe(
        rateLimitRemaining: Int?,
        resetIn: Duration?,
        retryAfter: Duration?,
        tenant: String,
        now: Instant
    ) {
        let limits = configuration.limits(for: tenant)
        update(tenant) { state in
            if let retryAfter {
                state.capTokens(0, now: now, limits: limits)
                state.throttle(until: now + retryAfter)
            }
            guard let remaining = rateLimitRemaining else { return }
            state.capTokens(remaining, now: now, limits: limits)
            if remaining <= 0, let resetIn { state.throttle(until: now + resetIn) }
        }
    }

    /// Takes one of `tenant`'s tokens at `now` for a request that is not a queued job (a reconciler
    /// lookup, a balance poll), so such requests share the tenant's rate with its submissions.
    /// Blocks and an open circuit apply; in-flight caps do not.
    /// - Returns: nil when a token was taken; otherwise the instant one is due or the block ends.
    public mutating func takeToken(tenant: String, now: Instant) -> Instant? {
        let limits = configuration.limits(for: tenant)
        return update(tenant) { $0.takeToken(now: now, limits: limits) }
    }

    /// Opens `tenant`'s circuit: none of its jobs start before `until` (a later pause extends it).
    /// Its queued jobs stay queued.
    public mutating func pause(tenant: String, until: Instant) {
        update(tenant) { $0.pausedUntil = max($0.pausedUntil ?? until, until) }
    }

    /// Closes `tenant`'s circuit early; a block from mintfax's feedback stays.
    public mutating func resume(tenant: String) {
        update(tenant) { $0.pausedUntil = nil }
    }

    /// Removes the queued jobs that match `predicate` (e.g. those of a revoked partition) and returns
    /// them, tenant by tenant in turn order, each tenant's in queue order. In-flight jobs are not affected.
    public mutating func removeQueued(where predicate: (Item) -> Bool) -> [Item] {
        var removed: [Item] = []
        var remaining: [String] = []
        var nextCursor = 0
        for (index, tenant) in ring.enumerated() {
            if index == cursor { nextCursor = remaining.count }
            let stillQueued = update(tenant) { state in
                removed += state.queue.removeAll(where: predicate)
                return !state.queue.isEmpty
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
        tenants[tenant]?.queue.count ?? 0
    }

    /// Jobs of `tenant` started and not completed.
    public func inFlight(tenant: String) -> Int {
        tenants[tenant]?.inFlight ?? 0
    }

    /// Mutates `tenant`'s record in place (no copy of its queue).
    @discardableResult
    private mutating func update<Result>(_ tenant: String, _ body: (inout TenantState) -> Result) -> Result {
        body(&tenants[tenant, default: TenantState()])
    }

    /// One tenant's queue, in-flight count, token bucket and blocks.
    ///
    /// The token bucket is kept as a generic cell rate algorithm (GCRA): one instant, the theoretical
    /// arrival time, instead of a fractional token count, so the arithmetic is exact `Duration`
    /// arithmetic and a wait ends precisely when a token is due. It admits what a bucket of `burst`
    /// tokens refilled at one per `emissionInterval` admits.
    fileprivate struct TenantState {
        var queue = FIFOQueue<Item>()
        var inFlight = 0
        /// When the bucket is full again; nil or past: full.
        var theoreticalArrival: Instant?
        var throttledUntil: Instant?
        var pausedUntil: Instant?

        enum Verdict {
            case run(Item, emptied: Bool)
            case waitUntil(Instant)
            case atCap
        }

        /// Starts the tenant's next job at `now` if its limits allow.
        mutating func take(now: Instant, limits: TenantLimits) -> Verdict {
            guard inFlight < limits.maxInFlight else { return .atCap }
            let blockedUntil = max(throttledUntil ?? now, pausedUntil ?? now)
            if blockedUntil > now { return .waitUntil(blockedUntil) }
            if let due = tokenDue(now: now, limits: limits) { return .waitUntil(due) }
            guard let item = queue.popFirst() else { return .atCap }
            _ = takeToken(now: now, limits: limits)
            inFlight += 1
            return .run(item, emptied: queue.isEmpty)
        }

        /// Takes a token at `now` unless blocked or empty. - Returns: nil when taken, else when to ask again.
        mutating func takeToken(now: Instant, limits: TenantLimits) -> Instant? {
            let blockedUntil = max(throttledUntil ?? now, pausedUntil ?? now)
            if blockedUntil > now { return blockedUntil }
            throttledUntil = nil
            pausedUntil = nil
            if let due = tokenDue(now: now, limits: limits) { return due }
            theoreticalArrival = max(theoreticalArrival ?? now, now) + limits.emissionInterval
            return nil
        }

        /// When the next token is due, or nil when one is available at `now`.
        private func tokenDue(now: Instant, limits: TenantLimits) -> Instant? {
            let arrival = max(theoreticalArrival ?? now, now)
            let due = arrival - limits.emissionInterval * (limits.burst - 1)
            return due > now ? due : nil
        }

        /// Leaves at most `tokens` tokens in the bucket at `now`.
        mutating func capTokens(_ tokens: Int, now: Instant, limits: TenantLimits) {
            guard tokens < limits.burst else { return }
            let emptied = now + limits.emissionInterval * (limits.burst - max(tokens, 0))
            theoreticalArrival = max(theoreticalArrival ?? emptied, emptied)
        }

        /// Blocks the tenant until `instant` (a later block wins).
        mutating func throttle(until instant: Instant) {
            throttledUntil = max(throttledUntil ?? instant, instant)
        }
    }
}

extension TenantScheduler: Sendable where Item: Sendable {}
extension TenantScheduler.TenantState: Sendable where Item: Sendable {}
extension TenantScheduler.Decision: Sendable where Item: Sendable {}
extension TenantScheduler.Decision: Equatable where Item: Equatable {}

import FaxdCore
import Testing

@Suite struct TenantSchedulerTests {
    /// A fixed origin; every instant in these tests is this plus a duration.
    private static let t0 = ContinuousClock.Instant.now

    /// Limits loose enough that only the limit under test binds.
    private static func unthrottled(maxInFlight: Int = 100) -> TenantLimits {
        TenantLimits(maxInFlight: maxInFlight, ratePerMinute: 1_000_000, burst: 1_000_000)
    }

    private static func scheduler(
        maxInFlight: Int = 100,
        defaultLimits: TenantLimits = unthrottled(),
        tenantLimits: [String: TenantLimits] = [:]
    ) -> TenantScheduler<String> {
        TenantScheduler(
            configuration: TenantSchedulerConfiguration(
                maxInFlight: maxInFlight,
                defaultLimits: defaultLimits,
                tenantLimits: tenantLimits
            )
        )
    }

    /// Runs decisions at `now` until one is not `.run`; returns the started items and that decision.
    private static func drain(
        _ scheduler: inout TenantScheduler<String>,
        at now: ContinuousClock.Instant
    ) -> (
        [String], TenantScheduler<String>.Decision
    ) {
        var started: [String] = []
        while true {
            let decision = scheduler.next(now: now)
            guard case .run(let item, _) = decision else { return (started, decision) }
            started.append(item)
        }
    }

    @Test func anEmptySchedulerIsIdle() {
        var scheduler = Self.scheduler()
        #expect(scheduler.next(now: Self.t0) == .idle)
        #expect(scheduler.totalQueued == 0 && scheduler.totalInFlight == 0)
    }

    @Test func defaults() {
        let configuration = TenantSchedulerConfiguration()
        #expect(configuration.maxInFlight == 64)
        #expect(configuration.defaultLimits == TenantLimits(maxInFlight: 8, ratePerMinute: 60, burst: 10))
    }

    @Test func eachTenantsJobsStartInOrder() {
        var scheduler = Self.scheduler()
        for index in 1...3 { scheduler.enqueue("a\(index)", tenant: "a") }
        #expect(scheduler.next(now: Self.t0) == .run("a1", tenant: "a"))
        #expect(scheduler.next(now: Self.t0) == .run("a2", tenant: "a"))
        #expect(scheduler.next(now: Self.t0) == .run("a3", tenant: "a"))
        #expect(scheduler.next(now: Self.t0) == .idle)
        #expect(scheduler.inFlight(tenant: "a") == 3 && scheduler.queued(tenant: "a") == 0)
    }

    @Test func theGlobalCapIsHonoured() {
        var scheduler = Self.scheduler(maxInFlight: 4)
        for tenant in ["a", "b", "c"] {
            for index in 1...10 { scheduler.enqueue("\(tenant)\(index)", tenant: tenant) }
        }
        let (started, decision) = Self.drain(&scheduler, at: Self.t0)
        #expect(started == ["a1", "b1", "c1", "a2"])
        #expect(decision == .idle)
        #expect(scheduler.totalInFlight == 4 && scheduler.totalQueued == 26)
        scheduler.completed(tenant: "b")
        #expect(scheduler.next(now: Self.t0) == .run("b2", tenant: "b"))
        #expect(scheduler.next(now: Self.t0) == .idle)
    }

    @Test func thePerTenantCapAndItsOverrideAreHonoured() {
        var scheduler = Self.scheduler(
            defaultLimits: Self.unthrottled(maxInFlight: 2),
            tenantLimits: ["big": Self.unthrottled(maxInFlight: 5)]
        )
        for index in 1...10 {
            scheduler.enqueue("s\(index)", tenant: "small")
            scheduler.enqueue("b\(index)", tenant: "big")
        }
        let (started, decision) = Self.drain(&scheduler, at: Self.t0)
        #expect(started.filter { $0.hasPrefix("s") }.count == 2)
        #expect(started.filter { $0.hasPrefix("b") }.count == 5)
        #expect(decision == .idle, "both tenants wait for a completion, not for time")
        scheduler.completed(tenant: "small")
        #expect(scheduler.next(now: Self.t0) == .run("s3", tenant: "small"))
        #expect(scheduler.inFlight(tenant: "small") == 2 && scheduler.inFlight(tenant: "big") == 5)
    }

    @Test func aBigBacklogDoesNotStarveASmallTenant() {
        var scheduler = Self.scheduler(maxInFlight: 4)
        for index in 1...10_000 { scheduler.enqueue("a\(index)", tenant: "a") }
        for index in 1...20 { scheduler.enqueue("b\(index)", tenant: "b") }
        var inFlight: [(item: String, tenant: String)] = []
        var decisions = 0
        var lastBStart = 0
        var bStarted: [String] = []
        while bStarted.count < 20, decisions < 1_000 {
            switch scheduler.next(now: Self.t0) {
            case .run(let item, let tenant):
                decisions += 1
                inFlight.append((item, tenant))
                if tenant == "b" {
                    bStarted.append(item)
                    lastBStart = decisions
                }
            case .idle:
                let oldest = inFlight.removeFirst()
                scheduler.completed(tenant: oldest.tenant)
            case .waitUntil:
                Issue.record("no limit here depends on time")
                return
            }
        }
        #expect(bStarted == (1...20).map { "b\($0)" })
        #expect(lastBStart <= 40, "b's 20 jobs started within the first \(lastBStart) starts")
        #expect(scheduler.queued(tenant: "a") == 10_000 - (lastBStart - 20))
    }

    @Test func theTokenBucketRefillsWithTime() {
        var scheduler = Self.scheduler(defaultLimits: TenantLimits(maxInFlight: 100, ratePerMinute: 60, burst: 2))
        for index in 1...5 { scheduler.enqueue("a\(index)", tenant: "a") }
        let (burst, decision) = Self.drain(&scheduler, at: Self.t0)
        #expect(burst == ["a1", "a2"])
        #expect(decision == .waitUntil(Self.t0 + .seconds(1)))
        #expect(scheduler.next(now: Self.t0 + .milliseconds(999)) == .waitUntil(Self.t0 + .seconds(1)))
        #expect(scheduler.next(now: Self.t0 + .seconds(1)) == .run("a3", tenant: "a"))
        #expect(scheduler.next(now: Self.t0 + .milliseconds(1500)) == .waitUntil(Self.t0 + .seconds(2)))
        // A long pause refills at most `burst` tokens.
        let (later, _) = Self.drain(&scheduler, at: Self.t0 + .seconds(600))
        #expect(later == ["a4", "a5"])
    }

    @Test func tokensAreKeptPerTenant() {
        var scheduler = Self.scheduler(defaultLimits: TenantLimits(maxInFlight: 100, ratePerMinute: 30, burst: 1))
        scheduler.enqueue("a1", tenant: "a")
        scheduler.enqueue("a2", tenant: "a")
        scheduler.enqueue("b1", tenant: "b")
        let (started, decision) = Self.drain(&scheduler, at: Self.t0)
        #expect(started == ["a1", "b1"])
        #expect(decision == .waitUntil(Self.t0 + .seconds(2)))
    }

    @Test func retryAfterBlocksOnlyThatTenant() {
        var scheduler = Self.scheduler()
        for index in 1...3 {
            scheduler.enqueue("a\(index)", tenant: "a")
            scheduler.enqueue("b\(index)", tenant: "b")
        }
        scheduler.observe(rateLimitRemaining: nil, resetIn: nil, retryAfter: .seconds(34), tenant: "a", now: Self.t0)
        let (started, decision) = Self.drain(&scheduler, at: Self.t0 + .seconds(1))
        #expect(started == ["b1", "b2", "b3"])
        #expect(decision == .waitUntil(Self.t0 + .seconds(34)))
        #expect(scheduler.next(now: Self.t0 + .seconds(34)) == .run("a1", tenant: "a"))
    }

    @Test func remainingZeroBlocksUntilTheWindowResets() {
        var scheduler = Self.scheduler()
        scheduler.enqueue("a1", tenant: "a")
        scheduler.observe(rateLimitRemaining: 0, resetIn: .seconds(20), retryAfter: nil, tenant: "a", now: Self.t0)
        #expect(scheduler.next(now: Self.t0 + .seconds(5)) == .waitUntil(Self.t0 + .seconds(20)))
        #expect(scheduler.next(now: Self.t0 + .seconds(20)) == .run("a1", tenant: "a"))
    }

    @Test func aLowRemainingCapsTheTokens() {
        var scheduler = Self.scheduler(defaultLimits: TenantLimits(maxInFlight: 100, ratePerMinute: 60, burst: 10))
        for index in 1...10 { scheduler.enqueue("a\(index)", tenant: "a") }
        scheduler.observe(rateLimitRemaining: 2, resetIn: .seconds(30), retryAfter: nil, tenant: "a", now: Self.t0)
        let (started, decision) = Self.drain(&scheduler, at: Self.t0)
        #expect(started == ["a1", "a2"])
        #expect(decision == .waitUntil(Self.t0 + .seconds(1)))
    }

    @Test func aPausedTenantWaitsForItsCircuit() {
        var scheduler = Self.scheduler()
        scheduler.enqueue("a1", tenant: "a")
        scheduler.enqueue("b1", tenant: "b")
        scheduler.pause(tenant: "a", until: Self.t0 + .seconds(60))
        scheduler.pause(tenant: "a", until: Self.t0 + .seconds(30))
        let (started, decision) = Self.drain(&scheduler, at: Self.t0)
        #expect(started == ["b1"])
        #expect(decision == .waitUntil(Self.t0 + .seconds(60)), "an earlier pause does not shorten a later one")
        #expect(scheduler.queued(tenant: "a") == 1)
        #expect(scheduler.next(now: Self.t0 + .seconds(60)) == .run("a1", tenant: "a"))
    }

    @Test func resumeClosesTheCircuitButKeepsMintfaxsBlock() {
        var scheduler = Self.scheduler()
        scheduler.enqueue("a1", tenant: "a")
        scheduler.pause(tenant: "a", until: Self.t0 + .seconds(600))
        scheduler.resume(tenant: "a")
        #expect(scheduler.next(now: Self.t0) == .run("a1", tenant: "a"))

        scheduler.enqueue("a2", tenant: "a")
        scheduler.observe(rateLimitRemaining: nil, resetIn: nil, retryAfter: .seconds(10), tenant: "a", now: Self.t0)
        scheduler.pause(tenant: "a", until: Self.t0 + .seconds(600))
        scheduler.resume(tenant: "a")
        #expect(scheduler.next(now: Self.t0) == .waitUntil(Self.t0 + .seconds(10)))
    }

    @Test func theEarliestWaitAcrossTenantsIsReported() {
        var scheduler = Self.scheduler()
        scheduler.enqueue("a1", tenant: "a")
        scheduler.enqueue("b1", tenant: "b")
        scheduler.pause(tenant: "a", until: Self.t0 + .seconds(50))
        scheduler.pause(tenant: "b", until: Self.t0 + .seconds(20))
        #expect(scheduler.next(now: Self.t0) == .waitUntil(Self.t0 + .seconds(20)))
    }

    @Test func aTenantAtItsCapDoesNotAskForAWait() {
        var scheduler = Self.scheduler(defaultLimits: TenantLimits(maxInFlight: 1, ratePerMinute: 60, burst: 1))
        scheduler.enqueue("a1", tenant: "a")
        scheduler.enqueue("a2", tenant: "a")
        #expect(scheduler.next(now: Self.t0) == .run("a1", tenant: "a"))
        #expect(scheduler.next(now: Self.t0) == .idle)
        scheduler.completed(tenant: "a")
        #expect(scheduler.next(now: Self.t0) == .waitUntil(Self.t0 + .seconds(1)))
    }

    @Test func completionsWithoutAJobInFlightAreIgnored() {
        var scheduler = Self.scheduler(maxInFlight: 1)
        scheduler.completed(tenant: "ghost")
        scheduler.enqueue("a1", tenant: "a")
        scheduler.enqueue("a2", tenant: "a")
        #expect(scheduler.next(now: Self.t0) == .run("a1", tenant: "a"))
        scheduler.completed(tenant: "a")
        scheduler.completed(tenant: "a")
        #expect(scheduler.totalInFlight == 0)
        #expect(scheduler.next(now: Self.t0) == .run("a2", tenant: "a"))
        #expect(scheduler.totalInFlight == 1)
    }

    @Test func removingQueuedJobsKeepsTheRestInOrder() {
        var scheduler = Self.scheduler()
        for index in 1...4 {
            scheduler.enqueue("a\(index)", tenant: "a")
            scheduler.enqueue("b\(index)", tenant: "b")
        }
        scheduler.enqueue("c1", tenant: "c")
        #expect(scheduler.next(now: Self.t0) == .run("a1", tenant: "a"))
        let removed = scheduler.removeQueued { $0 == "a3" || $0.hasPrefix("b") }
        #expect(removed == ["a3", "b1", "b2", "b3", "b4"])
        #expect(scheduler.totalQueued == 3 && scheduler.queued(tenant: "b") == 0)
        #expect(scheduler.inFlight(tenant: "a") == 1, "in-flight jobs stay")
        let (started, _) = Self.drain(&scheduler, at: Self.t0)
        #expect(started == ["c1", "a2", "a4"], "b's turn passes to c, then the rotation continues")
    }

    @Test func aTenantThatEmptiesRejoinsAtTheEnd() {
        var scheduler = Self.scheduler()
        scheduler.enqueue("a1", tenant: "a")
        scheduler.enqueue("b1", tenant: "b")
        scheduler.enqueue("b2", tenant: "b")
        #expect(scheduler.next(now: Self.t0) == .run("a1", tenant: "a"))
        scheduler.enqueue("a2", tenant: "a")
        scheduler.enqueue("c1", tenant: "c")
        let (started, _) = Self.drain(&scheduler, at: Self.t0)
        #expect(started == ["b1", "a2", "c1", "b2"])
    }
}

extension TenantSchedulerTests {
    /// Lookups outside the queue take the tenant's tokens too: they and the jobs share one rate.
    @Test func takenTokensShareTheTenantsBucketWithJobs() {
        let limits = TenantLimits(maxInFlight: 100, ratePerMinute: 60, burst: 2)
        var scheduler = TenantScheduler<String>(configuration: TenantSchedulerConfiguration(maxInFlight: 100, defaultLimits: limits))
        #expect(scheduler.takeToken(tenant: "a", now: Self.t0) == nil)
        #expect(scheduler.takeToken(tenant: "a", now: Self.t0) == nil)
        let due = scheduler.takeToken(tenant: "a", now: Self.t0)
        #expect(due == Self.t0 + .seconds(1))
        scheduler.enqueue("job", tenant: "a")
        #expect(scheduler.next(now: Self.t0) == .waitUntil(Self.t0 + .seconds(1)))
        #expect(scheduler.takeToken(tenant: "b", now: Self.t0) == nil, "another tenant's bucket is its own")
        scheduler.pause(tenant: "b", until: Self.t0 + .seconds(30))
        #expect(scheduler.takeToken(tenant: "b", now: Self.t0 + .seconds(5)) == Self.t0 + .seconds(30))
    }
}

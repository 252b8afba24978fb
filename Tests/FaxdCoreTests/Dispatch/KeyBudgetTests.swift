import FaxdCore
import Testing

/// Budgets by mintfax key: the shares workers take of a key's rate, and one bucket, one feedback and
/// one circuit for every tenant of a key.
@Suite struct KeyBudgetTests {
    private static let t0 = ContinuousClock.Instant.now

    // MARK: Shares

    @Test func theSharesOfTheWorkersAddUpToTheKeysRateAfterEveryAssignment() {
        // The key's tenants live on partitions 0, 2, 5 and 7 of 8.
        let carrying: Set<Int32> = [0, 2, 5, 7]
        let assignments: [[Set<Int32>]] = [
            [[0, 1, 2, 3, 4, 5, 6, 7]],
            [[0, 1, 2, 3], [4, 5, 6, 7]],
            [[0, 1], [2, 3, 4], [5, 6, 7]],
            [[0, 4], [1, 5], [2, 6], [3, 7]],
        ]
        for workers in assignments {
            let shares = workers.map {
                KeyBudget.share(ratePerMinute: 120, burst: 10, keyPartitions: carrying, owned: $0, partitionCount: 8)
            }
            #expect(shares.reduce(0) { $0 + $1.ratePerMinute } == 120, "\(workers)")
        }
        let half = KeyBudget.share(ratePerMinute: 120, burst: 10, keyPartitions: carrying, owned: [0, 1, 2, 3], partitionCount: 8)
        #expect(half == KeyBudget(ratePerMinute: 60, burst: 5))
    }

    @Test func aDedicatedKeyOnOnePartitionIsWhollyItsOwners() {
        let owner = KeyBudget.share(ratePerMinute: 60, burst: 10, keyPartitions: [3], owned: [2, 3], partitionCount: 8)
        #expect(owner == KeyBudget(ratePerMinute: 60, burst: 10))
    }

    @Test func aKeyWithUnlistedMembersIsSharedByAllPartitions() {
        let share = KeyBudget.share(ratePerMinute: 120, burst: 10, keyPartitions: nil, owned: [0, 1, 2], partitionCount: 12)
        #expect(share == KeyBudget(ratePerMinute: 30, burst: 2))
    }

    @Test func aWorkerOwningNoneOfTheKeysPartitionsStillGetsOnePartitionsPart() {
        // A job of the key's tenant arrived here anyway (a producer with another partitioner).
        let share = KeyBudget.share(ratePerMinute: 120, burst: 10, keyPartitions: [0, 1, 2, 3], owned: [6], partitionCount: 8)
        #expect(share == KeyBudget(ratePerMinute: 30, burst: 2))
        let tiny = KeyBudget.share(ratePerMinute: 120, burst: 10, keyPartitions: nil, owned: [0], partitionCount: 64)
        #expect(tiny.burst == 1, "the burst never drops below one")
    }

    // MARK: One bucket per key

    private static func scheduler(
        keyRate: Double = 60,
        burst: Int = 5,
        tenantLimits: [String: TenantLimits] = [:]
    ) -> TenantScheduler<String> {
        TenantScheduler(
            configuration: TenantSchedulerConfiguration(
                maxInFlight: 100,
                defaultLimits: TenantLimits(maxInFlight: 100, ratePerMinute: 1_000_000, burst: 1_000_000),
                tenantLimits: tenantLimits,
                tenantKeys: ["a": "key-shared", "b": "key-shared", "c": "key-shared", "own": "key-own"],
                keyBudgets: [
                    "key-shared": KeyBudget(ratePerMinute: keyRate, burst: burst), "key-own": KeyBudget(ratePerMinute: 6_000, burst: 100),
                ]
            )
        )
    }

    /// Starts what may start at `now`.
    private static func drain(_ scheduler: inout TenantScheduler<String>, at now: ContinuousClock.Instant) -> [String] {
        var started: [String] = []
        while case .run(let item, _) = scheduler.next(now: now) { started.append(item) }
        return started
    }

    @Test func tenantsOfOneKeyDrawOnOneBucketThatStartsEmpty() {
        var scheduler = Self.scheduler()
        for tenant in ["a", "b", "c"] {
            for index in 0..<10 { scheduler.enqueue("\(tenant)\(index)", tenant: tenant) }
        }
        // A key's bucket starts empty: the worker that owned its partitions may just have spent its burst.
        #expect(Self.drain(&scheduler, at: Self.t0).isEmpty)
        #expect(scheduler.next(now: Self.t0) == .waitUntil(Self.t0 + .seconds(1)))
        // 60/min for the three tenants together: after 10 s, 10 tokens have come, at most 5 kept.
        let started = Self.drain(&scheduler, at: Self.t0 + .seconds(10))
        #expect(started.count == 5)
        #expect(Set(started.map(\.first)) == ["a", "b", "c"], "the turns still go round the tenants")
        #expect(Self.drain(&scheduler, at: Self.t0 + .seconds(11)).count == 1)
    }

    @Test func mintfaxsFeedbackForOneTenantThrottlesEveryTenantOfTheKey() {
        var scheduler = Self.scheduler(keyRate: 6_000, burst: 100)
        scheduler.enqueue("b0", tenant: "b")
        scheduler.enqueue("own0", tenant: "own")
        #expect(Self.drain(&scheduler, at: Self.t0).isEmpty, "both keys' buckets start empty")
        scheduler.observe(rateLimitRemaining: 0, resetIn: .seconds(20), retryAfter: nil, tenant: "a", now: Self.t0 + .seconds(1))
        #expect(Self.drain(&scheduler, at: Self.t0 + .seconds(2)) == ["own0"], "another key is not throttled")
        #expect(scheduler.next(now: Self.t0 + .seconds(2)) == .waitUntil(Self.t0 + .seconds(21)))
        #expect(Self.drain(&scheduler, at: Self.t0 + .seconds(21)) == ["b0"])
    }

    @Test func aTenantsOwnLimitAppliesInsideItsKeysBudget() {
        var scheduler = Self.scheduler(
            keyRate: 6_000,
            burst: 100,
            tenantLimits: ["a": TenantLimits(maxInFlight: 100, ratePerMinute: 60, burst: 2)]
        )
        for index in 0..<5 {
            scheduler.enqueue("a\(index)", tenant: "a")
            scheduler.enqueue("b\(index)", tenant: "b")
        }
        #expect(Self.drain(&scheduler, at: Self.t0).isEmpty)
        let started = Self.drain(&scheduler, at: Self.t0 + .seconds(2))
        #expect(started.filter { $0.hasPrefix("a") } == ["a0", "a1"], "a's own bucket of 2")
        #expect(started.filter { $0.hasPrefix("b") }.count == 5, "b has only the key's budget")
        #expect(scheduler.next(now: Self.t0 + .seconds(2)) == .waitUntil(Self.t0 + .seconds(3)), "a's next own token")
    }

    @Test func aPausedKeyStopsAllItsTenantsAndNoOther() {
        var scheduler = Self.scheduler(keyRate: 6_000, burst: 100)
        for tenant in ["a", "c", "own"] { scheduler.enqueue("\(tenant)0", tenant: tenant) }
        #expect(Self.drain(&scheduler, at: Self.t0).isEmpty)
        scheduler.pause(tenant: "c", until: Self.t0 + .seconds(30))
        #expect(Self.drain(&scheduler, at: Self.t0 + .seconds(2)) == ["own0"])
        scheduler.resume(tenant: "a")
        #expect(Self.drain(&scheduler, at: Self.t0 + .seconds(2)) == ["a0", "c0"])
    }

    // MARK: The state machine

    @Test func aCircuitOpenedForOneTenantParksTheJobsOfEveryTenantOfItsKey() {
        var machine = DispatchStateMachine<String>(
            configuration: .init(
                scheduler: TenantSchedulerConfiguration(
                    maxInFlight: 10,
                    defaultLimits: TenantLimits(maxInFlight: 10, ratePerMinute: 1_000_000, burst: 1_000_000)
                )
            )
        )
        machine.assigned([0])
        machine.setKeyBudgets(["key-shared": KeyBudget(ratePerMinute: 6_000, burst: 100)])
        for tenant in ["a", "b"] { machine.setKey("key-shared", tenant: tenant) }
        var offset: Int64 = 0
        for job in ["a0", "b0", "alone0"] {
            _ = machine.read(job, tenant: String(job.dropLast()), partition: 0, offset: offset, bytes: 10, now: Self.t0)
            offset += 1
        }
        let error = ErrorInfo(code: "unauthenticated", message: "", retryable: false, httpStatus: 401)
        #expect(machine.openCircuit(tenant: "a", error: error, until: Self.t0 + .seconds(30)) == 2)
        _ = machine.read("b1", tenant: "b", partition: 0, offset: offset, bytes: 10, now: Self.t0 + .seconds(1))
        let (actions, _) = machine.next(now: Self.t0 + .seconds(1))
        let parked = actions.compactMap { if case .park(let run, _) = $0 { run.job } else { nil } }
        let attempted = actions.compactMap { if case .attempt(let run) = $0 { run.job } else { nil } }
        #expect(parked == ["a0", "b0", "b1"])
        #expect(attempted == ["alone0"])
    }

    @Test func broadFailuresOfOneSharedKeyOpenItsBreakerNotMintfaxs() {
        var machine = DispatchStateMachine<String>(
            configuration: .init(
                scheduler: TenantSchedulerConfiguration(
                    maxInFlight: 10,
                    defaultLimits: TenantLimits(maxInFlight: 10, ratePerMinute: 1_000_000, burst: 1_000_000)
                ),
                breaker: .init(failureThreshold: 2, openFor: .seconds(5), maxOpenFor: .seconds(60))
            )
        )
        machine.assigned([0])
        machine.setKeyBudgets(["key-shared": KeyBudget(ratePerMinute: 6_000, burst: 100)])
        for tenant in ["a", "b"] { machine.setKey("key-shared", tenant: tenant) }
        // Two tenants fail, but with one key: that key's breaker opens, mintfax's does not.
        machine.mintfaxFailed(tenant: "a", now: Self.t0)
        machine.mintfaxFailed(tenant: "b", now: Self.t0)
        #expect(machine.keysWithOpenBreakers == ["key-shared"])
        #expect(!machine.isProviderBreakerOpen)
    }
}

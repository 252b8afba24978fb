import FaxdCore
import Testing

@Suite struct DispatchStateMachineTests {
    typealias Machine = DispatchStateMachine<String>
    private static let t0 = ContinuousClock.Instant.now

    private static func machine(
        maxInFlight: Int = 100,
        perTenantInFlight: Int = 100,
        ratePerMinute: Double = 1_000_000,
        burst: Int = 1_000_000,
        maxBufferedJobs: Int = 1_000,
        perTenant: Int = 1_000,
        maxPublishing: Int = 256,
        budget: Duration = .seconds(30),
        partitions: [Int32] = [0, 1, 2]
    ) -> Machine {
        var machine = Machine(
            configuration: .init(
                scheduler: TenantSchedulerConfiguration(
                    maxInFlight: maxInFlight,
                    defaultLimits: TenantLimits(maxInFlight: perTenantInFlight, ratePerMinute: ratePerMinute, burst: burst)
                ),
                maxBufferedJobs: maxBufferedJobs,
                maxBufferedBytes: 1 << 30,
                maxBufferedJobsPerTenant: perTenant,
                maxPublishing: maxPublishing,
                retryPolicy: RetryPolicy(initialDelay: .milliseconds(500), maxDelay: .seconds(30), budget: budget),
                breaker: .init(failureThreshold: 5, openFor: .seconds(5), maxOpenFor: .seconds(60))
            )
        )
        machine.assigned(partitions)
        return machine
    }

    /// Reads job `name` of `tenant` at `offset` of `partition`.
    @discardableResult
    private static func read(
        _ machine: inout Machine,
        _ name: String,
        tenant: String,
        partition: Int32 = 0,
        offset: Int64,
        at now: ContinuousClock.Instant = t0
    ) -> [Machine.Action] {
        machine.read(name, tenant: tenant, partition: partition, offset: offset, bytes: 100, now: now)
    }

    /// The runs `next` starts at `now`, and when it asks to be woken.
    private static func started(
        _ machine: inout Machine,
        at now: ContinuousClock.Instant = t0
    ) -> (runs: [Machine.Run], wake: ContinuousClock.Instant?) {
        let (actions, wake) = machine.next(now: now)
        return (actions.compactMap { if case .attempt(let run) = $0 { run } else { nil } }, wake)
    }

    private static func names(_ runs: [Machine.Run]) -> [String] { runs.map(\.job) }

    private static func pauses(_ actions: [Machine.Action]) -> [String] {
        actions.compactMap {
            switch $0 {
            case .pause(let partition): "pause \(partition)"
            case .resume(let partition): "resume \(partition)"
            case .commit(let partition, let offset): "commit \(partition)@\(offset)"
            default: nil
            }
        }
    }

    // MARK: Read-ahead

    @Test func aTenantAtItsShareHoldsItsPartitionWhileOtherTenantsFlow() throws {
        var machine = Self.machine(perTenantInFlight: 1, perTenant: 2)
        #expect(Self.read(&machine, "a1", tenant: "a", offset: 0).isEmpty)
        let a1 = try #require(Self.started(&machine).runs.first)
        #expect(a1.job == "a1")
        Self.read(&machine, "a2", tenant: "a", offset: 1)
        Self.read(&machine, "a3", tenant: "a", offset: 2)
        // a's share (2 waiting) is full: its next record is held and partition 0 paused.
        #expect(Self.pauses(Self.read(&machine, "a4", tenant: "a", offset: 3)) == ["pause 0"])
        #expect(Self.read(&machine, "x5", tenant: "x", offset: 4).isEmpty, "a record behind a held one is held too, in order")
        #expect(Self.read(&machine, "b1", tenant: "b", partition: 1, offset: 0).isEmpty)
        #expect(Self.names(Self.started(&machine).runs) == ["b1"])
        #expect(machine.jobsWaiting == 4)

        let run = Self.started(&machine).runs
        #expect(run.isEmpty, "a is at its in-flight cap")
        // a1 done: a2 starts, which frees a place in a's share: a4 and x5 come in, partition 0 resumes.
        #expect(Self.pauses(machine.attemptEnded(a1, .finished(published: true), now: Self.t0)) == ["commit 0@1"])
        let (actions, _) = machine.next(now: Self.t0)
        #expect(Self.pauses(actions) == ["resume 0"])
        #expect(actions.compactMap { if case .attempt(let run) = $0 { run.job } else { nil } }.sorted() == ["a2", "x5"])
    }

    @Test func theTotalReadAheadHoldsEveryPartitionAtItsLimit() {
        var machine = Self.machine(maxInFlight: 1, maxBufferedJobs: 2)
        Self.read(&machine, "a1", tenant: "a", offset: 0)
        Self.read(&machine, "b1", tenant: "b", partition: 1, offset: 0)
        #expect(Self.pauses(Self.read(&machine, "c1", tenant: "c", partition: 2, offset: 0)) == ["pause 2"])
        // a1 starts: one place frees, c1 comes in and partition 2 resumes.
        let (actions, _) = machine.next(now: Self.t0)
        #expect(actions.compactMap { if case .attempt(let run) = $0 { run.job } else { nil } } == ["a1"])
        #expect(Self.pauses(actions) == ["resume 2"])
        #expect(machine.jobsWaiting == 2)
    }

    // MARK: Publishing

    @Test func aJobGivesItsSlotBackWhenItsRequestEndsAndItsOffsetWaitsForItsEvents() throws {
        var machine = Self.machine(maxInFlight: 1)
        Self.read(&machine, "a1", tenant: "a", offset: 0)
        Self.read(&machine, "a2", tenant: "a", offset: 1)
        let a1 = try #require(Self.started(&machine).runs.first)
        #expect(Self.started(&machine).runs.isEmpty, "one slot, held by a1's request")
        machine.requestEnded(a1, now: Self.t0)
        #expect(machine.attemptsInFlight == 0 && machine.attemptsPublishing == 1)
        let a2 = try #require(Self.started(&machine).runs.first, "a1's slot went to a2 while a1 publishes")
        #expect(a2.job == "a2")
        machine.requestEnded(a2, now: Self.t0)
        // a2's events are acknowledged first: the offset stays at a1 while a1's are not.
        #expect(Self.pauses(machine.attemptEnded(a2, .finished(published: true), now: Self.t0)) == ["commit 0@0"])
        #expect(!machine.isIdle, "a1 still publishes")
        #expect(Self.pauses(machine.attemptEnded(a1, .finished(published: true), now: Self.t0)) == ["commit 0@2"])
        #expect(machine.isIdle && machine.attemptsPublishing == 0)
    }

    @Test func startsStopWhileTooManyJobsWaitForKafka() throws {
        var machine = Self.machine(maxInFlight: 10, maxPublishing: 2)
        for offset in 0..<4 { Self.read(&machine, "a\(offset)", tenant: "a", offset: Int64(offset)) }
        let first = Self.started(&machine).runs
        #expect(first.count == 4)
        for run in first.prefix(2) { machine.requestEnded(run, now: Self.t0) }
        Self.read(&machine, "a4", tenant: "a", offset: 4)
        #expect(Self.started(&machine).runs.isEmpty, "two jobs wait for Kafka: nothing starts")
        _ = machine.attemptEnded(first[0], .finished(published: true), now: Self.t0)
        #expect(Self.names(Self.started(&machine).runs) == ["a4"])
        // An attempt that ends without its request ending first (its document failed, say) gives its slot back once.
        _ = machine.attemptEnded(first[2], .finished(published: true), now: Self.t0)
        _ = machine.attemptEnded(first[1], .finished(published: true), now: Self.t0)
        #expect(machine.attemptsInFlight == 2 && machine.attemptsPublishing == 0)
    }

    // MARK: Retries

    @Test func aRetryReleasesItsSlotAndStartsAgainWhenDue() throws {
        var machine = Self.machine(maxInFlight: 1)
        Self.read(&machine, "a1", tenant: "a", offset: 0)
        Self.read(&machine, "b1", tenant: "b", offset: 1)
        let first = try #require(Self.started(&machine).runs.first)
        #expect(first.job == "a1")
        #expect(machine.attemptEnded(first, .retry(after: .seconds(10)), now: Self.t0).isEmpty)
        let (runs, wake) = Self.started(&machine)
        #expect(Self.names(runs) == ["b1"], "the retrying job holds no slot")
        #expect(wake == Self.t0 + .seconds(10))
        _ = machine.attemptEnded(runs[0], .finished(published: true), now: Self.t0 + .seconds(1))
        #expect(Self.started(&machine, at: Self.t0 + .seconds(9)).runs.isEmpty)
        let again = Self.started(&machine, at: Self.t0 + .seconds(10)).runs
        #expect(Self.names(again) == ["a1"])
        #expect(again.first?.attempts == 2)
    }

    @Test func aRetryTakesARateLimitToken() throws {
        var machine = Self.machine(ratePerMinute: 60, burst: 1)
        Self.read(&machine, "a1", tenant: "a", offset: 0)
        let first = try #require(Self.started(&machine).runs.first)
        _ = machine.attemptEnded(first, .retry(after: .zero), now: Self.t0)
        let (runs, wake) = Self.started(&machine)
        #expect(runs.isEmpty, "the first start took the only token")
        #expect(wake == Self.t0 + .seconds(1))
        #expect(Self.names(Self.started(&machine, at: Self.t0 + .seconds(1)).runs) == ["a1"])
    }

    @Test func timeWithTheBreakerOpenDoesNotSpendTheRetryBudget() throws {
        var random = SystemRandomNumberGenerator()
        var machine = Self.machine()
        Self.read(&machine, "a1", tenant: "a", offset: 0)
        let run = try #require(Self.started(&machine).runs.first)
        // Without an outage, 31 s after the first attempt a 30 s budget is spent.
        #expect(machine.retryVerdict(run, notBefore: nil, now: Self.t0 + .seconds(31), random: &random) == .spent)
        // mintfax fails for two tenants from 1 s on; the breaker is open for 100 s.
        for second in 1...5 { machine.mintfaxFailed(tenant: second % 2 == 0 ? "a" : "b", now: Self.t0 + .seconds(1)) }
        #expect(machine.isProviderBreakerOpen)
        machine.mintfaxAnswered(tenant: "b", now: Self.t0 + .seconds(101))
        #expect(!machine.isProviderBreakerOpen)
        guard case .retry = machine.retryVerdict(run, notBefore: nil, now: Self.t0 + .seconds(110), random: &random) else {
            Issue.record("110 s after the first attempt, 100 of them with the breaker open, the budget is not spent")
            return
        }
        #expect(machine.retryVerdict(run, notBefore: nil, now: Self.t0 + .seconds(132), random: &random) == .spent)
    }

    @Test func timeWithTheTenantsBreakerOpenDoesNotSpendItsJobsBudgets() throws {
        var random = SystemRandomNumberGenerator()
        var machine = Self.machine()
        Self.read(&machine, "a1", tenant: "a", offset: 0)
        let run = try #require(Self.started(&machine).runs.first)
        for _ in 1...5 { machine.mintfaxFailed(tenant: "a", now: Self.t0 + .seconds(1)) }
        #expect(machine.keysWithOpenBreakers == ["a"])
        machine.mintfaxAnswered(tenant: "a", now: Self.t0 + .seconds(101))
        #expect(machine.keysWithOpenBreakers.isEmpty)
        guard case .retry = machine.retryVerdict(run, notBefore: nil, now: Self.t0 + .seconds(110), random: &random) else {
            Issue.record("100 of the 110 s since the first attempt were with the tenant's breaker open: the budget is not spent")
            return
        }
    }

    // MARK: Breakers

    @Test func broadFailuresOfTwoTenantsStopEveryStartUntilAProbeSucceeds() throws {
        var machine = Self.machine()
        for index in 0..<6 { Self.read(&machine, "j\(index)", tenant: index % 2 == 0 ? "a" : "b", offset: Int64(index)) }
        let runs = Self.started(&machine).runs
        #expect(runs.count == 6)
        for run in runs.prefix(5) {
            machine.mintfaxFailed(tenant: run.tenant, now: Self.t0)
            _ = machine.attemptEnded(run, .retry(after: .zero), now: Self.t0)
        }
        #expect(machine.isProviderBreakerOpen)
        let (blocked, wake) = Self.started(&machine, at: Self.t0 + .seconds(1))
        #expect(blocked.isEmpty, "nothing starts while the breaker is open")
        #expect(wake == Self.t0 + .seconds(5))

        let probe = Self.started(&machine, at: Self.t0 + .seconds(5)).runs
        #expect(probe.count == 1, "one probe when the breaker's time is up")
        #expect(Self.started(&machine, at: Self.t0 + .seconds(6)).runs.isEmpty, "nothing else while the probe is out")
        // The probe fails: open again, twice as long.
        machine.mintfaxFailed(tenant: probe[0].tenant, now: Self.t0 + .seconds(6))
        _ = machine.attemptEnded(probe[0], .retry(after: .zero), now: Self.t0 + .seconds(6))
        let (none, later) = Self.started(&machine, at: Self.t0 + .seconds(7))
        #expect(none.isEmpty)
        #expect(later == Self.t0 + .seconds(16))
        let second = Self.started(&machine, at: Self.t0 + .seconds(16)).runs
        #expect(second.count == 1)
        machine.mintfaxAnswered(tenant: second[0].tenant, now: Self.t0 + .seconds(17))
        #expect(Self.started(&machine, at: Self.t0 + .seconds(17)).runs.count == 4, "every waiting job starts once mintfax answers")
    }

    @Test func oneTenantsFailingKeyStopsOnlyThatTenant() throws {
        var machine = Self.machine()
        for index in 0..<5 { Self.read(&machine, "a\(index)", tenant: "a", offset: Int64(index)) }
        for run in Self.started(&machine).runs {
            machine.mintfaxFailed(tenant: "a", now: Self.t0)
            _ = machine.attemptEnded(run, .retry(after: .zero), now: Self.t0)
        }
        #expect(!machine.isProviderBreakerOpen)
        #expect(machine.keysWithOpenBreakers == ["a"])
        Self.read(&machine, "b0", tenant: "b", partition: 1, offset: 0)
        #expect(Self.names(Self.started(&machine, at: Self.t0 + .seconds(1)).runs) == ["b0"])
        let probe = Self.started(&machine, at: Self.t0 + .seconds(5)).runs
        #expect(probe.map(\.tenant) == ["a"], "one probe of the tenant's key")
        machine.mintfaxAnswered(tenant: "a", now: Self.t0 + .seconds(5))
        #expect(Self.started(&machine, at: Self.t0 + .seconds(5)).runs.count == 4)
    }

    @Test func aProbeThatAskedNothingLetsAnotherGo() throws {
        var machine = Self.machine()
        for index in 0..<6 { Self.read(&machine, "j\(index)", tenant: index % 2 == 0 ? "a" : "b", offset: Int64(index)) }
        for run in Self.started(&machine).runs {
            machine.mintfaxFailed(tenant: run.tenant, now: Self.t0)
            _ = machine.attemptEnded(run, .retry(after: .zero), now: Self.t0)
        }
        let probe = try #require(Self.started(&machine, at: Self.t0 + .seconds(5)).runs.first)
        // Its job needed no request (the ledger knew its fax).
        _ = machine.attemptEnded(probe, .finished(published: true), now: Self.t0 + .seconds(5))
        #expect(Self.started(&machine, at: Self.t0 + .seconds(5)).runs.count == 1)
    }

    // MARK: Circuits and offsets

    @Test func anOpenCircuitParksTheTenantsJobsWithinTheReadAhead() {
        var machine = Self.machine(maxInFlight: 2, perTenant: 3)
        for index in 0..<3 { Self.read(&machine, "a\(index)", tenant: "a", offset: Int64(index)) }
        let error = ErrorInfo(code: "unauthenticated", message: "", retryable: false, httpStatus: 401)
        #expect(machine.openCircuit(tenant: "a", error: error, until: Self.t0 + .seconds(30)) == 3)
        #expect(Self.pauses(Self.read(&machine, "a3", tenant: "a", offset: 3)) == ["pause 0"], "parked jobs count in the tenant's share")
        let (actions, _) = machine.next(now: Self.t0)
        let parks = actions.compactMap { if case .park(let run, _) = $0 { run.job } else { nil } }
        #expect(parks == ["a0", "a1"], "at most max_in_flight parkings at once")
    }

    @Test func anOffsetPassesOnlyWhenEveryEarlierRecordIsDone() throws {
        var machine = Self.machine()
        Self.read(&machine, "a0", tenant: "a", offset: 10)
        machine.readWithoutRun(partition: 0, offset: 11)
        Self.read(&machine, "b2", tenant: "b", offset: 12)
        let runs = Self.started(&machine).runs
        let b2 = try #require(runs.first { $0.job == "b2" })
        let a0 = try #require(runs.first { $0.job == "a0" })
        // Nothing passes offset 10 while a0 runs.
        #expect(Self.pauses(machine.attemptEnded(b2, .finished(published: true), now: Self.t0)) == ["commit 0@10"])
        #expect(Self.pauses(machine.attemptEnded(a0, .finished(published: true), now: Self.t0)) == ["commit 0@11"])
        #expect(Self.pauses(machine.finished(partition: 0, offset: 11)) == ["commit 0@13"])
    }

    @Test func aRevokedPartitionReleasesWhatWaitsAndItsRetries() throws {
        var machine = Self.machine()
        Self.read(&machine, "a0", tenant: "a", offset: 0)
        Self.read(&machine, "a1", tenant: "a", offset: 1)
        let runs = Self.started(&machine).runs
        _ = machine.attemptEnded(runs[0], .retry(after: .seconds(5)), now: Self.t0)
        let released = machine.revoking([0]).compactMap { if case .release(let run) = $0 { run.job } else { nil } }
        #expect(released == ["a0"])
        #expect(machine.running(partition: 0) == 1)
        // A retry of a leaving partition is released too, not queued.
        let late = machine.attemptEnded(runs[1], .retry(after: .zero), now: Self.t0)
        #expect(late.compactMap { if case .release(let run) = $0 { run.job } else { nil } } == ["a1"])
        _ = machine.revoked([0])
        #expect(machine.isIdle)
    }
}

import FaxdCore
import Testing

/// What `DispatchStateMachine.view(now:)` tells an operator (issue #15): per tenant its jobs by state,
/// throttling and circuit; per partition its unfinished records and the record time of the oldest.
@Suite struct DispatchViewTests {
    typealias Machine = DispatchStateMachine<String>
    private static let t0 = ContinuousClock.Instant.now
    /// Record times, milliseconds since the epoch.
    private static let written: Int64 = 1_800_000_000_000

    private static func machine(maxInFlight: Int = 2, ratePerMinute: Double = 1_000_000, burst: Int = 1_000_000) -> Machine {
        var machine = Machine(
            configuration: .init(
                scheduler: TenantSchedulerConfiguration(
                    maxInFlight: maxInFlight,
                    defaultLimits: TenantLimits(maxInFlight: 100, ratePerMinute: ratePerMinute, burst: burst)
                ),
                maxBufferedJobs: 1_000,
                maxBufferedBytes: 1 << 30,
                maxBufferedJobsPerTenant: 1_000,
                retryPolicy: RetryPolicy(initialDelay: .milliseconds(500), maxDelay: .seconds(30), budget: .seconds(60)),
                breaker: .init(failureThreshold: 5, openFor: .seconds(5), maxOpenFor: .seconds(60))
            )
        )
        machine.assigned([0, 1])
        return machine
    }

    private static func read(_ machine: inout Machine, _ count: Int, tenant: String, partition: Int32, from offset: Int64) {
        for index in 0..<Int64(count) {
            _ = machine.read(
                "\(tenant)\(offset + index)",
                tenant: tenant,
                partition: partition,
                offset: offset + index,
                bytes: 100,
                recordTime: written + (offset + index) * 1_000,
                now: t0
            )
        }
    }

    private static func attempts(_ machine: inout Machine, at now: ContinuousClock.Instant = t0) -> [Machine.Run] {
        machine.next(now: now).actions.compactMap { if case .attempt(let run) = $0 { run } else { nil } }
    }

    @Test func aReadAheadBacklogShowsAsQueuedJobsAndTheOldestUnfinishedRecord() {
        var machine = Self.machine(maxInFlight: 2)
        Self.read(&machine, 5, tenant: "a", partition: 0, from: 10)
        Self.read(&machine, 3, tenant: "b", partition: 1, from: 0)
        let running = Self.attempts(&machine)
        #expect(running.count == 2)

        let view = machine.view(now: Self.t0)
        let a = view.tenants["a"]
        let b = view.tenants["b"]
        // Two slots, taken in turn: one of a's and one of b's run; the rest is read ahead and queued.
        #expect(a?.activity == TenantActivity(queued: 4, inFlight: 1, throttled: false, circuitOpen: false))
        #expect(b?.activity == TenantActivity(queued: 2, inFlight: 1, throttled: false, circuitOpen: false))
        #expect(a?.oldestQueuedTime == Self.written + 11_000)
        #expect(view.partitions[0] == .init(unfinished: 5, held: 0, oldestUnfinishedTime: Self.written + 10_000))
        #expect(view.partitions[1] == .init(unfinished: 3, held: 0, oldestUnfinishedTime: Self.written))

        // a's first job done: its partition's oldest unfinished record moves on; b's is unchanged.
        let first = running.first { $0.tenant == "a" }!
        _ = machine.attemptEnded(first, .finished(published: true), now: Self.t0)
        #expect(machine.view(now: Self.t0).partitions[0]?.oldestUnfinishedTime == Self.written + 11_000)
        #expect(machine.view(now: Self.t0).partitions[0]?.unfinished == 4)
    }

    @Test func aRevokedPartitionLeavesTheViewAndItsTenantsWithIt() {
        var machine = Self.machine()
        Self.read(&machine, 2, tenant: "a", partition: 0, from: 0)
        Self.read(&machine, 2, tenant: "b", partition: 1, from: 0)
        #expect(Set(machine.view(now: Self.t0).partitions.keys) == [0, 1])
        _ = machine.revoked([0])
        let view = machine.view(now: Self.t0)
        #expect(Set(view.partitions.keys) == [1])
        #expect(Set(view.tenants.keys) == ["b"], "a's queued jobs were dropped with its partition")
    }

    @Test func aTenantOutOfTokensIsThrottledAndOneWhoseCredentialsFailedHasItsCircuitOpen() {
        // One token a minute, a burst of one: the second job of a tenant waits for its token.
        var machine = Self.machine(maxInFlight: 10, ratePerMinute: 1, burst: 1)
        Self.read(&machine, 2, tenant: "a", partition: 0, from: 0)
        Self.read(&machine, 2, tenant: "b", partition: 1, from: 0)
        let started = Self.attempts(&machine)
        #expect(started.count == 2)
        let throttled = machine.view(now: Self.t0)
        #expect(throttled.tenants["a"]?.activity == TenantActivity(queued: 1, inFlight: 1, throttled: true, circuitOpen: false))

        // b's key is refused (401): its circuit opens, its waiting job is parked, none is throttled.
        let error = ErrorInfo(code: "unauthorized", message: "revoked", retryable: false, httpStatus: 401)
        _ = machine.openCircuit(tenant: "b", error: error, until: Self.t0 + .seconds(60))
        let open = machine.view(now: Self.t0 + .seconds(1))
        #expect(open.tenants["b"]?.activity.circuitOpen == true)
        #expect(open.tenants["b"]?.activity.throttled == false)
        #expect(open.tenants["a"]?.activity.circuitOpen == false)
        // A minute on, a's token is there: no longer throttled.
        #expect(machine.view(now: Self.t0 + .seconds(61)).tenants["a"]?.activity.throttled == false)
    }

    @Test func aJobWaitingForItsRetryCountsAsRetryingNotQueued() {
        var machine = Self.machine(maxInFlight: 10)
        Self.read(&machine, 1, tenant: "a", partition: 0, from: 0)
        let run = Self.attempts(&machine)[0]
        _ = machine.attemptEnded(run, .retry(after: .seconds(5)), now: Self.t0)
        let tenant = machine.view(now: Self.t0).tenants["a"]
        #expect(tenant?.retrying == 1)
        #expect(tenant?.activity.queued == 0)
        #expect(machine.view(now: Self.t0).partitions[0]?.unfinished == 1)
    }
}

/// `OffsetTracker.oldestOutstandingTime`: the record time of the lowest unfinished offset.
@Suite struct OffsetTrackerOldestTests {
    @Test func theOldestOutstandingTimeFollowsTheLowestUnfinishedOffset() {
        var tracker = OffsetTracker()
        #expect(tracker.oldestOutstandingTime == nil)
        tracker.start(5, time: 100)
        tracker.start(6, time: nil)
        tracker.start(9, time: 300)
        #expect(tracker.oldestOutstandingTime == 100)
        tracker.finish(9)
        #expect(tracker.oldestOutstandingTime == 100, "a later record finishing first changes nothing")
        tracker.finish(5)
        #expect(tracker.oldestOutstandingTime == nil, "offset 6 is unfinished and its record had no time")
        tracker.finish(6)
        #expect(tracker.oldestOutstandingTime == nil)
        #expect(tracker.outstandingCount == 0)
    }
}

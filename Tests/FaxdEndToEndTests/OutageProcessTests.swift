import FaxdCore
import FaxdHTTP
import FaxdKafka
import FaxdTestSupport
import Foundation
import Testing

/// mintfax down and tenants throttled, with real processes: an outage becomes lag, and one stuck
/// tenant holds up nobody else.
@Suite struct OutageProcessTests {
    @Test func aMintfaxOutageLongerThanTheRetryBudgetEndsWithEveryJobFaxedOnceAndNoneDeadLettered() async throws {
        let harness = try await PipelineHarness(
            sandboxFaults: """
                faults:
                  server_error_rate: 1
                  server_error_statuses: [503]
                """
        )
        let jobs = (0..<200).map { (tenant: "t\($0 % 5 + 1)", id: "outage-\($0)") }
        try await harness.produce(jobs.map { PipelineHarness.job(tenant: $0.tenant, id: $0.id) })
        let worker = try await harness.startWorker(environment: ["FAXD_DISPATCH_RETRY_BUDGET_SECONDS": "30"])

        // The outage: every request answered 503 for 100 s, more than three retry budgets.
        try await Task.sleep(for: .seconds(100))
        #expect(try await harness.readAll("fax.jobs.dlq").isEmpty, "the outage dead-lettered jobs")
        try await harness.sandboxControl("faults")

        let tally = try await harness.tallyUntilSubmitted(jobs, timeout: .seconds(240))
        #expect(tally.submitted.count == jobs.count, "a job was not faxed after the outage")
        #expect(!tally.outcomes.values.contains { $0.contains("fax.dead_lettered") })
        #expect(try await harness.readAll("fax.jobs.dlq").isEmpty)
        // Submissions stopped while the breaker was open: most jobs never failed an attempt.
        let retried = tally.outcomes.values.filter { $0.contains("fax.retrying") }.count
        #expect(retried < jobs.count / 2, "\(retried) of \(jobs.count) jobs retried: the breaker did not stop submissions")
        let keys = try await harness.sandboxFaxes().map(\.key)
        #expect(keys.count == jobs.count && Set(keys).count == keys.count, "\(keys.count) faxes for \(jobs.count) jobs")
        #expect(try await worker.stop() == 0)
        await harness.stop()
    }

    @Test func everyBrokerDownForAMinuteMidRunLosesNothingAndSendsNoSecondFax() async throws {
        let harness = try await PipelineHarness()
        let jobs = (0..<300).map { (tenant: "t\($0 % 5 + 1)", id: "broker-down-\($0)") }
        try await harness.produce(jobs.prefix(150).map { PipelineHarness.job(tenant: $0.tenant, id: $0.id) })
        let port = freeLocalPort()
        let worker = try await harness.startWorker(environment: ["FAXD_METRICS_LISTEN": "127.0.0.1:\(port)"])
        _ = try await harness.statusEvents { events in events.filter { $0.type == .submitted }.count >= 50 }
        try await Eventually.wait(for: "the worker to be ready") { try await Self.readyz(port) == 200 }

        // Every broker stops answering (the process is frozen: connections hang, as in a partition).
        let outageStarted = ContinuousClock.now
        kill(harness.broker.pid, SIGSTOP)
        try await Eventually.wait(for: "/readyz to say not ready", timeout: .seconds(30), interval: .milliseconds(500)) {
            try await Self.readyz(port) == 503
        }
        try await Task.sleep(until: outageStarted + .seconds(60), clock: .continuous)
        kill(harness.broker.pid, SIGCONT)
        try await Eventually.wait(for: "/readyz to say ready again", timeout: .seconds(60), interval: .milliseconds(500)) {
            try await Self.readyz(port) == 200
        }
        try await harness.produce(jobs.suffix(150).map { PipelineHarness.job(tenant: $0.tenant, id: $0.id) })

        let tally = try await harness.tallyUntilSubmitted(jobs)
        #expect(tally.submitted.count == jobs.count, "a job was lost in the broker outage")
        let keys = try await harness.sandboxFaxes().map(\.key)
        #expect(keys.count == jobs.count && Set(keys).count == keys.count, "\(keys.count) faxes for \(jobs.count) jobs")
        #expect(try await worker.stop() == 0)
        await harness.stop()
    }

    private static func readyz(_ port: Int) async throws -> Int {
        let client = try HTTPClient()
        defer { client.shutdown() }
        return (try? await client.execute(HTTPRequest(method: .GET, url: "http://127.0.0.1:\(port)/readyz")).status) ?? 0
    }

    @Test func aThrottledTenantFillsOnlyItsShareAndAnotherTenantsJobsGoThrough() async throws {
        let harness = try await PipelineHarness(partitions: 2)
        // t1: one job a minute after a burst of 10, 3,000 of them on partition 0; then t2: 50 on partition 1.
        let producer = try KafkaProducer(
            configuration: .init(bootstrapServers: harness.bootstrap),
            logger: KafkaFixtures.logger("test.e2e.producer")
        )
        func message(_ tenant: String, _ id: String, partition: Int32) -> KafkaOutgoingMessage {
            let line = PipelineHarness.job(tenant: tenant, id: id).split(separator: "\t", maxSplits: 1)
            return KafkaOutgoingMessage(topic: "fax.jobs", partition: partition, key: Array(line[0].utf8), value: Array(line[1].utf8))
        }
        let backlog = (0..<3_000).map { message("t1", "slow-\($0)", partition: 0) }
        try await withThrowingTaskGroup(of: Void.self) { group in
            for record in backlog { group.addTask { _ = try await producer.send(record) } }
            try await group.waitForAll()
        }
        let worker = try await harness.startWorker(
            tenantExtras: ["t1": "rate_limit_per_minute: 1"],
            environment: ["FAXD_DISPATCH_MAX_BUFFERED_JOBS": "1000", "FAXD_DISPATCH_MAX_BUFFERED_JOBS_PER_TENANT": "200"]
        )
        // t1's burst is sent: from now on its read-ahead only fills, a job a minute.
        _ = try await harness.statusEvents { events in events.filter { $0.type == .submitted }.count >= 10 }
        let others = (0..<50).map { (tenant: "t2", id: "quick-\($0)") }
        for job in others { _ = try await producer.send(message(job.tenant, job.id, partition: 1)) }
        await producer.close()

        let tally = try await harness.tallyUntilSubmitted(others, timeout: .seconds(120))
        #expect(
            tally.submitted.isSuperset(of: Set(others.map { "\($0.tenant)/\($0.id)" })),
            "the throttled tenant held up another tenant's jobs"
        )
        #expect(tally.submitted.filter { $0.hasPrefix("t1/") }.count <= 12, "t1 went faster than its limit")
        #expect(try await worker.stop() == 0)
        await harness.stop()
    }
}

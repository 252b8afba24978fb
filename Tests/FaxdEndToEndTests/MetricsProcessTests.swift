import FaxdHTTP
import FaxdTestSupport
import Foundation
import Testing

/// A running worker's `/metrics` in a scripted scenario (issue #15): a backlog read ahead behind a
/// slow mintfax, a tenant held to one submission a minute, a tenant whose key mintfax refuses, and a
/// rebalance that takes partitions away.
@Suite struct MetricsProcessTests {
    /// The exposition's samples by series (name and labels, as printed).
    static func scrape(_ client: HTTPClient, port: Int) async -> [String: Double] {
        guard let response = try? await client.execute(HTTPRequest(method: .GET, url: "http://127.0.0.1:\(port)/metrics")) else {
            return [:]
        }
        var samples: [String: Double] = [:]
        for line in String(decoding: response.body, as: UTF8.self).split(separator: "\n") where !line.hasPrefix("#") {
            guard let space = line.lastIndex(of: " "), let value = Double(line[line.index(after: space)...]) else { continue }
            samples[String(line[..<space])] = value
        }
        return samples
    }

    @Test func aBacklogAThrottledTenantARefusedKeyAndARebalanceShowInMetrics() async throws {
        let harness = try await PipelineHarness(partitions: 4, sandboxFaults: "faults:\n  latency: {min_ms: 1500, max_ms: 1500}")
        // t1 and t2: 30 jobs each behind 4 slots of 1.5 s; t3: one submission a minute after a burst
        // of 10, so 10 of its 20 wait throttled; "refused": a key mintfax answers 401.
        var jobs: [String] = []
        for index in 0..<30 {
            jobs.append(PipelineHarness.job(tenant: "t1", id: "m1-\(index)"))
            jobs.append(PipelineHarness.job(tenant: "t2", id: "m2-\(index)"))
        }
        jobs += (0..<20).map { PipelineHarness.job(tenant: "t3", id: "m3-\($0)") }
        jobs += (0..<2).map { PipelineHarness.job(tenant: "refused", id: "r-\($0)") }
        try await harness.produce(jobs)
        let port = freeLocalPort()
        let worker = try await harness.startWorker(
            tenants: 3,
            revoked: ["refused"],
            maxInFlight: 4,
            tenantExtras: ["t3": "rate_limit_per_minute: 1"],
            environment: ["FAXD_METRICS_LISTEN": "127.0.0.1:\(port)"]
        )
        let client = try HTTPClient()
        defer { client.shutdown() }

        var backlog: [String: Double] = [:]
        try await Eventually.wait(
            for: "the backlog and the throttled tenant in /metrics",
            timeout: .seconds(60),
            interval: .milliseconds(200)
        ) {
            backlog = await Self.scrape(client, port: port)
            return (backlog[#"faxd_tenant_jobs_count{tenant="t1",state="queued"}"#] ?? 0) > 0
                && backlog[#"faxd_tenant_throttled_state{tenant="t3"}"#] == 1
        }
        #expect(backlog[#"faxd_tenant_jobs_count{tenant="t1",state="in_flight"}"#].map { $0 <= 4 } == true)
        #expect(backlog[#"faxd_rebalances_total{kind="assigned"}"#].map { $0 >= 1 } == true)
        #expect(backlog["faxd_partitions_assigned_count"] == 4)
        // Hummingbird's own series, recorded through the swift-metrics facade: the earlier scrapes.
        #expect(
            (backlog[#"hb_requests{http_route="/metrics",http_request_method="GET",http_response_status_code="200"}"#] ?? 0) >= 1,
            "swift-metrics reaches /metrics"
        )
        #expect(backlog["faxd_ledger_partitions_restoring_count"] == 0, "jobs started, so every ledger was restored")
        let ages = backlog.filter { $0.key.hasPrefix("faxd_partition_oldest_unfinished_age_seconds{") }
        #expect(ages.count == 4, "one series per owned partition: \(ages)")
        #expect(ages.values.contains { $0 > 0 }, "a partition with jobs waiting has an oldest one: \(ages)")
        #expect((backlog[#"faxd_tenants_count{state="with_work"}"#] ?? 0) >= 3)

        // t3 stays held: a minute a token. Its first queued job ages while t1's and t2's finish; the
        // refused key's jobs are dead-lettered as unauthenticated.
        var held: [String: Double] = [:]
        try await Eventually.wait(for: "t1 and t2 done, t3 still throttled", timeout: .seconds(90), interval: .milliseconds(250)) {
            held = await Self.scrape(client, port: port)
            return held[#"faxd_tenant_jobs_count{tenant="t1",state="queued"}"#] == nil
                && held[#"faxd_tenant_jobs_count{tenant="t2",state="queued"}"#] == nil
                && held[#"faxd_dead_letters_total{code="unauthenticated"}"#] == 2
        }
        #expect(held[#"faxd_tenant_throttled_state{tenant="t3"}"#] == 1)
        #expect((held[#"faxd_tenant_jobs_count{tenant="t3",state="queued"}"#] ?? 0) >= 5)
        #expect((held[#"faxd_tenant_oldest_queued_age_seconds{tenant="t3"}"#] ?? 0) > 0)
        #expect(held[#"faxd_tenants_count{state="throttled"}"#] == 1)
        #expect(held[#"faxd_tenant_throttled_state{tenant="t1"}"#] == nil, "a tenant without work has no series")

        // A second worker joins: the first gives partitions up, and keeps series for its own only.
        _ = try await harness.startWorker(
            tenants: 3,
            revoked: ["refused"],
            maxInFlight: 4,
            tenantExtras: ["t3": "rate_limit_per_minute: 1"]
        )
        // Each scrape reads the assignment and the partitions' series a moment apart, so the check
        // waits for a scrape that shows both after the revoke; series of the partitions that left,
        // never removed, would keep it from coming.
        var after: [String: Double] = [:]
        try await Eventually.wait(
            for: "the first worker to give partitions up and report only its own",
            timeout: .seconds(90),
            interval: .milliseconds(250)
        ) {
            after = await Self.scrape(client, port: port)
            let owned = Int(after["faxd_partitions_assigned_count"] ?? 4)
            let series = after.keys.filter { $0.hasPrefix("faxd_partition_oldest_unfinished_age_seconds{") }.count
            return (after[#"faxd_rebalances_total{kind="revoked"}"#] ?? 0) >= 1 && owned < 4 && series == owned
        }
        #expect(worker.isRunning)
        await harness.stop()
    }
}

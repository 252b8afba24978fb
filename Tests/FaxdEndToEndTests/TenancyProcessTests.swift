import FaxdCore
import FaxdHTTP
import FaxdTestSupport
import Foundation
import Testing

/// Tenants onboarded through the tenants directory while a worker runs, and an unlisted tenant parked.
@Suite struct TenancyProcessTests {
    @Test func aThousandTenantFilesAddedWhileTheWorkerRunsAreSentWithoutARestartAndAnUnlistedTenantIsParked() async throws {
        let harness = try await PipelineHarness(partitions: 3)
        let tenantsDirectory = harness.directory.appendingPathComponent("tenants.d").path
        try FileManager.default.createDirectory(atPath: tenantsDirectory, withIntermediateDirectories: true)
        let port = freeLocalPort()
        let worker = try await harness.startWorker(
            tenants: 2,
            extraConfiguration: "tenants:\n  path: tenants.yaml\n  directory: tenants.d\n  watch_interval_seconds: 1\n",
            environment: ["FAXD_METRICS_LISTEN": "127.0.0.1:\(port)"]
        )
        let client = try HTTPClient()
        defer { client.shutdown() }
        func listed() async throws -> String? {
            let body = try await client.execute(HTTPRequest(method: .GET, url: "http://127.0.0.1:\(port)/metrics")).body
            return String(decoding: body, as: UTF8.self).split(separator: "\n").first { $0.hasPrefix("faxd_tenants_listed_count ") }.map(
                String.init
            )
        }
        try await Eventually.wait(for: "the worker's metrics") { (try? await listed()) == "faxd_tenants_listed_count 2.0" }

        for index in 0..<1_000 {
            try "id: d\(index)\napi_key: { env: E2E_MINTFAX_KEY }\nmax_in_flight: 2\n".write(
                toFile: tenantsDirectory + "/d\(index).yaml",
                atomically: true,
                encoding: .utf8
            )
        }
        try "id: broken\napi_key: mfx_test_inline\n".write(toFile: tenantsDirectory + "/broken.yaml", atomically: true, encoding: .utf8)
        // Timed from the last file written: the worker's part, not the test's 1,001 atomic writes
        // (seconds of their own when the whole suite shares two cores).
        let added = ContinuousClock.now
        try await Eventually.wait(for: "the new tenants", timeout: .seconds(30), interval: .milliseconds(100)) {
            try await listed() == "faxd_tenants_listed_count 1002.0"
        }
        let onboarding = ContinuousClock.now - added
        // A debug worker sharing two cores with the whole suite: 10.5–17.6 s were seen in full runs, under 10 s alone.
        #expect(onboarding < .seconds(20), "1,000 tenant files applied in \(onboarding)")

        let sent = stride(from: 0, to: 1_000, by: 20).map { (tenant: "d\($0)", id: "first") }
        try await harness.produce(
            (sent + [(tenant: "ghost", id: "unlisted"), (tenant: "broken", id: "skipped")]).map {
                PipelineHarness.job(tenant: $0.tenant, id: $0.id)
            }
        )
        let events = try await harness.statusEvents { events in
            let submitted = Set(events.filter { $0.type == .submitted }.map(\.tenantID))
            let parked = events.filter { $0.type == .deadLettered }.map(\.tenantID)
            return submitted.count == sent.count && parked.count == 2
        }
        let parked = events.filter { $0.type == .deadLettered }
        #expect(Set(parked.map(\.tenantID)) == ["ghost", "broken"])
        #expect(parked.allSatisfy { $0.error?.code == "unknown_tenant" })
        #expect(Set(events.filter { $0.type == .submitted }.map(\.tenantID)) == Set(sent.map(\.tenant)))
        let submissions = try await harness.sandboxSubmissions()
        #expect(submissions.count == sent.count, "the parked jobs reached no key")
        #expect(try await worker.stop() == 0)
        await harness.stop()
    }

    @Test func aRevokedSharedKeyParksTheJobsOfEverySharedTenantAfterOneRequest() async throws {
        let harness = try await PipelineHarness(partitions: 3)
        // One request at a time: the first 401 opens the shared key's circuit before any other shared job starts.
        let worker = try await harness.startWorker(
            tenants: 1,
            maxInFlight: 1,
            sharedWorkspace: """
                  - id: s0
                    shared: true
                shared_workspace:
                  api_key: { env: E2E_REVOKED_KEY }
                  members: ["s*"]

                """
        )
        let shared = (0..<5).flatMap { tenant in (0..<4).map { (tenant: "s\(tenant)", id: "j\($0)") } }
        let own = (0..<5).map { (tenant: "t1", id: "own-\($0)") }
        try await harness.produce((shared + own).map { PipelineHarness.job(tenant: $0.tenant, id: $0.id) })
        let events = try await harness.statusEvents { events in
            events.filter { $0.type == .deadLettered }.count == shared.count && events.filter { $0.type == .submitted }.count == own.count
        }
        let parked = events.filter { $0.type == .deadLettered }
        #expect(parked.allSatisfy { $0.error?.code == "unauthenticated" })
        let withoutRequest = parked.filter { $0.error?.message.hasPrefix("Not sent: the circuit") == true }
        #expect(withoutRequest.count == shared.count - 1, "only the first shared job reached mintfax")
        #expect(Set(withoutRequest.map(\.tenantID)).count >= 4, "the circuit parked other shared tenants' jobs, not only one tenant's")
        #expect(Set(events.filter { $0.type == .submitted }.map(\.tenantID)) == ["t1"], "a tenant with its own key is not parked")
        #expect(try await worker.stop() == 0)
        await harness.stop()
    }

    /// A PHI tenant's file removed while the worker runs: its later jobs are parked, not sent with
    /// the shared key that takes every other unlisted tenant (members ["*"]).
    @Test func aPHITenantRemovedFromTheDirectoryIsParkedAndNeverFallsToTheSharedKey() async throws {
        let harness = try await PipelineHarness(partitions: 2)
        let tenantsDirectory = harness.directory.appendingPathComponent("tenants.d").path
        try FileManager.default.createDirectory(atPath: tenantsDirectory, withIntermediateDirectories: true)
        let phiFile = tenantsDirectory + "/clinic.yaml"
        try "id: clinic\napi_key: { env: E2E_OTHER_KEY }\nphi: true\n".write(toFile: phiFile, atomically: true, encoding: .utf8)
        let port = freeLocalPort()
        let worker = try await harness.startWorker(
            tenants: 1,
            sharedWorkspace: "shared_workspace:\n  api_key: { env: E2E_MINTFAX_KEY }\n  members: [\"*\"]\n",
            extraConfiguration: "tenants:\n  path: tenants.yaml\n  directory: tenants.d\n  watch_interval_seconds: 1\n",
            environment: ["FAXD_METRICS_LISTEN": "127.0.0.1:\(port)"]
        )
        let client = try HTTPClient()
        defer { client.shutdown() }
        func listed() async -> String? {
            guard let body = try? await client.execute(HTTPRequest(method: .GET, url: "http://127.0.0.1:\(port)/metrics")).body else {
                return nil
            }
            return String(decoding: body, as: UTF8.self).split(separator: "\n").first { $0.hasPrefix("faxd_tenants_listed_count ") }.map(
                String.init
            )
        }
        try await Eventually.wait(for: "the PHI tenant listed") { await listed() == "faxd_tenants_listed_count 2.0" }
        try await harness.produce([PipelineHarness.job(tenant: "clinic", id: "before")])
        _ = try await harness.tallyUntilSubmitted([(tenant: "clinic", id: "before")])

        try FileManager.default.removeItem(atPath: phiFile)
        try await Eventually.wait(for: "the PHI tenant gone", timeout: .seconds(30)) { await listed() == "faxd_tenants_listed_count 1.0" }
        try await harness.produce([PipelineHarness.job(tenant: "clinic", id: "after"), PipelineHarness.job(tenant: "walk-in", id: "after")])
        let events = try await harness.statusEvents { events in
            events.contains { $0.tenantID == "clinic" && $0.jobID == "after" && $0.type == .deadLettered }
                && events.contains { $0.tenantID == "walk-in" && $0.type == .submitted }
        }
        #expect(
            events.first { $0.tenantID == "clinic" && $0.jobID == "after" && $0.type == .deadLettered }?.error?.code == "unknown_tenant"
        )
        #expect(!events.contains { $0.tenantID == "clinic" && $0.jobID == "after" && $0.type == .submitted })
        let keys = Set(try await harness.sandboxSubmissions().compactMap(\.key))
        #expect(
            !keys.contains(IdempotencyKey(tenantID: "clinic", jobID: "after").description),
            "the removed PHI tenant's job reached mintfax"
        )
        #expect(
            keys == [
                IdempotencyKey(tenantID: "clinic", jobID: "before").description,
                IdempotencyKey(tenantID: "walk-in", jobID: "after").description,
            ]
        )
        #expect(try await worker.stop() == 0)
        await harness.stop()
    }

    /// 20 tenants sharing one mintfax key limited to 120 requests a minute, on two workers: together
    /// they keep to the key's limit (each takes the part its partitions carry), and every job is sent.
    @Test func twentySharedTenantsOnTwoWorkersKeepToTheSharedKeysLimitAndEveryJobIsSent() async throws {
        let harness = try await PipelineHarness(partitions: 6, rateLimitPerMinute: 120)
        let shared = """
              - id: s0
                shared: true
            shared_workspace:
              api_key: { env: E2E_MINTFAX_KEY }
              rate_limit_per_minute: 120
              members: ["s*"]

            """
        let jobs = (0..<200).map { (tenant: "s\($0 % 20)", id: "shared-\($0)") }
        try await harness.produce(jobs.map { PipelineHarness.job(tenant: $0.tenant, id: $0.id) })
        let started = Date()
        for _ in 0..<2 { try await harness.startWorker(tenants: 1, otherKey: ["t1"], sharedWorkspace: shared) }
        _ = try await harness.tallyUntilSubmitted(jobs, timeout: .seconds(300))

        // Every request the sandbox received with the shared key, answered or refused.
        let client = try HTTPClient()
        defer { client.shutdown() }
        struct Entry: Decodable {
            var environment: String?
            var received_at: String
            var status: Int?
        }
        struct List: Decodable { var data: [Entry] }
        let body = try await client.execute(HTTPRequest(method: .GET, url: harness.sandboxURL + "/_sandbox/submissions")).body
        let requests = try JSONDecoder().decode(List.self, from: Data(body)).data.filter { $0.environment == "e2e" }
        let format = Date.ISO8601FormatStyle(includingFractionalSeconds: true)
        let times = try requests.map { try format.parse($0.received_at).timeIntervalSince(started) }.sorted()
        // The most requests in any sliding minute (the sandbox's own window), refused ones included.
        var busiest = 0
        var first = 0
        for (last, time) in times.enumerated() {
            while times[first] <= time - 60 { first += 1 }
            busiest = max(busiest, last - first + 1)
        }
        let refused = requests.filter { $0.status == 429 }.count
        print(
            "shared key: \(requests.count) requests for \(jobs.count) jobs in \(Int(times.last ?? 0)) s; busiest minute \(busiest) (limit 120); \(refused) answered 429"
        )
        #expect(requests.filter { $0.status == 201 }.count == jobs.count)
        #expect(busiest <= 132, "the pool sent \(busiest) requests in a minute against a limit of 120")
        #expect(refused <= 12, "\(refused) requests were refused for the rate limit")
        await harness.stop()
    }
}

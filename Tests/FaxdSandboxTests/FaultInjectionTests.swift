import FaxdHTTP
import FaxdSandbox
import FaxdTestSupport
import Foundation
import Testing

/// Server errors, dropped connections, rate-limit storms and latency, from the configuration and
/// from `POST /_sandbox/faults`.
@Suite struct FaultInjectionTests {
    @Test func aServerErrorShareOfOneAnswersEverySubmissionWith503AndCreatesNothing() async throws {
        let configuration = SandboxHarness.configuration {
            $0.faults = FaultConfiguration(serverErrorRate: 1, serverErrorStatuses: [503])
        }
        try await SandboxHarness.with(configuration) { sandbox in
            for index in 0..<10 {
                let response = try await sandbox.submit(to: "+15005550001", idempotencyKey: "key-\(index % 2)")
                #expect(response.status == 503)
                #expect(try SandboxHarness.error(response).code == "service_unavailable")
                #expect(response.headers["X-Request-Id"] != nil && response.headers["X-RateLimit-Limit"] != nil)
            }
            #expect(try await sandbox.introspect("faxes").isEmpty)
            #expect(try await sandbox.introspect("submissions").map { $0["status"] as? Int } == Array(repeating: 503, count: 10))
            let balance = try await sandbox.balance()
            #expect(balance.available == 5000 && balance.held == 0)
            // Other routes are not affected.
            #expect(try await sandbox.get("/v1/faxes").status == 200)
        }
    }

    @Test func aServerErrorShareIsDrawnFromTheSeededGenerator() async throws {
        func statuses() async throws -> [Int] {
            let configuration = SandboxHarness.configuration {
                $0.faults = FaultConfiguration(seed: 7, serverErrorRate: 0.5, serverErrorStatuses: [500, 503])
            }
            return try await SandboxHarness.with(configuration) { sandbox in
                var statuses: [Int] = []
                for _ in 0..<20 { statuses.append(try await sandbox.submit(to: "+15005550001").status) }
                return statuses
            }
        }
        let first = try await statuses()
        #expect(try await statuses() == first)
        #expect(first.contains(201) && first.contains { $0 >= 500 })
        #expect(Set(first).isSubset(of: [201, 500, 503]))
    }

    @Test func aDroppedConnectionIsATransportErrorForTheClient() async throws {
        let configuration = SandboxHarness.configuration { $0.faults = FaultConfiguration(dropConnectionRate: 1) }
        try await SandboxHarness.with(configuration) { sandbox in
            do {
                let response = try await sandbox.submit(to: "+15005550001")
                Issue.record("got an answer: \(response.status)")
            } catch let error as HTTPClientError {
                #expect(error.code == .transport, "\(error)")
            }
            #expect(try await sandbox.introspect("faxes").isEmpty)
            let submissions = try await sandbox.introspect("submissions")
            #expect(submissions.first?["outcome"] as? String == "dropped")
            #expect(submissions.first?["status"] is NSNull)
        }
    }

    @Test func aRateLimitStormHitsOneKeyWhileAnotherWorks() async throws {
        try await SandboxHarness.with { sandbox in
            let applied = try await sandbox.post(
                "/_sandbox/faults",
                key: nil,
                json: ["rate_limit_storms": [["environment": "globex", "seconds": 30]]]
            )
            #expect(applied.status == 200, "\(applied.bodyString)")
            let stormed = try await sandbox.submit(key: SandboxHarness.globexKey, to: "+15005550001")
            #expect(stormed.status == 429)
            #expect(try SandboxHarness.error(stormed).code == "rate_limit_exceeded")
            let retryAfter = try #require(Int(stormed.headers["Retry-After"] ?? ""))
            #expect((1...30).contains(retryAfter))
            #expect(stormed.headers["X-RateLimit-Remaining"] == "0")
            #expect(try await sandbox.get("/v1/environment/balance", key: SandboxHarness.globexKey).status == 429)
            #expect(try await sandbox.submit(to: "+15005550001").status == 201)

            let faults = try SandboxHarness.object(try await sandbox.get("/_sandbox/faults", key: nil))
            #expect((faults["rate_limit_storms"] as? [[String: Any]])?.first?["environment"] as? String == "globex")
            // Clearing the faults ends the storm.
            #expect(try await sandbox.post("/_sandbox/faults", key: nil, json: [String: Any]()).status == 200)
            #expect(try await sandbox.submit(key: SandboxHarness.globexKey, to: "+15005550001").status == 201)
        }
    }

    @Test func invalidFaultsAreRejectedAndTheOldOnesStay() async throws {
        try await SandboxHarness.with { sandbox in
            let unknown = try await sandbox.post(
                "/_sandbox/faults",
                key: nil,
                json: ["rate_limit_storms": [["environment": "nobody", "seconds": 5]]]
            )
            #expect(unknown.status == 422)
            #expect(try await sandbox.post("/_sandbox/faults", key: nil, json: ["server_error_rate": 2]).status == 422)
            #expect(try await sandbox.submit(to: "+15005550001").status == 201)
        }
    }

    @Test func latencyDelaysRequests() async throws {
        let configuration = SandboxHarness.configuration {
            $0.faults = FaultConfiguration(latency: .init(minMilliseconds: 200, maxMilliseconds: 250))
        }
        try await SandboxHarness.with(configuration) { sandbox in
            let clock = ContinuousClock()
            let elapsed = try await clock.measure { _ = try await sandbox.get("/v1/environment/balance") }
            #expect(elapsed >= .milliseconds(200))
        }
    }

    @Test func resetForgetsEverythingButTheConfiguration() async throws {
        try await SandboxHarness.with { sandbox in
            let created = try SandboxHarness.object(try await sandbox.submit(to: "+15005550001", idempotencyKey: "before-reset"))
            _ = try await sandbox.terminalFax(try #require(created["id"] as? String))
            #expect(try await sandbox.post("/_sandbox/reset", key: nil, json: nil).status == 200)
            #expect(try await sandbox.introspect("faxes").isEmpty)
            #expect(try await sandbox.introspect("submissions").isEmpty)
            let balance = try await sandbox.balance()
            #expect(balance.available == 5000 && balance.held == 0)
            let again = try await sandbox.submit(to: "+15005550001", idempotencyKey: "before-reset")
            #expect(again.status == 201 && again.headers["Idempotent-Replayed"] == nil)
        }
    }
}

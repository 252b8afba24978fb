import FaxdHTTP
import FaxdSandbox
import FaxdTestSupport
import Foundation
import Testing

/// The sliding one-minute window per key, and the `X-RateLimit-*` headers on every answer.
@Suite struct RateLimitTests {
    static func limited(_ limit: Int) -> SandboxConfiguration {
        SandboxHarness.configuration { $0.environments[0].rateLimitPerMinute = limit }
    }

    @Test func theSixthRequestInAMinuteGets429WithRetryAfter() async throws {
        let clock = TestClock()
        try await SandboxHarness.with(Self.limited(5), clock: clock.sandboxClock) { sandbox in
            var remaining: [String?] = []
            for _ in 0..<5 {
                let response = try await sandbox.submit(to: "+15005550001")
                #expect(response.status == 201)
                #expect(response.headers["X-RateLimit-Limit"] == "5")
                remaining.append(response.headers["X-RateLimit-Remaining"])
            }
            #expect(remaining == ["4", "3", "2", "1", "0"])
            clock.advance(by: 20)
            let rejected = try await sandbox.submit(to: "+15005550001")
            #expect(rejected.status == 429)
            let object = try SandboxHarness.object(rejected)
            #expect(object["error"] as? String == "rate_limit_exceeded")
            #expect(object["action"] as? String == "wait_and_retry")
            #expect(rejected.headers["Retry-After"] == "40")
            #expect(rejected.headers["X-RateLimit-Remaining"] == "0")
            #expect(rejected.headers["X-RateLimit-Reset"] == "40")
            // Any other route of the key is limited too; another key is not.
            #expect(try await sandbox.get("/v1/environment/balance").status == 429)
            #expect(try await sandbox.get("/v1/environment/balance", key: SandboxHarness.globexKey).status == 200)
            // The window slides: once the first five are a minute old, requests pass again.
            clock.advance(by: 40)
            let again = try await sandbox.submit(to: "+15005550001")
            #expect(again.status == 201)
            #expect(again.headers["X-RateLimit-Remaining"] == "4")
            #expect(try await sandbox.introspect("faxes").count == 6)
        }
    }

    @Test func everyAnswerCarriesRequestIDAndRateLimitHeaders() async throws {
        try await SandboxHarness.with(Self.limited(50)) { sandbox in
            let created = try await sandbox.submit(to: "+15005550001")
            let id = try #require(try SandboxHarness.object(created)["id"] as? String)
            let answers: [HTTPResponse] = [
                created,
                try await sandbox.submit(to: "+15005550006"),  // 402
                try await sandbox.submit(to: "nope"),  // 422
                try await sandbox.get("/v1/faxes/\(id)"),  // 200
                try await sandbox.get("/v1/faxes/fax_unknown"),  // 404
                try await sandbox.get("/v1/faxes"),  // 200 list
                try await sandbox.get("/v1/environment/balance"),  // 200
                try await sandbox.post("/v1/webhooks", json: ["url": "http://127.0.0.1:9/hooks"]),  // 201
                try await sandbox.get("/v1/faxes", key: nil),  // 401
                try await sandbox.get("/v1/faxes", key: "mfx_test_unknown0000000000000000"),  // 401
            ]
            #expect(answers.map(\.status) == [201, 402, 422, 200, 404, 200, 200, 201, 401, 401])
            for answer in answers {
                let requestID = try #require(answer.headers["X-Request-Id"])
                #expect(requestID.hasPrefix("req_") && requestID.count == 30)
                #expect(Int(answer.headers["X-RateLimit-Limit"] ?? "") != nil)
                #expect(Int(answer.headers["X-RateLimit-Remaining"] ?? "") != nil)
                #expect(Int(answer.headers["X-RateLimit-Reset"] ?? "") != nil)
                if answer.status >= 400 {
                    #expect(try SandboxHarness.object(answer)["request_id"] as? String == requestID)
                }
            }
            #expect(answers[0].headers["X-RateLimit-Limit"] == "50")
        }
    }
}

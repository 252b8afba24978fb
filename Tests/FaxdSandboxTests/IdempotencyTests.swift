import FaxdHTTP
import FaxdSandbox
import FaxdTestSupport
import Foundation
import Testing

/// `Idempotency-Key` over HTTP: replays, reuse, in-progress duplicates, expiry, non-2xx outcomes.
@Suite struct IdempotencyTests {
    @Test func aReplayReturnsTheOriginalAnswerWithReplayHeadersAndCreatesNothing() async throws {
        try await SandboxHarness.with { sandbox in
            let tags = [("tag[order]", "A-1")]
            let first = try await sandbox.submit(to: "+15005550001", fields: tags, idempotencyKey: "key-replay")
            #expect(first.status == 201)
            #expect(first.headers["X-Idempotency-Key"] == "key-replay")
            #expect(first.headers["Idempotent-Replayed"] == nil)
            let replay = try await sandbox.submit(to: "+15005550001", fields: tags, idempotencyKey: "key-replay")
            #expect(replay.status == 201)
            #expect(replay.body == first.body)
            #expect(replay.headers["X-Idempotency-Key"] == "key-replay")
            #expect(replay.headers["Idempotent-Replayed"] == "true")
            #expect(replay.headers["X-Request-Id"] != first.headers["X-Request-Id"])
            #expect(try SandboxHarness.object(replay)["id"] as? String == (try SandboxHarness.object(first)["id"] as? String))

            #expect(try await sandbox.introspect("faxes").count == 1)
            let submissions = try await sandbox.introspect("submissions")
            #expect(submissions.count == 2)
            #expect(submissions.map { $0["replayed"] as? Bool } == [false, true])
            #expect(Set(submissions.compactMap { $0["body_hash"] as? String }).count == 1)
            #expect(submissions.allSatisfy { $0["key_last4"] as? String == "0001" && $0["environment"] as? String == "acme" })
            // The key's environment holds it: another environment may use the same key.
            let other = try await sandbox.submit(
                key: SandboxHarness.globexKey,
                to: "+15005550001",
                fields: tags,
                idempotencyKey: "key-replay"
            )
            #expect(other.status == 201 && other.headers["Idempotent-Replayed"] == nil)
        }
    }

    @Test func theSameKeyWithADifferentRequestIsAReuseConflict() async throws {
        try await SandboxHarness.with { sandbox in
            #expect(try await sandbox.submit(to: "+15005550001", idempotencyKey: "key-reuse").status == 201)
            let otherRecipient = try await sandbox.submit(to: "+15005550002", idempotencyKey: "key-reuse")
            #expect(otherRecipient.status == 409)
            #expect(try SandboxHarness.error(otherRecipient).code == "idempotency_key_reuse")
            let otherFile = try await sandbox.submit(to: "+15005550001", file: Array("%PDF-1.4 other".utf8), idempotencyKey: "key-reuse")
            #expect(try SandboxHarness.error(otherFile).code == "idempotency_key_reuse")
            #expect(try await sandbox.introspect("faxes").count == 1)
        }
    }

    @Test func aDuplicateWhileTheFirstRequestRunsIsInProgress() async throws {
        let configuration = SandboxHarness.configuration {
            $0.faults = FaultConfiguration(latency: .init(minMilliseconds: 1500))
        }
        try await SandboxHarness.with(configuration) { sandbox in
            async let first = sandbox.submit(to: "+15005550001", idempotencyKey: "key-slow")
            async let second = sandbox.submit(to: "+15005550001", idempotencyKey: "key-slow")
            let statuses = try await [first, second]
            #expect(statuses.map(\.status).sorted() == [201, 409])
            let conflict = try #require(statuses.first { $0.status == 409 })
            #expect(try SandboxHarness.error(conflict).code == "idempotency_key_in_progress")
            #expect(try await sandbox.introspect("faxes").count == 1)
            // Once the first has finished, the duplicate is a replay.
            let later = try await sandbox.submit(to: "+15005550001", idempotencyKey: "key-slow")
            #expect(later.status == 201 && later.headers["Idempotent-Replayed"] == "true")
        }
    }

    @Test func keysExpireAfterTwentyFourHours() async throws {
        let clock = TestClock()
        try await SandboxHarness.with(SandboxHarness.configuration(), clock: clock.sandboxClock) { sandbox in
            let first = try await sandbox.submit(to: "+15005550001", idempotencyKey: "key-day")
            clock.advance(by: 24 * 60 * 60 - 1)
            let replay = try await sandbox.submit(to: "+15005550001", idempotencyKey: "key-day")
            #expect(replay.headers["Idempotent-Replayed"] == "true")
            clock.advance(by: 2)
            let fresh = try await sandbox.submit(to: "+15005550001", idempotencyKey: "key-day")
            #expect(fresh.status == 201 && fresh.headers["Idempotent-Replayed"] == nil)
            #expect(try SandboxHarness.object(fresh)["id"] as? String != (try SandboxHarness.object(first)["id"] as? String))
            #expect(try await sandbox.introspect("faxes").count == 2)
        }
    }

    @Test func onlySuccessfulAnswersAreStored() async throws {
        try await SandboxHarness.with { sandbox in
            let rejected = try await sandbox.submit(to: "+15005550006", idempotencyKey: "key-fix")
            #expect(rejected.status == 402)
            let corrected = try await sandbox.submit(to: "+15005550001", idempotencyKey: "key-fix")
            #expect(corrected.status == 201 && corrected.headers["Idempotent-Replayed"] == nil)
            let invalid = try await sandbox.submit(to: "+15005550001", fields: [("max_attempts", "9")], idempotencyKey: "key-invalid")
            #expect(invalid.status == 422)
            #expect(try await sandbox.submit(to: "+15005550001", idempotencyKey: "key-invalid").status == 201)
        }
    }

    @Test func keysLongerThan255CharactersAreRejected() async throws {
        try await SandboxHarness.with { sandbox in
            let response = try await sandbox.submit(to: "+15005550001", idempotencyKey: String(repeating: "k", count: 256))
            #expect(response.status == 422)
            #expect(try SandboxHarness.error(response).errors.keys.contains("idempotency_key"))
            #expect(try await sandbox.submit(to: "+15005550001", idempotencyKey: String(repeating: "k", count: 255)).status == 201)
        }
    }

    @Test func resendIsIdempotentToo() async throws {
        try await SandboxHarness.with { sandbox in
            let original = try SandboxHarness.object(try await sandbox.submit(to: "+15005550001"))
            let id = try #require(original["id"] as? String)
            let first = try await sandbox.post("/v1/faxes/\(id)/resend", json: ["max_attempts": 2], idempotencyKey: "resend-1")
            #expect(first.status == 201)
            let replay = try await sandbox.post("/v1/faxes/\(id)/resend", json: ["max_attempts": 2], idempotencyKey: "resend-1")
            #expect(replay.headers["Idempotent-Replayed"] == "true" && replay.body == first.body)
            let reuse = try await sandbox.post("/v1/faxes/\(id)/resend", json: ["max_attempts": 3], idempotencyKey: "resend-1")
            #expect(try SandboxHarness.error(reuse).code == "idempotency_key_reuse")
            #expect(try await sandbox.introspect("faxes").count == 2)
        }
    }
}

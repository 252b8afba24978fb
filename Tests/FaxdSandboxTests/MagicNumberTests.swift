import FaxdHTTP
import FaxdSandbox
import FaxdTestSupport
import Foundation
import Testing

/// Every magic number of API.md §8.2 (and an ordinary number) through the whole lifecycle: the
/// answer, the final fax, the webhook events received and the balance effect.
@Suite struct MagicNumberTests {
    struct Scenario: Sendable, CustomTestStringConvertible {
        let to: String
        /// `delivered`, `failed`, or `nil` for a rejection.
        let finalStatus: String?
        let rejection: (status: Int, code: String)?
        let attempts: Int
        let pages: Int?
        let errorCode: String?
        let attemptErrors: [String?]
        /// Cents taken from the balance in the end (6 per page).
        let charged: Int

        var testDescription: String { to }

        var events: [String: Int] {
            guard let finalStatus else { return [:] }
            return ["fax.queued": 1, "fax.sending": attempts, "fax.\(finalStatus)": 1]
        }
    }

    static let scenarios: [Scenario] = [
        Scenario(
            to: "+15005550001",
            finalStatus: "delivered",
            rejection: nil,
            attempts: 1,
            pages: 1,
            errorCode: nil,
            attemptErrors: [nil],
            charged: 6
        ),
        Scenario(
            to: "+15005550002",
            finalStatus: "failed",
            rejection: nil,
            attempts: 3,
            pages: 1,
            errorCode: "busy",
            attemptErrors: ["busy", "busy", "busy"],
            charged: 0
        ),
        Scenario(
            to: "+15005550003",
            finalStatus: "failed",
            rejection: nil,
            attempts: 3,
            pages: 1,
            errorCode: "no_answer",
            attemptErrors: ["no_answer", "no_answer", "no_answer"],
            charged: 0
        ),
        Scenario(
            to: "+15005550004",
            finalStatus: "delivered",
            rejection: nil,
            attempts: 2,
            pages: 1,
            errorCode: nil,
            attemptErrors: ["no_answer", nil],
            charged: 6
        ),
        Scenario(
            to: "+15005550005",
            finalStatus: "failed",
            rejection: nil,
            attempts: 3,
            pages: 1,
            errorCode: "line_quality",
            attemptErrors: ["line_quality", "line_quality", "line_quality"],
            charged: 0
        ),
        Scenario(
            to: "+15005550006",
            finalStatus: nil,
            rejection: (402, "insufficient_balance"),
            attempts: 0,
            pages: nil,
            errorCode: nil,
            attemptErrors: [],
            charged: 0
        ),
        Scenario(
            to: "+15005550007",
            finalStatus: "delivered",
            rejection: nil,
            attempts: 1,
            pages: 3,
            errorCode: nil,
            attemptErrors: [nil],
            charged: 18
        ),
        Scenario(
            to: "+15005550008",
            finalStatus: "failed",
            rejection: nil,
            attempts: 1,
            pages: 1,
            errorCode: "invalid_number",
            attemptErrors: ["invalid_number"],
            charged: 0
        ),
        Scenario(
            to: "+15005550099",
            finalStatus: nil,
            rejection: (422, "validation_failed"),
            attempts: 0,
            pages: nil,
            errorCode: nil,
            attemptErrors: [],
            charged: 0
        ),
        Scenario(
            to: "+12125551234",
            finalStatus: "delivered",
            rejection: nil,
            attempts: 1,
            pages: 1,
            errorCode: nil,
            attemptErrors: [nil],
            charged: 6
        ),
    ]

    @Test(arguments: scenarios)
    func magicNumberRunsItsScenario(_ scenario: Scenario) async throws {
        try await WebhookReceiver.withReceiver { receiver in
            let configuration = SandboxHarness.configuration { configuration in
                configuration.environments[0].webhookEndpoints = [WebhookEndpointConfiguration(url: receiver.url("/hooks/acme"))]
            }
            try await SandboxHarness.with(configuration) { sandbox in
                let before = try await sandbox.balance()
                #expect(before.available == 5000 && before.held == 0)

                let response = try await sandbox.submit(to: scenario.to, fields: [("max_attempts", "3")])
                if let rejection = scenario.rejection {
                    #expect(response.status == rejection.status)
                    let error = try SandboxHarness.error(response)
                    #expect(error.code == rejection.code)
                    if rejection.status == 422 { #expect(error.errors.keys.contains("to")) }
                    if rejection.status == 402 {
                        let object = try SandboxHarness.object(response)
                        #expect(object["action"] as? String == "top_up_balance")
                        let context = try #require(object["context"] as? [String: Any])
                        #expect(context["available"] as? Int == 5000 && context["required"] as? Int == 6)
                    }
                    #expect(try await sandbox.introspect("faxes").isEmpty)
                    let after = try await sandbox.balance()
                    #expect(after.available == 5000 && after.held == 0)
                    #expect(receiver.deliveries.isEmpty)
                    return
                }

                #expect(response.status == 201, "\(response.bodyString)")
                let created = try SandboxHarness.object(response)
                #expect(created["status"] as? String == "queued")
                let id = try #require(created["id"] as? String)
                #expect(id.hasPrefix("fax_") && id.count == 26)

                let fax = try await sandbox.terminalFax(id)
                #expect(fax["status"] as? String == scenario.finalStatus)
                #expect(fax["pages"] as? Int == scenario.pages)
                #expect((fax["error_code"] as? String) == scenario.errorCode)
                let attempts = try #require(fax["attempts"] as? [[String: Any]])
                #expect(attempts.count == scenario.attempts)
                #expect(attempts.map { $0["error_code"] as? String } == scenario.attemptErrors)
                #expect(attempts.map { $0["attempt_number"] as? Int } == Array(1...scenario.attempts))
                #expect(attempts.allSatisfy { $0["completed_at"] is String && $0["duration_ms"] is Int })
                #expect(fax["completed_at"] is String && fax["submitted_at"] is String)

                let expected = scenario.events
                try await Eventually.wait(
                    for: "\(expected.values.reduce(0, +)) webhook events",
                    timeout: .seconds(20),
                    interval: .milliseconds(10)
                ) {
                    receiver.deliveries.count >= expected.values.reduce(0, +)
                }
                let envelopes = try receiver.deliveries.map {
                    try JSONSerialization.jsonObject(with: Data($0.body)) as? [String: Any] ?? [:]
                }
                var counts: [String: Int] = [:]
                for envelope in envelopes { counts[envelope["type"] as? String ?? "?", default: 0] += 1 }
                #expect(counts == expected)
                for envelope in envelopes {
                    let object = try #require((envelope["data"] as? [String: Any])?["object"] as? [String: Any])
                    #expect(object["id"] as? String == id)
                    #expect((envelope["id"] as? String)?.hasPrefix("evt_") == true)
                    #expect(envelope["created"] is Int)
                    // A `fax.sending` snapshot carries the attempt just started, not yet completed.
                    if envelope["type"] as? String == "fax.sending" {
                        let sendingAttempts = try #require(object["attempts"] as? [[String: Any]])
                        #expect(sendingAttempts.last?["completed_at"] is NSNull)
                        #expect(object["status"] as? String == "in_progress")
                    }
                }

                let after = try await sandbox.balance()
                #expect(after.available == 5000 - scenario.charged && after.held == 0)
            }
        }
    }

    @Test func aHoldIsPlacedAtSubmissionAndCapturedPerPageOnDelivery() async throws {
        // Half a second per step: the fax stays in flight long enough to see the hold.
        try await SandboxHarness.with(SandboxHarness.configuration(timeScale: 0.5)) { sandbox in
            let response = try await sandbox.submit(to: "+15005550007")
            let id = try #require(try SandboxHarness.object(response)["id"] as? String)
            let during = try await sandbox.balance()
            #expect(during.available == 4994 && during.held == 6)
            #expect(try await sandbox.terminalFax(id)["status"] as? String == "delivered")
            let after = try await sandbox.balance()
            #expect(after.available == 4982 && after.held == 0)
        }
    }

    @Test func anEnvironmentThatCannotCoverTheHoldGets402AndNothingIsCreated() async throws {
        let configuration = SandboxHarness.configuration { $0.environments[0].balanceCents = 5 }
        try await SandboxHarness.with(configuration) { sandbox in
            let response = try await sandbox.submit(to: "+15005550001")
            #expect(response.status == 402)
            let object = try SandboxHarness.object(response)
            #expect(object["error"] as? String == "insufficient_balance")
            let context = try #require(object["context"] as? [String: Any])
            #expect(context["available"] as? Int == 5 && context["required"] as? Int == 6)
            #expect(try await sandbox.introspect("faxes").isEmpty)
        }
    }

    @Test func maxAttemptsBoundsTheRetriesOfABusyLine() async throws {
        try await SandboxHarness.with { sandbox in
            let response = try await sandbox.submit(to: "+15005550002", fields: [("max_attempts", "5")])
            let fax = try await sandbox.terminalFax(try #require(try SandboxHarness.object(response)["id"] as? String))
            #expect((fax["attempts"] as? [Any])?.count == 5)
            #expect(fax["max_attempts"] as? Int == 5)
            let single = try await sandbox.submit(to: "+15005550004", fields: [("max_attempts", "1")])
            let failed = try await sandbox.terminalFax(try #require(try SandboxHarness.object(single)["id"] as? String))
            #expect(failed["status"] as? String == "failed" && failed["error_code"] as? String == "no_answer")
        }
    }
}

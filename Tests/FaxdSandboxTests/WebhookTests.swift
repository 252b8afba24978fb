import FaxdHTTP
import FaxdMintfax
import FaxdSandbox
import FaxdTestSupport
import Foundation
import Testing

/// Signed webhook deliveries, checked with our own ``WebhookVerifier``.
@Suite struct WebhookTests {
    static let acmeSecret = SandboxConfiguration.demoEnvironments[0].webhookSecret

    static func verify(_ delivery: WebhookReceiver.Delivery, secret: WebhookSecret, now: Date = Date()) throws {
        try WebhookVerifier(secrets: [secret], now: { now }).verify(
            id: delivery.headers["webhook-id"],
            timestamp: delivery.headers["webhook-timestamp"],
            signature: delivery.headers["webhook-signature"],
            body: delivery.body
        )
    }

    static func envelope(_ delivery: WebhookReceiver.Delivery) throws -> [String: Any] {
        try #require(try JSONSerialization.jsonObject(with: Data(delivery.body)) as? [String: Any])
    }

    @Test func configuredEndpointsGetDeliveriesSignedWithTheirSecret() async throws {
        let own = WebhookSecretFixture.secret
        try await WebhookReceiver.withReceiver { receiver in
            let configuration = SandboxHarness.configuration {
                $0.environments[0].webhookEndpoints = [
                    WebhookEndpointConfiguration(url: receiver.url("/env-secret")),
                    WebhookEndpointConfiguration(url: receiver.url("/own-secret"), secret: own, events: ["fax.delivered"]),
                ]
            }
            try await SandboxHarness.with(configuration) { sandbox in
                _ = try await sandbox.submit(to: "+15005550001")
                try await Eventually.wait(for: "4 deliveries", interval: .milliseconds(10)) { receiver.deliveries.count >= 4 }
                let deliveries = receiver.deliveries
                #expect(deliveries.filter { $0.path == "/env-secret" }.count == 3)
                #expect(deliveries.filter { $0.path == "/own-secret" }.count == 1)
                for delivery in deliveries {
                    let secret = delivery.path == "/own-secret" ? own : Self.acmeSecret
                    try Self.verify(delivery, secret: secret)
                    let other = delivery.path == "/own-secret" ? Self.acmeSecret : own
                    #expect(throws: WebhookVerificationError.self) { try Self.verify(delivery, secret: other) }
                    #expect(delivery.headers["webhook-id"] == (try Self.envelope(delivery)["id"] as? String))
                    #expect(delivery.headers["webhook-signature"]?.hasPrefix("v1,") == true)
                    #expect(delivery.headers["content-type"] == "application/json")
                }
                #expect(try Self.envelope(deliveries.first { $0.path == "/own-secret" }!)["type"] as? String == "fax.delivered")
            }
        }
    }

    @Test func endpointsRegisteredOverTheAPIShowTheirSecretOnceAndSignWithIt() async throws {
        try await WebhookReceiver.withReceiver { receiver in
            try await SandboxHarness.with { sandbox in
                let response = try await sandbox.post(
                    "/v1/webhooks",
                    json: ["url": receiver.url("/registered"), "events": ["fax.failed"], "description": "failures only"]
                )
                #expect(response.status == 201, "\(response.bodyString)")
                let object = try SandboxHarness.object(response)
                let data = try #require(object["data"] as? [String: Any])
                #expect((data["id"] as? String)?.hasPrefix("webhook_") == true)
                #expect(data["url"] as? String == receiver.url("/registered"))
                #expect(data["is_active"] as? Bool == true)
                #expect(data["events"] as? [String] == ["fax.failed"])
                #expect(data["description"] as? String == "failures only")
                #expect(data["created_at"] is String && data["updated_at"] is String)
                let encodedSecret = try #require(object["signing_secret"] as? String)
                let secret = try #require(WebhookSecret(encodedSecret))

                _ = try await sandbox.submit(to: "+15005550001")
                _ = try await sandbox.submit(to: "+15005550008")
                try await Eventually.wait(for: "the fax.failed delivery", interval: .milliseconds(10)) { !receiver.deliveries.isEmpty }
                let faxes = try await sandbox.introspect("faxes")
                for fax in faxes { _ = try await sandbox.terminalFax(try #require(fax["id"] as? String)) }
                // Both faxes are terminal; only the failure was subscribed.
                try await Eventually.wait(for: "deliveries recorded", interval: .milliseconds(10)) {
                    try await sandbox.introspect("webhook-deliveries").count >= 1
                }
                #expect(receiver.deliveries.count == 1)
                let delivery = try #require(receiver.deliveries.first)
                try Self.verify(delivery, secret: secret)
                #expect(try Self.envelope(delivery)["type"] as? String == "fax.failed")

                let invalid = try await sandbox.post("/v1/webhooks", json: ["url": "not a url", "events": ["fax.exploded"]])
                #expect(invalid.status == 422)
                #expect(Set(try SandboxHarness.error(invalid).errors.keys) == ["url", "events"])
            }
        }
    }

    @Test(arguments: [SandboxConfiguration.FaxWebhookURLMode.override, .supplement])
    func aFaxsOwnWebhookURLIsSignedWithTheEnvironmentSecret(_ mode: SandboxConfiguration.FaxWebhookURLMode) async throws {
        try await WebhookReceiver.withReceiver { receiver in
            let configuration = SandboxHarness.configuration {
                $0.faxWebhookURLMode = mode
                $0.environments[0].webhookEndpoints = [WebhookEndpointConfiguration(url: receiver.url("/registered"))]
            }
            try await SandboxHarness.with(configuration) { sandbox in
                _ = try await sandbox.submit(to: "+15005550001", fields: [("webhook_url", receiver.url("/per-fax"))])
                let expected = mode == .override ? 3 : 6
                try await Eventually.wait(for: "\(expected) deliveries", interval: .milliseconds(10)) {
                    receiver.deliveries.count >= expected
                }
                let deliveries = receiver.deliveries
                #expect(deliveries.filter { $0.path == "/per-fax" }.count == 3)
                #expect(deliveries.filter { $0.path == "/registered" }.count == (mode == .override ? 0 : 3))
                for delivery in deliveries { try Self.verify(delivery, secret: Self.acmeSecret) }
            }
        }
    }

    @Test func aFailedDeliveryIsRetriedWithTheSameIDAndAFreshTimestamp() async throws {
        let clock = TestClock()
        try await WebhookReceiver.withReceiver(failFirst: 1) { receiver in
            // 50 ms per step: the first retry comes 0.5 s after the failure.
            let configuration = SandboxHarness.configuration(timeScale: 0.05) {
                $0.environments[0].webhookEndpoints = [WebhookEndpointConfiguration(url: receiver.url("/flaky"), events: ["fax.queued"])]
            }
            try await SandboxHarness.with(configuration, clock: clock.sandboxClock) { sandbox in
                _ = try await sandbox.submit(to: "+15005550001")
                try await Eventually.wait(for: "the first delivery", interval: .milliseconds(5)) { !receiver.deliveries.isEmpty }
                let firstSeenAt = clock.now
                clock.advance(by: 30)
                try await Eventually.wait(for: "the redelivery", interval: .milliseconds(10)) { receiver.deliveries.count >= 2 }
                let (first, second) = (receiver.deliveries[0], receiver.deliveries[1])
                #expect(first.answeredStatus == 500 && second.answeredStatus == 204)
                #expect(first.headers["webhook-id"] == second.headers["webhook-id"])
                #expect(first.body == second.body)
                let firstTimestamp = try #require(Int(first.headers["webhook-timestamp"] ?? ""))
                let secondTimestamp = try #require(Int(second.headers["webhook-timestamp"] ?? ""))
                #expect(secondTimestamp - firstTimestamp >= 30)
                #expect(first.headers["webhook-signature"] != second.headers["webhook-signature"])
                try Self.verify(first, secret: Self.acmeSecret, now: firstSeenAt)
                try Self.verify(second, secret: Self.acmeSecret, now: clock.now)

                // The sandbox records an attempt once the receiver's answer is back, after the receiver saw it.
                try await Eventually.wait(for: "both attempts recorded", interval: .milliseconds(10)) {
                    try await sandbox.introspect("webhook-deliveries").count == 2
                }
                let attempts = try await sandbox.introspect("webhook-deliveries")
                #expect(attempts.map { $0["attempt"] as? Int } == [1, 2])
                #expect(attempts.map { $0["outcome"] as? String } == ["failed", "succeeded"])
                #expect(attempts.map { $0["response_status"] as? Int } == [500, 204])
                #expect(Set(attempts.compactMap { $0["event_id"] as? String }) == [first.headers["webhook-id"]!])
            }
        }
    }

    @Test func deliveriesToAnUnreachableURLAreRecordedAsTransportFailures() async throws {
        let port = closedLocalPort()
        let configuration = SandboxHarness.configuration(timeScale: 0.0001) {
            $0.environments[0].webhookEndpoints = [
                WebhookEndpointConfiguration(url: "http://127.0.0.1:\(port)/gone", events: ["fax.queued"])
            ]
        }
        try await SandboxHarness.with(configuration) { sandbox in
            _ = try await sandbox.submit(to: "+15005550001")
            // 0, 1 ms, 10 ms and 102 ms at this scale: all four attempts, then it gives up.
            try await Eventually.wait(for: "four attempts", interval: .milliseconds(10)) {
                try await sandbox.introspect("webhook-deliveries").count == 4
            }
            let attempts = try await sandbox.introspect("webhook-deliveries")
            #expect(attempts.allSatisfy { $0["response_status"] is NSNull && $0["error"] as? String == "connect" })
        }
    }
}

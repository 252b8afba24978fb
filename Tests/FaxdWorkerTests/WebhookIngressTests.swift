import FaxdCore
import FaxdHTTP
import FaxdKafka
import FaxdMintfax
import FaxdTestSupport
import FaxdWorker
import Foundation
import Logging
import Prometheus
import Synchronization
import Testing

/// `faxd webhooks` in process (the same ingress the worker serves) against the mock cluster, over real
/// HTTP with Standard Webhooks signatures: what is refused publishes nothing, what is repeated
/// publishes once, and 2xx comes only after Kafka acknowledged.
@Suite struct WebhookIngressTests {
    static let acmeOld = WebhookSecret("whsec_YWNtZS1vbGQtc2VjcmV0LTAwMDAwMDAx")!
    static let acmeNew = WebhookSecret("whsec_YWNtZS1uZXctc2VjcmV0LTAwMDAwMDAy")!
    static let globex = WebhookSecret("whsec_Z2xvYmV4LXNlY3JldC0wMDAwMDAwMDAz")!
    static let shared = WebhookSecret("whsec_c2hhcmVkLXNlY3JldC0wMDAwMDAwMDA0")!

    /// Runs an ingress with tenants acme (two secrets: a rotation), globex, a tenant without a
    /// secret, and a shared workspace; hands `body` a client for it.
    static func withIngress(maxBodyBytes: Int = 64 * 1024, _ body: (Ingress) async throws -> Void) async throws {
        let logger = KafkaFixtures.logger("test.webhooks")
        let cluster = try MockKafkaCluster(brokers: 1, logger: logger)
        let topics = TopicNames()
        for topic in topics.all { try cluster.createTopic(topic, partitions: 1) }
        var configuration = WorkerConfiguration()
        configuration.kafka.bootstrapServers = cluster.bootstrapServers
        configuration.kafka.groupID = UniqueName.make("webhooks")
        configuration.metrics.listen = "127.0.0.1:0"
        configuration.webhooks.listen = "127.0.0.1:0"
        configuration.webhooks.maxBodyBytes = maxBodyBytes
        let tenants = try TenantDirectory(
            tenants: TenantsConfiguration(
                tenants: [
                    .init(
                        id: "acme",
                        apiKey: .environment("KEY"),
                        webhookSecret: SecretReferences([.environment("ACME_OLD"), .environment("ACME_NEW")])
                    ),
                    .init(id: "globex", apiKey: .environment("KEY"), webhookSecret: SecretReferences([.environment("GLOBEX")])),
                    .init(id: "nosecret", apiKey: .environment("KEY")),
                ],
                sharedWorkspace: .init(
                    apiKey: .environment("KEY"),
                    webhookSecret: SecretReferences([.environment("SHARED")]),
                    members: ["small-*"]
                )
            ),
            environment: [
                "KEY": "mfx_test_webhooks00000000000000001", "ACME_OLD": acmeOld.encoded, "ACME_NEW": acmeNew.encoded,
                "GLOBEX": globex.encoded, "SHARED": shared.encoded,
            ],
            mintfaxEnvironment: "sandbox"
        )
        let server = try WebhookServer(
            configuration: configuration,
            tenants: tenants,
            metrics: WorkerMetrics(registry: PrometheusCollectorRegistry()),
            logger: logger
        )
        // Both listeners on ports the kernel picks: a port chosen beforehand could be taken by a
        // parallel test's server, which would then answer this test's /readyz.
        let (ports, portContinuation) = AsyncStream.makeStream(of: (listener: String, port: Int).self)
        let running = Task { try await server.run { portContinuation.yield(($0, $1)) } }
        var bound: [String: Int] = [:]
        for await (listener, port) in ports {
            bound[listener] = port
            if bound.count == 2 { break }
        }
        let port = try #require(bound["webhooks.listen"])
        let adminPort = try #require(bound["metrics.listen"])
        let http = try HTTPClient()
        let ingress = Ingress(baseURL: "http://127.0.0.1:\(port)", http: http, cluster: cluster, topics: topics, logger: logger)
        do {
            try await Eventually.wait(for: "the ingress to have read the result topics") {
                try await http.execute(HTTPRequest(method: .GET, url: "http://127.0.0.1:\(adminPort)/readyz")).status == 200
            }
            try await body(ingress)
        } catch {
            running.cancel()
            throw error
        }
        running.cancel()
        try await running.value
        http.shutdown()
        await cluster.shutdown()
    }

    /// A client of the running ingress, and a reader of what it published.
    struct Ingress {
        let baseURL: String
        let http: HTTPClient
        let cluster: MockKafkaCluster
        let topics: TopicNames
        let logger: Logger

        /// POSTs `body` to `path`, signed with `secrets` (every one a token of the signature header) and
        /// stamped `clockSkew` seconds away from now.
        func deliver(
            _ body: [UInt8],
            to path: String = "/webhooks/mintfax/acme",
            id: String = "evt_1",
            signedWith secrets: [WebhookSecret] = [acmeNew],
            clockSkew: Int = 0
        ) async throws -> Int {
            let timestamp = Int(Date().timeIntervalSince1970) + clockSkew
            let signature = secrets.map { WebhookSigner(secret: $0).sign(id: id, timestamp: timestamp, body: body) }.joined(separator: " ")
            let request = HTTPRequest(
                method: .POST,
                url: baseURL + path,
                headers: HTTPHeaders([
                    ("Content-Type", "application/json"), ("webhook-id", id), ("webhook-timestamp", String(timestamp)),
                    ("webhook-signature", signature),
                ]),
                body: body
            )
            return try await http.execute(request).status
        }

        /// Every record on `topic` (one partition), read to its high watermark.
        func records(_ topic: String) async throws -> [KafkaRecord] {
            let admin = try KafkaAdmin(configuration: .init(bootstrapServers: cluster.bootstrapServers), logger: logger)
            let high = try await admin.watermarks(KafkaTopicPartition(topic: topic, partition: 0)).high
            await admin.close()
            guard high > 0 else { return [] }
            let consumer = try KafkaConsumer(
                configuration: KafkaFixtures.consumerConfiguration(
                    bootstrapServers: cluster.bootstrapServers,
                    groupID: UniqueName.make("read")
                ),
                logger: logger
            )
            try consumer.subscribe(topics: [topic])
            var collected: [KafkaRecord] = []
            for try await record in consumer.records {
                collected.append(record)
                if record.offset + 1 >= high { break }
            }
            try await consumer.close()
            return collected
        }

        func statusEvents() async throws -> [StatusEvent] {
            try await records(topics.status).map { try JSONDecoder().decode(StatusEvent.self, from: Data($0.value)) }
        }

        func usageEvents() async throws -> [UsageEvent] {
            try await records(topics.usage).map { try JSONDecoder().decode(UsageEvent.self, from: Data($0.value)) }
        }
    }

    /// A `fax.*` delivery body about `job` of `tenant` (fax `faxID`) in `status` after `attempts`.
    static func event(
        _ type: String = "fax.queued",
        status: String = "queued",
        attempts: Int = 0,
        tenant: String = "acme",
        job: String = "inv-1",
        faxID: String = "fax_ingress000000000000001",
        pages: Int = 2
    ) -> [UInt8] {
        let attemptList = (0..<attempts).map { n in
            #"{"attempt_number":\#(n + 1),"started_at":"2026-11-27T10:3\#(n + 1):00Z","completed_at":null,"duration_ms":null,"error_code":null,"error_subcode":null,"error_message":null}"#
        }
        let terminal = status == "delivered" || status == "failed"
        return Array(
            #"""
            {"id":"evt_x","type":"\#(type)","created":1795775405,"data":{"object":{"id":"\#(faxID)","status":"\#(status)","to":"+15005550001",
            "pages":\#(pages),"error_code":null,"error_subcode":null,"error_message":null,"max_attempts":3,"attempts":[\#(attemptList.joined(separator: ","))],
            "webhook_url":null,"idempotency_key":null,"tags":{"faxd_tenant":"\#(tenant)","faxd_job":"\#(job)"},"csid":null,
            "submitted_at":null,"completed_at":\#(terminal ? "\"2026-11-27T10:40:00Z\"" : "null"),"created_at":"2026-11-27T10:30:05Z","updated_at":"2026-11-27T10:30:05Z"}}}
            """#.utf8
        )
    }

    @Test func everyRefusalIsA4xxAndPublishesNothing() async throws {
        try await Self.withIngress(maxBodyBytes: 4096) { (ingress: Ingress) async throws in
            let body = Self.event()
            let forged = WebhookSecret(keyBytes: Array(repeating: 7, count: 24))
            #expect(try await ingress.deliver(body, id: "evt_forged", signedWith: [forged]) == 401)
            #expect(try await ingress.deliver(body, id: "evt_other", signedWith: [Self.globex]) == 401, "another tenant's secret")
            #expect(try await ingress.deliver(body, id: "evt_stale", clockSkew: -360) == 401)
            #expect(try await ingress.deliver(body, id: "evt_future", clockSkew: 360) == 401)
            #expect(try await ingress.deliver(body, to: "/webhooks/mintfax/nosecret", id: "evt_nosecret") == 401)
            #expect(
                try await ingress.deliver(body, to: "/webhooks/mintfax", id: "evt_acme_shared", signedWith: [Self.shared]) == 200,
                "acme is not a shared-workspace tenant: ignored"
            )
            let unsigned = HTTPRequest(method: .POST, url: ingress.baseURL + "/webhooks/mintfax/acme", body: body)
            #expect(try await ingress.http.execute(unsigned).status == 401)
            let oversized = Array(repeating: UInt8(ascii: " "), count: 5000) + body
            #expect(try await ingress.deliver(oversized, id: "evt_big") == 413)
            #expect(try await ingress.statusEvents().isEmpty)
            #expect(try await ingress.usageEvents().isEmpty)

            // The same body, properly signed, is accepted: the refusals were about the signatures.
            #expect(try await ingress.deliver(body, id: "evt_good") == 200)
            let published = try await ingress.statusEvents()
            #expect(published.map(\.type) == [.queued])
            #expect(published.first?.source == .webhook && published.first?.tenantID == "acme")
        }
    }

    @Test func theSameEventDeliveredThreeTimesIsPublishedOnce() async throws {
        try await Self.withIngress { (ingress: Ingress) async throws in
            let delivered = Self.event("fax.delivered", status: "delivered", attempts: 1, pages: 3)
            for _ in 0..<3 {
                #expect(try await ingress.deliver(delivered, id: "evt_delivered") == 200)
            }
            // A different delivery of facts already published (an earlier event arriving late) adds nothing.
            #expect(try await ingress.deliver(Self.event("fax.sending", status: "in_progress", attempts: 1), id: "evt_sending") == 200)
            let status = try await ingress.statusEvents()
            #expect(status.map(\.type) == [.queued, .sending, .delivered])
            #expect(Set(status.map(\.eventID)).count == 3)
            let usage = try await ingress.usageEvents()
            #expect(usage.map(\.type) == [.capture] && usage.first?.pages == 3)
        }
    }

    /// mintfax's deliveries race: a fax's events and their redeliveries arrive at once. Each fact is
    /// published once and in the fax's order, and every delivery is answered (none waits forever on
    /// another's publication): 200, or 503 when Kafka's acknowledgement took longer than the ingress
    /// waits (a loaded machine), which mintfax retries — as the test does — until it is 200.
    @Test func concurrentDeliveriesOfOneFaxPublishEachFactOnceInOrder() async throws {
        try await Self.withIngress { (ingress: Ingress) async throws in
            let bodies = [
                Self.event(), Self.event("fax.sending", status: "in_progress", attempts: 1),
                Self.event("fax.sending", status: "in_progress", attempts: 2),
                Self.event("fax.failed", status: "failed", attempts: 2),
            ]
            let answers = try await withThrowingTaskGroup(of: [Int].self) { group in
                for copy in 0..<5 {
                    for (index, body) in bodies.enumerated() {
                        group.addTask {
                            var answers = [try await ingress.deliver(body, id: "evt_\(index)_\(copy)")]
                            while answers.last == 503, answers.count < 5 {
                                answers.append(try await ingress.deliver(body, id: "evt_\(index)_\(copy)"))
                            }
                            return answers
                        }
                    }
                }
                return try await group.reduce(into: [[Int]]()) { $0.append($1) }
            }
            #expect(answers.count == 20 && answers.allSatisfy { $0.last == 200 && $0.dropLast().allSatisfy { $0 == 503 } }, "\(answers)")
            let status = try await ingress.statusEvents()
            #expect(status.map(\.type) == [.queued, .sending, .sending, .failed])
            #expect(status.filter { $0.type == .sending }.map(\.attempt) == [1, 2])
            #expect(try await ingress.usageEvents().map(\.type) == [.release])
        }
    }

    @Test func bothSecretsOfARotationAreAccepted() async throws {
        try await Self.withIngress { (ingress: Ingress) async throws in
            #expect(try await ingress.deliver(Self.event(job: "a"), id: "evt_a", signedWith: [Self.acmeOld]) == 200)
            #expect(try await ingress.deliver(Self.event(job: "b", faxID: "fax_b"), id: "evt_b", signedWith: [Self.acmeNew]) == 200)
            #expect(
                try await ingress.deliver(Self.event(job: "c", faxID: "fax_c"), id: "evt_c", signedWith: [Self.globex, Self.acmeOld]) == 200
            )
            #expect(try await ingress.statusEvents().map(\.jobID) == ["a", "b", "c"])
        }
    }

    @Test func aRouteSpeaksOnlyForItsTenant() async throws {
        try await Self.withIngress { (ingress: Ingress) async throws in
            // Properly signed for globex, but about an acme job: acknowledged, nothing published.
            #expect(
                try await ingress.deliver(
                    Self.event(tenant: "acme"),
                    to: "/webhooks/mintfax/globex",
                    id: "evt_cross",
                    signedWith: [Self.globex]
                ) == 200
            )
            // An unlisted member's job on the shared route, signed with the shared secret, is published;
            // a tenant the shared workspace does not name is not.
            #expect(
                try await ingress.deliver(
                    Self.event(tenant: "small-co", job: "s-1"),
                    to: "/webhooks/mintfax",
                    id: "evt_shared",
                    signedWith: [Self.shared]
                ) == 200
            )
            #expect(
                try await ingress.deliver(
                    Self.event(tenant: "stranger", job: "x-1"),
                    to: "/webhooks/mintfax",
                    id: "evt_stranger",
                    signedWith: [Self.shared]
                ) == 200
            )
            // Not a fax faxd sent (no faxd tags): acknowledged, nothing published.
            let foreign = Array(String(decoding: Self.event(), as: UTF8.self).replacingOccurrences(of: "faxd_tenant", with: "team").utf8)
            #expect(try await ingress.deliver(foreign, id: "evt_foreign") == 200)
            #expect(try await ingress.statusEvents().map { "\($0.tenantID)/\($0.jobID)" } == ["small-co/s-1"])
        }
    }

    @Test func withoutKafkasAcknowledgementTheAnswerIs503AndTheRetryPublishesOnce() async throws {
        try await Self.withIngress { (ingress: Ingress) async throws in
            #expect(try await ingress.deliver(Self.event(job: "warm-up", faxID: "fax_w"), id: "evt_w") == 200)
            try ingress.cluster.setBrokerDown(ingress.cluster.brokerIDs[0])
            let failed = Self.event("fax.failed", status: "failed", attempts: 2)
            #expect(try await ingress.deliver(failed, id: "evt_failed") == 503)
            try ingress.cluster.setBrokerUp(ingress.cluster.brokerIDs[0])
            // mintfax retries with a fresh timestamp until a 2xx.
            var answer = 0
            for _ in 0..<30 where answer != 200 {
                answer = try await ingress.deliver(failed, id: "evt_failed")
                if answer != 200 { try await Task.sleep(for: .seconds(1)) }
            }
            #expect(answer == 200)
            let status = try await ingress.statusEvents().filter { $0.jobID == "inv-1" }
            #expect(status.map(\.type) == [.queued, .sending, .sending, .failed])
            #expect(try await ingress.usageEvents().map(\.type) == [.release])
        }
    }
}

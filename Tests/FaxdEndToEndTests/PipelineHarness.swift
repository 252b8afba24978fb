import FaxdCore
import FaxdHTTP
import FaxdKafka
import FaxdTestSupport
import Foundation
import Synchronization
import Testing

/// `faxd broker`, `faxd sandbox` and `faxd worker`s as separate processes, with kcat as the producer:
/// the whole pipeline, nothing faked. The processes are terminated when the harness is released,
/// also when a test fails early; `stop()` ends them gracefully and removes the files.
final class PipelineHarness {
    static let apiKey = "mfx_test_e2e000000000000000000001"
    /// The key of a second sandbox workspace, for tenants whose circuit must not be the others'.
    static let otherKey = "mfx_test_e2e000000000000000000002"
    /// A well-formed key the sandbox does not know: mintfax answers 401.
    static let revokedKey = "mfx_test_revoked00000000000000001"
    /// The sandbox environment's webhook signing secret (every tenant's, here).
    static let webhookSecret = "whsec_ZTJlLXdlYmhvb2stc2VjcmV0LTAwMDAwMQ"
    let directory: URL
    let broker: ManagedProcess
    let sandbox: ManagedProcess
    let bootstrap: String
    let sandboxURL: String
    let groupID = UniqueName.make("workers")
    private(set) var workers: [ManagedProcess] = []
    /// Each worker's `/metrics` URL.
    private var metrics: [(worker: ManagedProcess, url: String)] = []
    /// The `to` of every job this harness produced (and the default one), for `checkNothingLeaked`.
    private let recipients = Mutex<Set<String>>(["+12125550100"])

    /// Starts the broker (`brokers` of them; faxd's topics and `extraTopics`) and a sandbox with two fast, generous
    /// environments (`rateLimitPerMinute` limits the first, `apiKey`'s).
    /// - Parameter zeroFootprint: the sandbox environment keeps nothing of finished faxes but id,
    ///   status and timestamps (API.md §10.2).
    ///   `zeroFootprintGraceSeconds` how long a finished fax stays whole.
    init(
        partitions: Int = 6,
        brokers: Int = 1,
        sandboxTimeScale: Double = 0.001,
        sandboxFaults: String = "",
        zeroFootprint: Bool = false,
        zeroFootprintGraceSeconds: Double = 0,
        extraTopics: [String] = [],
        rateLimitPerMinute: Int = 1_000_000
    ) async throws {
        directory = FileManager.default.temporaryDirectory.appendingPathComponent(UniqueName.make("faxd-e2e"))
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        broker = try ManagedProcess(
            ManagedProcess.faxdExecutable,
            ["broker", "--brokers", String(brokers), "--partitions", String(partitions)]
                + (TopicNames().all + extraTopics).flatMap { ["--topic", $0] }
        )
        bootstrap = try await broker.firstLines(1)[0]
        let sandboxConfig = directory.appendingPathComponent("sandbox.yaml")
        try """
        host: 127.0.0.1
        port: 0
        time_scale: \(sandboxTimeScale)
        environments:
        \([("e2e", Self.apiKey, rateLimitPerMinute), ("e2e-other", Self.otherKey, 1_000_000)].map { name, key, rate in
                """
                  - name: \(name)
                    api_key: \(key)
                    balance_cents: 100000000
                    rate_limit_per_minute: \(rate)
                    webhook_secret: \(Self.webhookSecret)
                    zero_footprint: \(zeroFootprint)
                    zero_footprint_grace_seconds: \(zeroFootprintGraceSeconds)
                """
            }.joined(separator: "\n"))
        \(sandboxFaults)
        """.write(to: sandboxConfig, atomically: true, encoding: .utf8)
        sandbox = try ManagedProcess(ManagedProcess.faxdExecutable, ["sandbox", "--config", sandboxConfig.path])
        sandboxURL = try await sandbox.firstLines(1)[0]
    }

    /// Writes the worker's configuration (tenants `t1`…`t<tenants>` share the sandbox key and webhook
    /// secret; `otherKey` tenants send with a second workspace's key instead, so a circuit opened for
    /// them is not the others'; `revoked` tenants hold a key the sandbox refuses; `tenantExtras` adds YAML lines to a
    /// tenant; `sharedWorkspace` is appended to the tenants file) and starts it. `extraConfiguration` is appended to `faxd.yaml` (whole sections);
    /// `environment` adds variables (`FAXD_…` overrides).
    @discardableResult
    func startWorker(
        tenants: Int = 5,
        otherKey: [String] = [],
        revoked: [String] = [],
        requestTimeoutMS: Int = 5000,
        maxInFlight: Int = 32,
        tenantExtras: [String: String] = [:],
        sharedWorkspace: String = "",
        extraConfiguration: String = "",
        environment: [String: String] = [:]
    ) async throws -> ManagedProcess {
        let config = try writeConfiguration(
            tenants: tenants,
            otherKey: otherKey,
            revoked: revoked,
            requestTimeoutMS: requestTimeoutMS,
            maxInFlight: maxInFlight,
            tenantExtras: tenantExtras,
            sharedWorkspace: sharedWorkspace,
            extraConfiguration: extraConfiguration
        )
        // Every worker's /metrics on a port of its own, read for the leak scan at `stop()`.
        var environment = environment
        let metricsListen = environment["FAXD_METRICS_LISTEN"] ?? "127.0.0.1:\(freeLocalPort())"
        environment["FAXD_METRICS_LISTEN"] = metricsListen
        let worker = try ManagedProcess(
            ManagedProcess.faxdExecutable,
            ["worker", "--config", config.path],
            environment: processEnvironment.merging(environment) { _, new in new }
        )
        workers.append(worker)
        metrics.append((worker, "http://\(metricsListen)/metrics"))
        return worker
    }

    /// `faxd webhooks` with its webhook listener on `port`, with the configuration the workers have;
    /// returns once it listens.
    func startWebhooks(port: Int) async throws -> ManagedProcess {
        let webhooks = try ManagedProcess(
            ManagedProcess.faxdExecutable,
            ["webhooks", "--config", directory.appendingPathComponent("faxd.yaml").path],
            environment: processEnvironment.merging(["FAXD_WEBHOOKS_LISTEN": "127.0.0.1:\(port)"]) { _, new in new }
        )
        _ = try await webhooks.firstLines(1)
        workers.append(webhooks)
        return webhooks
    }

    private var processEnvironment: [String: String] {
        [
            "FAXD_WEBHOOKS_LISTEN": "127.0.0.1:0", "E2E_MINTFAX_KEY": Self.apiKey, "E2E_OTHER_KEY": Self.otherKey,
            "E2E_REVOKED_KEY": Self.revokedKey, "E2E_WEBHOOK_SECRET": Self.webhookSecret, "FAXD_LOG_LEVEL": "error",
        ]
    }

    private func writeConfiguration(
        tenants: Int,
        otherKey: [String],
        revoked: [String],
        requestTimeoutMS: Int,
        maxInFlight: Int,
        tenantExtras: [String: String],
        sharedWorkspace: String,
        extraConfiguration: String
    ) throws -> URL {
        func tenant(_ id: String, key: String) -> String {
            "  - id: \(id)\n    api_key: { env: \(key) }\n    webhook_secret: { env: E2E_WEBHOOK_SECRET }\n"
                + (tenantExtras[id].map { "    \($0)\n" } ?? "")
        }
        let tenantsYAML =
            "tenants:\n"
            + (1...tenants).map { tenant("t\($0)", key: otherKey.contains("t\($0)") ? "E2E_OTHER_KEY" : "E2E_MINTFAX_KEY") }.joined()
            + revoked.map { tenant($0, key: "E2E_REVOKED_KEY") }.joined() + sharedWorkspace
        try tenantsYAML.write(to: directory.appendingPathComponent("tenants.yaml"), atomically: true, encoding: .utf8)
        let config = directory.appendingPathComponent("faxd.yaml")
        try """
        kafka:
          bootstrap_servers: \(bootstrap)
          group_id: \(groupID)
          properties:
            max.poll.interval.ms: "6000"
            session.timeout.ms: "6000"
            heartbeat.interval.ms: "500"
        mintfax:
          base_url: \(sandboxURL)/v1
          environment: sandbox
          request_timeout_ms: \(requestTimeoutMS)
        dispatch:
          max_in_flight: \(maxInFlight)
          max_in_flight_per_tenant: 8
          rate_limit_per_minute: 1000000
          drain_timeout_seconds: 5
          shutdown_timeout_seconds: 20
        metrics:
          listen: 127.0.0.1:0
        \(extraConfiguration)
        """.write(to: config, atomically: true, encoding: .utf8)
        return config
    }

    /// Produces `lines` (`key<TAB>value`) to the jobs topic with kcat, partitioning as producers
    /// should (murmur2, like faxd's own producers and Kafka's Java client), or with librdkafka's
    /// `partitioner` (nil: its default, CRC32 of the key); every record carries `headers` (kcat `-H`).
    func produce(
        _ lines: [String],
        topic: String = "fax.jobs",
        partitioner: String? = "murmur2_random",
        headers: [(name: String, value: String)] = []
    ) async throws {
        noteRecipients(lines)
        let kcat = try ManagedProcess(
            ManagedProcess.kcat,
            ["-P", "-b", bootstrap, "-t", topic, "-K", "\t"] + (partitioner.map { ["-X", "partitioner=\($0)"] } ?? [])
                + headers.flatMap { ["-H", "\($0.name)=\($0.value)"] }
        )
        try kcat.send(stdin: Data((lines.joined(separator: "\n") + "\n").utf8))
        guard try await kcat.waitForExit() == 0 else { throw ManagedProcess.ProcessFailure(description: "kcat: \(kcat.standardError)") }
    }

    /// Reads `topic` from the beginning in a fresh group until `done` (shown each record once) says
    /// enough, or `timeout`. - Returns: the records read.
    func read(
        _ topic: String,
        timeout: Duration = .seconds(180),
        until done: @escaping @Sendable (KafkaRecord) -> Bool
    ) async throws -> [KafkaRecord] {
        let consumer = try KafkaConsumer(
            configuration: KafkaFixtures.consumerConfiguration(bootstrapServers: bootstrap, groupID: UniqueName.make("reader")),
            logger: KafkaFixtures.logger("test.e2e.reader")
        )
        try consumer.subscribe(topics: [topic])
        let deadline = ContinuousClock.now.advanced(by: timeout)
        let reader = Task {
            var collected: [KafkaRecord] = []
            for try await record in consumer.records {
                collected.append(record)
                if done(record) { break }
            }
            return collected
        }
        let watchdog = Task {
            try? await Task.sleep(until: deadline, clock: .continuous)
            reader.cancel()
        }
        let records = (try? await reader.value) ?? []
        watchdog.cancel()
        try await consumer.close()
        return records
    }

    /// Every record on `topic`, read from the beginning to the high watermarks as they are now.
    func readAll(_ topic: String, timeout: Duration = .seconds(60)) async throws -> [KafkaRecord] {
        // Assigned partitions from their low watermarks, no group: a group member that loses its
        // session reads some partitions again, and a count of records read then ends too early
        // (soak run 10's checker missed 517 jobs' final events so).
        let reader = try await KafkaTopicSnapshotReader(
            topic: topic,
            configuration: .init(bootstrapServers: bootstrap),
            idleTimeout: timeout,
            logger: KafkaFixtures.logger("test.e2e.reader")
        )
        var records: [KafkaRecord] = []
        try await reader.read { records.append($0) }
        return records
    }

    /// Posts `json` to the sandbox's test-only `/_sandbox/<path>` (`faults`, `expire-idempotency-keys`).
    func sandboxControl(_ path: String, json: String = "{}") async throws {
        let client = try HTTPClient()
        defer { client.shutdown() }
        let response = try await client.execute(
            HTTPRequest(
                method: .POST,
                url: sandboxURL + "/_sandbox/" + path,
                headers: ["Content-Type": "application/json"],
                body: Array(json.utf8)
            )
        )
        guard response.status == 200 else { throw ManagedProcess.ProcessFailure(description: "sandbox \(path): HTTP \(response.status)") }
    }

    /// Runs `faxd <arguments> --brokers <bootstrap>` (replay, redrive) to its end.
    func runFaxd(_ arguments: [String]) async throws {
        let process = try ManagedProcess(ManagedProcess.faxdExecutable, arguments + ["--brokers", bootstrap])
        guard try await process.waitForExit() == 0 else {
            throw ManagedProcess.ProcessFailure(description: "faxd \(arguments): \(process.standardError)")
        }
    }

    /// Reads `fax.status` from the beginning until every job of `jobs` has `fax.submitted`, or
    /// `timeout`. - Returns: what was read, per job.
    func tallyUntilSubmitted(_ jobs: [(tenant: String, id: String)], timeout: Duration = .seconds(180)) async throws -> StatusTally {
        let expected = Set(jobs.map { "\($0.tenant)/\($0.id)" })
        let tally = StatusTally()
        _ = try await read("fax.status", timeout: timeout) { record in
            tally.add(record)
            return tally.submitted.isSuperset(of: expected)
        }
        return tally
    }

    /// The status events on `fax.status` once `done` holds for them (read from the beginning).
    func statusEvents(until done: @escaping @Sendable ([StatusEvent]) -> Bool) async throws -> [StatusEvent] {
        let events = Mutex<[StatusEvent]>([])
        _ = try await read("fax.status", timeout: .seconds(120)) { record in
            guard let event = try? JSONDecoder().decode(StatusEvent.self, from: Data(record.value)) else { return false }
            return events.withLock { events in
                events.append(event)
                return done(events)
            }
        }
        return events.withLock { $0 }
    }

    /// The sandbox's faxes (introspection) as `(idempotency key, status, pages)`.
    func sandboxFaxStates() async throws -> [(key: String, status: String, pages: Int?)] {
        let client = try HTTPClient()
        defer { client.shutdown() }
        let response = try await client.execute(HTTPRequest(method: .GET, url: sandboxURL + "/_sandbox/faxes"))
        struct Entry: Decodable {
            var idempotency_key: String?
            var status: String
            var pages: Int?
        }
        struct List: Decodable { var data: [Entry] }
        return try JSONDecoder().decode(List.self, from: Data(response.body)).data.map { ($0.idempotency_key ?? "", $0.status, $0.pages) }
    }

    /// `faxd usage report --format json` over the broker's `fax.usage`: its record counts and totals.
    func usageReport() async throws -> (records: [String: Int], totals: [String: Int]) {
        let process = try ManagedProcess(ManagedProcess.faxdExecutable, ["usage", "report", "--format", "json", "--brokers", bootstrap])
        guard try await process.waitForExit() == 0 else {
            throw ManagedProcess.ProcessFailure(description: "faxd usage report: \(process.standardError)")
        }
        struct Report: Decodable {
            var records: [String: Int]
            var totals: [String: Int]
        }
        let report = try JSONDecoder().decode(Report.self, from: Data(process.outputLines.joined(separator: "\n").utf8))
        return (report.records, report.totals)
    }

    /// The sandbox's webhook delivery attempts (introspection), as `(fax id, attempt, outcome)`.
    func webhookDeliveries() async throws -> [(faxID: String, attempt: Int, outcome: String)] {
        let client = try HTTPClient()
        defer { client.shutdown() }
        let response = try await client.execute(HTTPRequest(method: .GET, url: sandboxURL + "/_sandbox/webhook-deliveries"))
        struct Entry: Decodable {
            var fax_id: String
            var attempt: Int
            var outcome: String
        }
        struct List: Decodable { var data: [Entry] }
        return try JSONDecoder().decode(List.self, from: Data(response.body)).data.map { ($0.fax_id, $0.attempt, $0.outcome) }
    }

    /// The `POST /v1/faxes` requests the sandbox received (introspection), as `(idempotency key,
    /// replayed, answer status)`.
    func sandboxSubmissions() async throws -> [(key: String?, replayed: Bool, status: Int?)] {
        let client = try Self.listingClient()
        defer { client.shutdown() }
        let response = try await client.execute(HTTPRequest(method: .GET, url: sandboxURL + "/_sandbox/submissions"))
        struct Entry: Decodable {
            var idempotency_key: String?
            var replayed: Bool
            var status: Int?
        }
        struct List: Decodable { var data: [Entry] }
        return try JSONDecoder().decode(List.self, from: Data(response.body)).data.map { ($0.idempotency_key, $0.replayed, $0.status) }
    }

    /// The sandbox's faxes (introspection), as `(idempotency key, tags)`.
    /// A client for the sandbox's whole listings: a soak's 100,000 faxes are some 100 MB of JSON,
    /// past the default 16 MiB and 30 s (the first 100,000-job soak to reach its checker stopped there).
    private static func listingClient() throws -> HTTPClient {
        try HTTPClient(configuration: HTTPClientConfiguration(totalTimeout: .seconds(600), maxResponseBodyBytes: 1 << 30))
    }

    func sandboxFaxes() async throws -> [(key: String, tags: [String: String])] {
        let client = try Self.listingClient()
        defer { client.shutdown() }
        let response = try await client.execute(HTTPRequest(method: .GET, url: sandboxURL + "/_sandbox/faxes"))
        struct Entry: Decodable {
            var idempotency_key: String?
            var tags: [String: String]?
        }
        struct List: Decodable { var data: [Entry] }
        let list = try JSONDecoder().decode(List.self, from: Data(response.body))
        return list.data.map { ($0.idempotency_key ?? "", $0.tags ?? [:]) }
    }

    func stop() async {
        let exposition = await scrapeMetrics()
        for worker in workers { _ = try? await worker.stop(timeout: .seconds(30)) }
        // The run's events, read once for both uses.
        var events: [(kind: String, values: [String])] = []
        for (topic, kind) in [("fax.status", "status"), ("fax.usage", "usage")] {
            events.append((kind, ((try? await readAll(topic)) ?? []).map { String(decoding: $0.value, as: UTF8.self) }))
        }
        keep(events)
        await checkNothingLeaked(events, metrics: exposition)
        _ = try? await sandbox.stop()
        _ = try? await broker.stop()
        try? FileManager.default.removeItem(at: directory)
    }

    /// The `/metrics` exposition of every worker still running, for the leak scan.
    private func scrapeMetrics() async -> [(name: String, text: String)] {
        guard let client = try? HTTPClient() else { return [] }
        defer { client.shutdown() }
        var exposition: [(name: String, text: String)] = []
        for (index, entry) in metrics.enumerated() where entry.worker.isRunning {
            guard let response = try? await client.execute(HTTPRequest(method: .GET, url: entry.url), timeout: .seconds(5)) else {
                continue
            }
            exposition.append(("worker \(index + 1)'s /metrics", String(decoding: response.body, as: UTF8.self)))
        }
        return exposition
    }

    /// What must never leave faxd in the clear (DESIGN §1): the keys and the webhook secret the
    /// tenants use, the recipients of the jobs produced, and the documents' bytes.
    private var secrets: [(what: String, text: String)] {
        let pdf = Data("%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n".utf8)
        return [
            ("an API key", Self.apiKey), ("an API key", Self.otherKey), ("an API key", Self.revokedKey),
            ("the webhook secret", Self.webhookSecret), ("the webhook secret", String(Self.webhookSecret.dropFirst("whsec_".count))),
            ("document bytes", pdf.base64EncodedString()), ("document bytes", "%PDF-1.4"),
        ]
            + recipients.withLock { $0 }.sorted().map { ("a recipient number", $0) }
    }

    /// Scans what this run's faxd processes wrote (stdout, stderr: every log line), its status and
    /// usage `events`, the dead letters' faxd headers and the workers' `metrics` for `secrets`,
    /// recording an issue for each hit.
    private func checkNothingLeaked(_ events: [(kind: String, values: [String])], metrics: [(name: String, text: String)]) async {
        var sources: [(name: String, text: String)] = workers.enumerated().map {
            ("faxd process \($0.offset + 1)'s output", $0.element.standardError + $0.element.outputLines.joined(separator: "\n"))
        }
        sources += metrics
        sources += events.map { ("the \($0.kind) events", $0.values.joined(separator: "\n")) }
        let deadLetters = (try? await readAll("fax.jobs.dlq")) ?? []
        sources.append(
            (
                "the dead letters' headers",
                deadLetters.flatMap {
                    $0.headers.filter { $0.name.hasPrefix("faxd.") }.map { String(decoding: $0.value ?? [], as: UTF8.self) }
                }.joined(separator: "\n")
            )
        )
        for source in sources {
            for secret in secrets where source.text.contains(secret.text) {
                Issue.record("\(source.name) contains \(secret.what) in the clear")
            }
        }
    }

    /// Writes the run's status and usage `events`, a JSON value per line, to
    /// `$FAXD_E2E_EVENTS_DIR/<group>.{status,usage}.jsonl` when that is set: `make test` validates them
    /// against `schema/` afterwards (`schema/validate_events.py`).
    private func keep(_ events: [(kind: String, values: [String])]) {
        guard let directory = ProcessInfo.processInfo.environment["FAXD_E2E_EVENTS_DIR"] else { return }
        try? FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        for (kind, values) in events where !values.isEmpty {
            try? values.map { $0 + "\n" }.joined().write(toFile: "\(directory)/\(groupID).\(kind).jsonl", atomically: true, encoding: .utf8)
        }
    }

    /// Remembers the recipients of jobs produced some other way than `produce` (a Swift producer).
    func noteRecipients(_ values: [String]) {
        let numbers = values.flatMap { $0.matches(of: #/"to":"(\+[0-9]+)"/#).map { String($0.output.1) } }
        recipients.withLock { $0.formUnion(numbers) }
    }

    /// A valid job with a small inline PDF.
    static func job(tenant: String, id: String, to: String = "+12125550100") -> String {
        let pdf = Data("%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n".utf8).base64EncodedString()
        return
            "\(tenant)\t{\"job_id\":\"\(id)\",\"tenant_id\":\"\(tenant)\",\"to\":\"\(to)\",\"document\":{\"content_base64\":\"\(pdf)\",\"filename\":\"\(id).pdf\"}}"
    }

    /// Malformed records of several kinds, each with a key.
    static func malformed(_ index: Int) -> String {
        switch index % 5 {
        case 0: "t1\tnot json at all \(index)"
        case 1: "t2\t[\"an\", \"array\", \(index)]"
        case 2: "t3\t{\"job_id\":\"bad-\(index)\",\"tenant_id\":\"t3\",\"document\":{\"url\":\"https://x.example/a.pdf\"}}"
        case 3:
            "t4\t{\"job_id\":\"bad-\(index)\",\"tenant_id\":\"t4\",\"to\":\"12125550100\",\"document\":{\"url\":\"https://x.example/a.pdf\"}}"
        default:
            "t5\t{\"job_id\":\"bad-\(index)\",\"tenant_id\":\"t1\",\"to\":\"+12125550100\",\"document\":{\"url\":\"https://x.example/a.pdf\"}}"
        }
    }
}

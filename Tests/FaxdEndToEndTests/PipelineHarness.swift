import FaxdCore
import FaxdHTTP
import FaxdKafka
import FaxdTestSupport
import Foundation

/// `faxd broker`, `faxd sandbox` and `faxd worker`s as separate processes, with kcat as the producer:
/// the whole pipeline, nothing faked. The processes are terminated when the harness is released,
/// also when a test fails early; `stop()` ends them gracefully and removes the files.
final class PipelineHarness {
    static let apiKey = "mfx_test_e2e000000000000000000001"
    /// A well-formed key the sandbox does not know: mintfax answers 401.
    static let revokedKey = "mfx_test_revoked00000000000000001"
    let directory: URL
    let broker: ManagedProcess
    let sandbox: ManagedProcess
    let bootstrap: String
    let sandboxURL: String
    let groupID = UniqueName.make("workers")
    private(set) var workers: [ManagedProcess] = []

    /// Starts the broker and a sandbox with one fast, generous environment.
    init(partitions: Int = 6, sandboxFaults: String = "") async throws {
        directory = FileManager.default.temporaryDirectory.appendingPathComponent(UniqueName.make("faxd-e2e"))
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        broker = try ManagedProcess(ManagedProcess.faxdExecutable, ["broker", "--brokers", "1", "--partitions", String(partitions)])
        bootstrap = try await broker.firstLines(1)[0]
        let sandboxConfig = directory.appendingPathComponent("sandbox.yaml")
        try """
            host: 127.0.0.1
            port: 0
            time_scale: 0.001
            environments:
              - name: e2e
                api_key: \(Self.apiKey)
                balance_cents: 100000000
                rate_limit_per_minute: 1000000
            \(sandboxFaults)
            """.write(to: sandboxConfig, atomically: true, encoding: .utf8)
        sandbox = try ManagedProcess(ManagedProcess.faxdExecutable, ["sandbox", "--config", sandboxConfig.path])
        sandboxURL = try await sandbox.firstLines(1)[0]
    }

    /// Writes the worker's configuration (tenants `t1`…`t<tenants>` share the sandbox key; `revoked`
    /// tenants hold a key the sandbox refuses) and starts it.
    @discardableResult
    func startWorker(
        tenants: Int = 5, revoked: [String] = [], requestTimeoutMS: Int = 5000, maxInFlight: Int = 32
    ) async throws -> ManagedProcess {
        let tenantsYAML = "tenants:\n" + (1...tenants).map { "  - id: t\($0)\n    api_key: { env: E2E_MINTFAX_KEY }\n" }.joined()
            + revoked.map { "  - id: \($0)\n    api_key: { env: E2E_REVOKED_KEY }\n" }.joined()
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
            """.write(to: config, atomically: true, encoding: .utf8)
        let worker = try ManagedProcess(
            ManagedProcess.faxdExecutable, ["worker", "--config", config.path],
            environment: ["E2E_MINTFAX_KEY": Self.apiKey, "E2E_REVOKED_KEY": Self.revokedKey, "FAXD_LOG_LEVEL": "error"])
        workers.append(worker)
        return worker
    }

    /// Produces `lines` (`key<TAB>value`) to the jobs topic with kcat.
    func produce(_ lines: [String], topic: String = "fax.jobs") async throws {
        let kcat = try ManagedProcess(ManagedProcess.kcat, ["-P", "-b", bootstrap, "-t", topic, "-K", "\t"])
        try kcat.send(stdin: Data((lines.joined(separator: "\n") + "\n").utf8))
        guard try await kcat.waitForExit() == 0 else { throw ManagedProcess.ProcessFailure(description: "kcat: \(kcat.standardError)") }
    }

    /// Reads `topic` from the beginning in a fresh group until `done` (shown each record once) says
    /// enough, or `timeout`. - Returns: the records read.
    func read(
        _ topic: String, timeout: Duration = .seconds(180), until done: @escaping @Sendable (KafkaRecord) -> Bool
    ) async throws -> [KafkaRecord] {
        let consumer = try KafkaConsumer(
            configuration: KafkaFixtures.consumerConfiguration(bootstrapServers: bootstrap, groupID: UniqueName.make("reader")),
            logger: KafkaFixtures.logger("test.e2e.reader"))
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

    /// The sandbox's faxes (introspection), as `(idempotency key, tags)`.
    func sandboxFaxes() async throws -> [(key: String, tags: [String: String])] {
        let client = try HTTPClient()
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
        for worker in workers { _ = try? await worker.stop(timeout: .seconds(30)) }
        _ = try? await sandbox.stop()
        _ = try? await broker.stop()
        try? FileManager.default.removeItem(at: directory)
    }

    /// A valid job with a small inline PDF.
    static func job(tenant: String, id: String, to: String = "+12125550100") -> String {
        let pdf = Data("%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n".utf8).base64EncodedString()
        return "\(tenant)\t{\"job_id\":\"\(id)\",\"tenant_id\":\"\(tenant)\",\"to\":\"\(to)\",\"document\":{\"content_base64\":\"\(pdf)\",\"filename\":\"\(id).pdf\"}}"
    }

    /// Malformed records of several kinds, each with a key.
    static func malformed(_ index: Int) -> String {
        switch index % 5 {
        case 0: "t1\tnot json at all \(index)"
        case 1: "t2\t[\"an\", \"array\", \(index)]"
        case 2: "t3\t{\"job_id\":\"bad-\(index)\",\"tenant_id\":\"t3\",\"document\":{\"url\":\"https://x.example/a.pdf\"}}"
        case 3: "t4\t{\"job_id\":\"bad-\(index)\",\"tenant_id\":\"t4\",\"to\":\"12125550100\",\"document\":{\"url\":\"https://x.example/a.pdf\"}}"
        default: "t5\t{\"job_id\":\"bad-\(index)\",\"tenant_id\":\"t1\",\"to\":\"+12125550100\",\"document\":{\"url\":\"https://x.example/a.pdf\"}}"
        }
    }
}

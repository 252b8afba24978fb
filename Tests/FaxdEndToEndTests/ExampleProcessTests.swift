import FaxdCore
import FaxdTestSupport
import Foundation
import Testing

/// The producer examples of `docs/examples/`, run as a user would run them against `faxd broker`,
/// `faxd sandbox` and a worker: each checks the key vectors, enqueues a job with an inline document
/// and one by URL, prints their idempotency keys and follows them on `fax.status` to their end. The
/// Python ones need `make test-venv` (the venv with confluent-kafka and kafka-python), which
/// `make test` makes first.
@Suite(.serialized) struct ExampleProcessTests {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    static let examples = root.appendingPathComponent("docs/examples")
    static let python = root.appendingPathComponent(".build/test-venv/bin/python")
    static let hasVenv = FileManager.default.isExecutableFile(atPath: python.path)

    /// An example: its name and how to start it (`arguments` after the program).
    struct Example: Sendable, CustomStringConvertible {
        var name: String
        var command: @Sendable (_ arguments: [String]) async throws -> (URL, [String])
        var description: String { name }
    }

    /// The examples this machine runs end to end: kcat, both Pythons, C and Go (compiled here).
    static let runnable: [Example] = [
        Example(name: "shell") { (URL(fileURLWithPath: "/bin/bash"), [examples.appendingPathComponent("shell/fax-job.sh").path] + $0) },
        Example(name: "python-confluent") { (python, [examples.appendingPathComponent("python-confluent/fax_job.py").path] + $0) },
        Example(name: "python-kafka") { (python, [examples.appendingPathComponent("python-kafka/fax_job.py").path] + $0) },
        Example(name: "c") { (try await compiledC(), $0) },
        Example(name: "go") { (try await compiledGo(), $0) },
    ]

    /// `docs/examples/c/fax_job.c`, compiled as its header comment says.
    static func compiledC() async throws -> URL {
        let binary = FileManager.default.temporaryDirectory.appendingPathComponent("faxd-example-c-\(UUID().uuidString)")
        let flags = try await run(URL(fileURLWithPath: "/usr/bin/pkg-config"), ["--cflags", "--libs", "rdkafka", "libcrypto"])
        let source = examples.appendingPathComponent("c/fax_job.c").path
        try await run(
            URL(fileURLWithPath: "/usr/bin/cc"),
            ["-O2", "-Wall", "-Werror", "-o", binary.path, source] + flags.split(separator: " ").map(String.init)
        )
        return binary
    }

    /// `docs/examples/go/main.go`, built with Debian's Go and sarama (`GOPATH=/usr/share/gocode`).
    static func compiledGo() async throws -> URL {
        let scratch = FileManager.default.temporaryDirectory.appendingPathComponent("faxd-example-go-\(UUID().uuidString)")
        let binary = scratch.appendingPathComponent("fax_job")
        try await run(
            URL(fileURLWithPath: "/usr/bin/go"),
            ["build", "-o", binary.path, examples.appendingPathComponent("go/main.go").path],
            environment: ["GO111MODULE": "off", "GOPATH": "/usr/share/gocode", "GOCACHE": scratch.appendingPathComponent("cache").path],
            timeout: .seconds(300)
        )
        return binary
    }

    /// Runs a command to its end. - Returns: its stdout, trimmed. - Throws: when it exits non-zero.
    @discardableResult
    static func run(
        _ executable: URL,
        _ arguments: [String],
        environment: [String: String] = [:],
        timeout: Duration = .seconds(60)
    ) async throws -> String {
        try await ManagedProcess(executable, arguments, environment: environment).finished(timeout: timeout).trimmingCharacters(
            in: .whitespacesAndNewlines
        )
    }

    @Test(.enabled(if: hasVenv, "make test-venv first"), arguments: runnable)
    func anExampleEnqueuesBothKindsOfDocumentAndFollowsEachJobToDelivered(_ example: Example) async throws {
        let harness = try await PipelineHarness(partitions: 3)
        let port = freeLocalPort()
        try await harness.startWorker(
            extraConfiguration: "webhooks:\n  public_base_url: http://127.0.0.1:\(port)",
            environment: [
                "FAXD_WEBHOOKS_LISTEN": "127.0.0.1:\(port)", "FAXD_DISPATCH_DOCUMENTS_ALLOW_HTTP": "true",
                "FAXD_DISPATCH_DOCUMENTS_ALLOWED_HOSTS": "127.0.0.1",
            ]
        )
        try await TestHTTPServer.withServer { documents in
            let prefix = "example-\(example.name)"
            let (executable, arguments) = try await example.command([])
            let output = try await ManagedProcess(
                executable,
                arguments,
                environment: [
                    "KAFKA_BOOTSTRAP": harness.bootstrap, "FAXD_TENANT": "t1", "FAXD_JOB_PREFIX": prefix,
                    "FAXD_DOCUMENT_URL": documents.url("/hello"), "FAXD_TIMEOUT": "90",
                ]
            ).finished(timeout: .seconds(120))
            #expect(output.contains("key vectors ok (5)"), "\(output)")
            for job in ["\(prefix)-inline", "\(prefix)-url"] {
                #expect(output.contains("enqueued t1/\(job) idempotency_key=\(IdempotencyKey(tenantID: "t1", jobID: job))"), "\(output)")
                #expect(output.contains("final t1/\(job) fax.delivered"), "\(output)")
            }
        }
        await harness.stop()
    }

    /// Every runnable example's client puts each of 100 tenant keys on the partition faxd's own
    /// producers choose (murmur2, as Kafka's Java client): one tenant, one partition, whoever produces.
    @Test(.enabled(if: hasVenv, "make test-venv first"))
    func everyExamplesClientPlacesEachOf100TenantsWhereFaxdDoes() async throws {
        let partitions = 7
        let harness = try await PipelineHarness(partitions: partitions, extraTopics: Self.runnable.map { "placement-\($0.name)" })
        let expected = (0..<100).map {
            "tenant-\($0) \(Murmur2Partitioner.partition(key: Array("tenant-\($0)".utf8), partitions: partitions))"
        }
        for example in Self.runnable {
            let (executable, arguments) = try await example.command(["place"])
            let output = try await ManagedProcess(
                executable,
                arguments,
                environment: ["KAFKA_BOOTSTRAP": harness.bootstrap, "FAXD_PLACEMENT_TOPIC": "placement-\(example.name)"]
            ).finished(timeout: .seconds(60))
            let placed = output.split(separator: "\n").map(String.init).filter { $0.hasPrefix("tenant-") }
            #expect(placed == expected, "\(example.name) placed tenants elsewhere: \(Set(placed).subtracting(expected).sorted().prefix(5))")
        }
        await harness.stop()
    }

    /// The billing example keeps per-tenant usage in its own database, each event once: a second
    /// reader of the whole topic (another group, the same database) changes no total.
    @Test(.enabled(if: hasVenv, "make test-venv first"))
    func theBillingExampleCountsEachUsageEventOnceWhateverReadsItAgain() async throws {
        let harness = try await PipelineHarness(partitions: 3)
        let port = freeLocalPort()
        try await harness.startWorker(
            extraConfiguration: "webhooks:\n  public_base_url: http://127.0.0.1:\(port)",
            environment: ["FAXD_WEBHOOKS_LISTEN": "127.0.0.1:\(port)"]
        )
        // t1: two one-page faxes, a three-page one, one whose every attempt is busy; t2: one page.
        let jobs = [("t1", "+15005550001"), ("t1", "+15005550001"), ("t1", "+15005550007"), ("t1", "+15005550002"), ("t2", "+15005550001")]
        try await harness.produce(jobs.enumerated().map { PipelineHarness.job(tenant: $1.0, id: "bill-\($0)", to: $1.1) })
        _ = try await harness.statusEvents { events in
            Set(events.filter { ["fax.delivered", "fax.failed"].contains($0.type.rawValue) }.map(\.jobID)).count == jobs.count
        }
        let database = FileManager.default.temporaryDirectory.appendingPathComponent("faxd-billing-\(UUID().uuidString).sqlite3")
        defer { try? FileManager.default.removeItem(at: database) }
        func bill(group: String) async throws -> [String] {
            let output = try await Self.run(
                Self.python,
                [
                    Self.examples.appendingPathComponent("billing/usage_ledger.py").path, "--database", database.path, "--group", group,
                    "--until-end",
                ],
                environment: ["KAFKA_BOOTSTRAP": harness.bootstrap],
                timeout: .seconds(90)
            )
            return output.split(separator: "\n").map(String.init)
        }
        let totals = [
            #"{"tenant_id": "t1", "held": 4, "captured": 3, "pages_captured": 5, "released": 1, "open": 0}"#,
            #"{"tenant_id": "t2", "held": 1, "captured": 1, "pages_captured": 1, "released": 0, "open": 0}"#,
        ]
        let first = try await bill(group: "billing-1")
        #expect(Array(first.prefix(2)) == totals)
        #expect(first.last == #"{"new_events": 10, "repeated_events": 0}"#)
        let again = try await bill(group: "billing-2")
        #expect(Array(again.prefix(2)) == totals, "a second reading changed the bill")
        #expect(again.last == #"{"new_events": 0, "repeated_events": 10}"#)
        await harness.stop()
    }

    /// Java's and Node's examples need kafka-clients and kafkajs, which this machine cannot fetch;
    /// their idempotency keys are checked here with the JDK and Node alone.
    @Test(arguments: ["java", "node"])
    func theKeyVectorsHoldInJavaAndNode(_ language: String) async throws {
        let output =
            language == "java"
            ? try await Self.run(
                URL(fileURLWithPath: "/usr/bin/java"),
                [Self.examples.appendingPathComponent("java/IdempotencyKey.java").path]
            )
            : try await Self.run(
                URL(fileURLWithPath: "/usr/bin/node"),
                [Self.examples.appendingPathComponent("node/idempotency-key.mjs").path]
            )
        #expect(output == "key vectors ok (5)")
        if language == "node" {
            // The producer itself cannot run without kafkajs; Node can still parse it.
            try await Self.run(
                URL(fileURLWithPath: "/usr/bin/node"),
                ["--check", Self.examples.appendingPathComponent("node/fax-job.mjs").path]
            )
        }
    }
}

extension ManagedProcess {
    /// Waits for the exit. - Returns: stdout. - Throws: when the exit status is not 0 (with stderr).
    func finished(timeout: Duration) async throws -> String {
        let status = try await waitForExit(timeout: timeout)
        let output = outputLines.joined(separator: "\n")
        guard status == 0 else { throw ProcessFailure(description: "exited \(status): \(standardError)\n\(output)") }
        return output
    }
}

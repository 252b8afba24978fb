import FaxdHTTP
import FaxdSandbox
import FaxdTestSupport
import Logging

/// The sandbox emulator's sustained `POST /v1/faxes` rate: our curl client against the sandbox in
/// process on loopback, 32 submissions in flight, a 1 KB PDF each, rate limits out of the way
/// and lifecycles at a millisecond per step (so they run alongside, webhooks off).
enum SandboxBenchmarks {
    static let concurrency = 32
    static let document = Array("%PDF-1.4\n".utf8) + [UInt8](repeating: UInt8(ascii: "x"), count: 1024 - 9)

    /// Submissions/s, a median of `runs`.
    static func all(requests: Int, logger: Logger, runs: Int) async throws -> [Benchmark.Result] {
        var configuration = SandboxConfiguration(port: 0, timeScale: 0.001, unauthenticatedRateLimitPerMinute: 10_000_000)
        configuration.environments = [
            EnvironmentConfiguration(
                name: "bench",
                apiKey: "mfx_test_benchbench00000000000001",
                balanceCents: 1_000_000_000,
                rateLimitPerMinute: 10_000_000,
                webhookSecret: SandboxConfiguration.demoEnvironments[0].webhookSecret
            )
        ]
        return try await SandboxApplication.withRunning(configuration: configuration, logger: logger) { port in
            let client = try HTTPClient(configuration: HTTPClientConfiguration(), logger: logger)
            defer { client.shutdown() }
            let url = "http://127.0.0.1:\(port)/v1/faxes"
            let benchmark = Benchmark(
                name: "Sandbox POST /v1/faxes, \(concurrency) in flight (\(requests) × 1 KB PDF, in-process sandbox)",
                unit: "faxes/s"
            ) {
                try await rate(count: requests) { try await submit(requests, client: client, url: url) }
            }
            return [try await benchmark.measure(runs: runs)]
        }
    }

    /// Milliseconds from spawning `faxd sandbox` to its URL on stdout (the release binary next to
    /// this one), a median of `runs`.
    static func startup(runs: Int) async throws -> Benchmark.Result {
        let benchmark = Benchmark(name: "Sandbox start-up, spawn to URL on stdout (faxd sandbox)", unit: "ms") {
            let clock = ContinuousClock()
            let started = clock.now
            let sandbox = try ManagedProcess(ManagedProcess.faxdExecutable, ["sandbox", "--port", "0"])
            _ = try await sandbox.firstLines(1, timeout: .seconds(10))
            let elapsed = clock.now - started
            try await sandbox.stop()
            return Double(elapsed.components.seconds) * 1000 + Double(elapsed.components.attoseconds) / 1e15
        }
        return try await benchmark.measure(runs: runs)
    }

    private static func submit(_ count: Int, client: HTTPClient, url: String) async throws {
        var form = MultipartFormData()
        form.addField(name: "to", value: "+15005550001")
        form.addField(name: "tag[bench]", value: "sandbox")
        form.addFile(name: "file", filename: "bench.pdf", contentType: "application/pdf", bytes: document)
        let request = HTTPRequest(
            method: .POST,
            url: url,
            headers: ["Content-Type": form.contentType, "Authorization": "Bearer mfx_test_benchbench00000000000001"],
            body: try form.encode()
        )
        try await withThrowingTaskGroup(of: Void.self) { group in
            var started = 0
            func startOne() {
                group.addTask {
                    let response = try await client.execute(request)
                    guard response.status == 201 else {
                        throw BenchmarkFailure(description: "status \(response.status): \(response.bodyString)")
                    }
                }
                started += 1
            }
            while started < min(concurrency, count) { startOne() }
            while try await group.next() != nil {
                if started < count { startOne() }
            }
        }
    }
}

import FaxdHTTP
import FaxdTestSupport
import Logging

/// HTTP-only baselines: the curl multi client against an in-process server on loopback.
enum HTTPBenchmarks {
    /// Requests/s of `GET /hello` at a few concurrencies, each a median of `runs`.
    static func all(requests: Int, logger: Logger, runs: Int) async throws -> [Benchmark.Result] {
        try await TestHTTPServer.withServer { server in
            let client = try HTTPClient(configuration: HTTPClientConfiguration(), logger: logger)
            defer { client.shutdown() }
            var results: [Benchmark.Result] = []
            for concurrency in [1, 16, 64] {
                let count = concurrency == 1 ? requests / 4 : requests
                let benchmark = Benchmark(
                    name: "HTTP GET, \(concurrency) in flight (\(count) requests, in-process server)",
                    unit: "requests/s"
                ) {
                    try await rate(count: count) {
                        try await get(count, concurrency: concurrency, client: client, url: server.url("/hello"))
                    }
                }
                results.append(try await benchmark.measure(runs: runs))
            }
            return results
        }
    }

    private static func get(_ count: Int, concurrency: Int, client: HTTPClient, url: String) async throws {
        try await withThrowingTaskGroup(of: Void.self) { group in
            var started = 0
            func startOne() {
                group.addTask {
                    let response = try await client.execute(HTTPRequest(method: .GET, url: url))
                    guard response.status == 200 else { throw BenchmarkFailure(description: "status \(response.status)") }
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

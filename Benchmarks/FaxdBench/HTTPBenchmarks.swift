import Logging

/// HTTP-only baselines: filled in with the HTTP client.
enum HTTPBenchmarks {
    static func all(requests: Int, logger: Logger, runs: Int) async throws -> [Benchmark.Result] { [] }
}

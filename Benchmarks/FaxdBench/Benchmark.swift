import Foundation

/// One measured quantity: several runs of the same workload, reported by their median.
struct Benchmark {
    let name: String
    let unit: String
    /// Runs the workload once and returns its measure in `unit` (a rate for most benchmarks).
    let run: () async throws -> Double

    func measure(runs: Int, warmUp: Bool = true) async throws -> Result {
        if warmUp { _ = try await run() }
        var rates: [Double] = []
        for _ in 0..<runs { rates.append(try await run()) }
        return Result(name: name, unit: unit, rates: rates)
    }

    struct Result {
        let name: String
        let unit: String
        let rates: [Double]

        var median: Double {
            let sorted = rates.sorted()
            let mid = sorted.count / 2
            return sorted.count % 2 == 1 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2
        }
    }
}

/// Times `body` and returns `count / seconds`.
func rate(count: Int, _ body: () async throws -> Void) async rethrows -> Double {
    let clock = ContinuousClock()
    let elapsed = try await clock.measure { try await body() }
    let seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
    return Double(count) / seconds
}

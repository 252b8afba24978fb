import FaxdTestSupport
import Foundation
import Testing

/// `faxd dev`, what `make demo` runs, as a process with its defaults but the listener's port.
@Suite struct DevProcessTests {
    /// The final event types `faxd dev` prints for a sample job.
    private static let finalTypes: Set<String> = ["fax.delivered", "fax.failed", "fax.rejected", "fax.dead_lettered"]

    @Test("every sample job reaches exactly one final state within a minute, then Ctrl-C stops faxd dev cleanly")
    func samplesReachTheirFinalStates() async throws {
        let dev = try ManagedProcess(
            ManagedProcess.faxdExecutable,
            ["dev", "--port", String(freeLocalPort()), "--admin-port", String(freeLocalPort())]
        )
        var summary: String?
        do {
            try await Eventually.wait(for: "the line saying every sample job is final", timeout: .seconds(60), interval: .milliseconds(200))
            {
                summary = dev.outputLines.first { $0.contains("sample jobs reached their final state") }
                return summary != nil || !dev.isRunning
            }
        } catch {
            _ = try? await dev.stop(signal: SIGKILL)
            throw error
        }
        let lines = dev.outputLines
        let exitCode = try await dev.stop(signal: SIGINT, timeout: .seconds(30))

        let announced = try #require(
            summary.flatMap { $0.split(separator: " ").dropFirst().first.flatMap { Int($0) } },
            "stderr: \(dev.standardError.suffix(2_000))"
        )
        // "acme/sample-7  fax.delivered  fax_…": the job, then the event type.
        let events = lines.compactMap { line -> (job: String, type: String)? in
            let fields = line.split(separator: " ", omittingEmptySubsequences: true)
            guard fields.count >= 2, fields[0].contains("/sample-") else { return nil }
            return (String(fields[0]), String(fields[1]))
        }
        let jobs = Set(events.map(\.job))
        let finals = events.filter { Self.finalTypes.contains($0.type) }
        #expect(announced == jobs.count && announced >= 9, "one sample per magic number, each shown")
        #expect(finals.count == jobs.count, "exactly one final event per job")
        #expect(Set(finals.map(\.job)) == jobs)
        #expect(exitCode == 0)
    }
}

import FaxdHTTP
import FaxdTestSupport
import Foundation
import Testing

/// The console of `faxd dev`'s worker in Debian's headless Chromium (Tests/Browser/console_check.py
/// drives it over the DevTools protocol and reports what the rendered pages showed).
@Suite struct ConsoleProcessTests {
    static let python = ExampleProcessTests.python
    static let script = ExampleProcessTests.root.appendingPathComponent("Tests/Browser/console_check.py")
    static let hasBrowser = ["/usr/bin/chromium", "/usr/bin/chromium-browser"].contains { FileManager.default.isExecutableFile(atPath: $0) }
    static let token = "console-test-token-0123456789"

    /// What the browser saw (console_check.py's output).
    struct Seen: Decodable {
        var refusedText: String
        var refusedHasTables: Bool
        var wrongTokenText: String
        var addressAfterLogin: String
        var tenants: [[String]]
        var partitions: Int
        var header: String
        var jobEvents: [String]
        var deadLetters: [[String]]
        var dryRun: String
        var redrive: String

        enum CodingKeys: String, CodingKey {
            case tenants, partitions, header, redrive
            case refusedText = "refused_text"
            case refusedHasTables = "refused_has_tables"
            case wrongTokenText = "wrong_token_text"
            case addressAfterLogin = "address_after_login"
            case jobEvents = "job_events"
            case deadLetters = "dead_letters"
            case dryRun = "dry_run"
        }
    }

    @Test(.enabled(if: ExampleProcessTests.hasVenv && hasBrowser, "make deps and make test-venv first"))
    func theConsoleShowsTheSampleJobsTenantsAndDeadLettersToItsTokenOnly() async throws {
        let (port, adminPort) = (freeLocalPort(), freeLocalPort())
        let dev = try ManagedProcess(
            ManagedProcess.faxdExecutable,
            ["dev", "--port", String(port), "--admin-port", String(adminPort)],
            environment: ["FAXD_CONSOLE_TOKEN": Self.token]
        )
        let admin = "http://127.0.0.1:\(adminPort)"
        do {
            try await Eventually.wait(for: "every sample job to be final", timeout: .seconds(60), interval: .milliseconds(200)) {
                dev.outputLines.contains { $0.contains("sample jobs reached their final state") } || !dev.isRunning
            }
            #expect(dev.outputLines.contains("  console    \(admin)/console?token=\(Self.token)"))

            // Refused without the token, with a wrong one, and never on the public webhook listener.
            let client = try HTTPClient()
            defer { client.shutdown() }
            for (url, bearer) in [
                ("\(admin)/console", nil), ("\(admin)/console/api/state", nil), ("\(admin)/console/api/state", "wrong-\(Self.token)"),
                ("\(admin)/console/api/dead-letters", "x"),
            ] {
                let headers = HTTPHeaders(bearer.map { [("Authorization", "Bearer \($0)")] } ?? [])
                #expect(try await client.execute(HTTPRequest(method: .GET, url: url, headers: headers)).status == 401, "\(url)")
            }
            let publicAnswer = try await client.execute(
                HTTPRequest(
                    method: .GET,
                    url: "http://127.0.0.1:\(port)/console/api/state",
                    headers: HTTPHeaders([("Authorization", "Bearer \(Self.token)")])
                )
            )
            #expect(publicAnswer.status == 404)

            // The tenants' submissions are the faxes `faxd dev` printed as submitted ("acme/sample-1
            // fax.submitted fax_…"; a parked job's line carries its error code, "code: message").
            func printed(_ type: String) -> [(tenant: String, job: String, code: String?)] {
                dev.outputLines.compactMap { line in
                    let fields = line.split(separator: " ", omittingEmptySubsequences: true).map(String.init)
                    guard fields.count >= 2, fields[1] == type, let slash = fields[0].firstIndex(of: "/") else { return nil }
                    let code = fields.count >= 3 ? fields[2].hasSuffix(":") ? String(fields[2].dropLast()) : nil : nil
                    return (String(fields[0][..<slash]), String(fields[0][fields[0].index(after: slash)...]), code)
                }
            }
            // What the worker dead-lettered or rejected, before the browser's redrive adds more.
            let parked = printed("fax.dead_lettered") + printed("fax.rejected")
            let expected = Dictionary(grouping: parked) { "\($0.tenant) \($0.code ?? "-")" }.mapValues(\.count)

            let directory = FileManager.default.temporaryDirectory.appendingPathComponent("faxd-console-\(UUID().uuidString)")
            try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
            defer { try? FileManager.default.removeItem(at: directory) }
            let screenshot = directory.appendingPathComponent("console.png")
            let browser = try ManagedProcess(Self.python, [Self.script.path, admin, Self.token, screenshot.path])
            let code = try await browser.waitForExit(timeout: .seconds(180))
            try #require(code == 0, "console_check.py: \(browser.standardError.suffix(3_000))")
            let seen = try JSONDecoder().decode(Seen.self, from: Data(try #require(browser.outputLines.last).utf8))

            #expect(seen.refusedText.contains("needs the console's token"))
            #expect(!seen.refusedHasTables)
            #expect(seen.wrongTokenText.contains("needs the console's token"))
            #expect(seen.addressAfterLogin == "\(admin)/console", "the token leaves the address bar")
            #expect(seen.header.contains("faxd-dev") && seen.header.contains("ready"))
            #expect(seen.partitions == 6)

            let submitted = Dictionary(grouping: printed("fax.submitted"), by: \.tenant).mapValues(\.count)
            let shown = Dictionary(uniqueKeysWithValues: seen.tenants.map { ($0[0], Int($0[2]) ?? -1) })
            #expect(shown == submitted, "submitted (5 min) per tenant")
            #expect(Set(shown.keys) == ["acme", "globex"])

            // sample-1 is delivered: its events, status and usage, in the lookup.
            let types = seen.jobEvents.compactMap { $0.split(separator: " ").first.map(String.init) }
            for type in ["fax.submitted", "fax.delivered", "usage.hold", "usage.capture"] {
                #expect(types.contains(type), "\(type) in \(seen.jobEvents)")
            }

            // The dead-letter topic by tenant and code.
            let rows = Dictionary(uniqueKeysWithValues: seen.deadLetters.map { ("\($0[0]) \($0[1])", Int($0[2]) ?? -1) })
            #expect(rows == expected)
            let balance = try #require(seen.deadLetters.first { $0[1] == "insufficient_balance" })
            let count = try #require(Int(balance[2]))
            #expect(seen.dryRun.hasPrefix("Dry run: \(count) dead letters of \(balance[0]) (insufficient_balance)"))
            #expect(seen.redrive == "Re-published \(count) of \(count) dead letters of \(balance[0]) (insufficient_balance).")
            // The re-published jobs ran again: the balance is still short, so each is parked once more.
            try await Eventually.wait(for: "the redriven jobs to be parked again", timeout: .seconds(30), interval: .milliseconds(100)) {
                printed("fax.dead_lettered").filter { $0.tenant == balance[0] && $0.code == "insufficient_balance" }.count == 2 * count
            }
            let png = try Data(contentsOf: screenshot)
            #expect(png.starts(with: [0x89, 0x50, 0x4E, 0x47]) && png.count > 10_000, "a screenshot of the console")

            // An open event stream does not hold the shutdown up.
            let stream = try ManagedProcess(
                URL(fileURLWithPath: "/usr/bin/curl"),
                ["-sN", "-H", "Authorization: Bearer \(Self.token)", "\(admin)/console/events"]
            )
            try await Eventually.wait(for: "the event stream's first state", timeout: .seconds(10), interval: .milliseconds(50)) {
                stream.outputLines.contains { $0.hasPrefix("data: {") }
            }
            #expect(try await dev.stop(signal: SIGINT, timeout: .seconds(30)) == 0)
            #expect(try await stream.waitForExit(timeout: .seconds(10)) == 0, "the stream ended with the worker")
        } catch {
            _ = try? await dev.stop(signal: SIGKILL)
            throw error
        }
    }
}

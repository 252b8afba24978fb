import FaxdHTTP
import FaxdTestSupport
import Foundation
import Testing

/// `faxd sandbox` as a separate process.
@Suite struct SandboxProcessTests {
    /// How fast the URL appears is a benchmark (`make bench`, "Sandbox start-up"): timed here, on two
    /// cores shared with every other suite, it measured 1.16 s once and failed a fresh-clone run.
    @Test func readyWithTheURLOnTheFirstLineThenTheDemoKeys() async throws {
        let sandbox = try ManagedProcess(ManagedProcess.faxdExecutable, ["sandbox", "--port", "0", "--time-scale", "0.001"])
        let first = try await sandbox.firstLines(1, timeout: .seconds(10))[0]
        #expect(first.hasPrefix("http://127.0.0.1:"))

        let lines = try await sandbox.firstLines(4)
        let acme = lines[1].split(separator: " ").map(String.init)
        #expect(acme == ["acme", "mfx_test_demoacme0000000000000001", "whsec_ZmF4ZC1zYW5kYm94LWRlbW8tYWNtZS0t"])
        #expect(lines[2].hasPrefix("globex mfx_test_") && lines[3].hasPrefix("initech mfx_test_"))

        let client = try HTTPClient()
        defer { client.shutdown() }
        let response = try await client.execute(
            HTTPRequest(url: first + "/v1/environment/balance", headers: ["Authorization": "Bearer \(acme[1])"])
        )
        #expect(response.status == 200)
        #expect(response.bodyString.contains("\"available\":5000"))
        #expect(try await sandbox.stop() == 0)
        // Logs name environments, never keys or secrets.
        #expect(!sandbox.standardError.contains(acme[1]) && !sandbox.standardError.contains(acme[2]))
    }

    @Test func aConfigFileIsServed() async throws {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent(UniqueName.make("sandbox") + ".yaml").path
        try """
        time_scale: 0.001
        environments:
          - name: solo
            api_key: mfx_test_solo00000000000000000001
            balance_cents: 1234
            webhook_secret: whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw
        """.write(toFile: path, atomically: true, encoding: .utf8)
        defer { try? FileManager.default.removeItem(atPath: path) }
        let sandbox = try ManagedProcess(ManagedProcess.faxdExecutable, ["sandbox", "--port", "0", "--config", path])
        let lines = try await sandbox.firstLines(2)
        #expect(lines[1] == "solo mfx_test_solo00000000000000000001 whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw")
        let client = try HTTPClient()
        defer { client.shutdown() }
        let response = try await client.execute(
            HTTPRequest(url: lines[0] + "/v1/environment/balance", headers: ["Authorization": "Bearer mfx_test_solo00000000000000000001"])
        )
        #expect(response.bodyString.contains("\"available\":1234"))
        #expect(try await sandbox.stop(signal: SIGINT) == 0)
    }

    @Test(arguments: [
        (["sandbox", "--port", "70000"], "--port"),
        (["sandbox", "--time-scale", "0"], "--time-scale"),
        (["sandbox", "--time-scale", "fast"], "--time-scale"),
        (["sandbox", "--host", ""], "--host"),
    ])
    func badFlagsAreNamed(arguments: [String], flag: String) async throws {
        let process = try ManagedProcess(ManagedProcess.faxdExecutable, arguments)
        #expect(try await process.waitForExit() != 0)
        let standardError = try await process.standardErrorLine()
        #expect(standardError.split(separator: "\n").first?.contains(flag) == true, "stderr: \(standardError)")
    }

    @Test(arguments: [
        ("environments:\n  - name: x\n    api_key: mfx_test_short\n", "environments[0].api_key"),
        ("time_scale: fast\n", "time_scale"),
        ("environments:\n  - api_key: mfx_test_solo00000000000000000001\n", "name"),
        ("faults:\n  server_error_rate: 2\n", "server_error_rate"),
    ])
    func aBadConfigFileIsOneClearLine(yaml: String, setting: String) async throws {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent(UniqueName.make("bad") + ".yaml").path
        try yaml.write(toFile: path, atomically: true, encoding: .utf8)
        defer { try? FileManager.default.removeItem(atPath: path) }
        let process = try ManagedProcess(ManagedProcess.faxdExecutable, ["sandbox", "--port", "0", "--config", path])
        #expect(try await process.waitForExit() != 0)
        let standardError = try await process.standardErrorLine()
        let lines = standardError.split(separator: "\n")
        #expect(lines.count == 1, "stderr: \(standardError)")
        #expect(lines.first?.contains(setting) == true && lines.first?.contains(path) == true, "stderr: \(standardError)")
        #expect(process.outputLines.isEmpty)
    }

    @Test func aMissingConfigFileIsOneClearLine() async throws {
        let process = try ManagedProcess(ManagedProcess.faxdExecutable, ["sandbox", "--config", "/nonexistent/sandbox.yaml"])
        #expect(try await process.waitForExit() != 0)
        let standardError = try await process.standardErrorLine()
        #expect(standardError.split(separator: "\n").count == 1)
        #expect(standardError.contains("/nonexistent/sandbox.yaml"))
    }
}

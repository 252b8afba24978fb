import FaxdSandbox
import FaxdTestSupport
import Foundation
import Testing

/// Zero-footprint retention, idempotency keys expiring, and failing lookups: what the job ledger's
/// tests need the sandbox to play (issue #10).
@Suite struct RetentionTests {
    @Test func aZeroFootprintEnvironmentKeepsOnlyIdStatusAndTimesOfAFinishedFax() async throws {
        let configuration = SandboxHarness.configuration { $0.environments[0].zeroFootprint = true }
        try await SandboxHarness.with(configuration) { sandbox in
            let created = try SandboxHarness.object(try await sandbox.submit(to: "+15005550001", fields: [("tag[faxd_job]", "j-1")]))
            let id = try #require(created["id"] as? String)
            let finished = try await sandbox.terminalFax(id)
            #expect(Set(finished.keys) == ["id", "status", "submitted_at", "completed_at", "created_at", "updated_at"])
            #expect(finished["status"] as? String == "delivered")
            let search = try await ListAndResendTests.list(sandbox, "tag[faxd_job]=j-1")
            #expect(ListAndResendTests.ids(search).isEmpty, "a tag search finds nothing")
            #expect(try await sandbox.post("/v1/faxes/\(id)/resend", json: nil).status == 410)
        }
    }

    @Test func aZeroFootprintFaxStaysWholeForItsGraceWindow() async throws {
        let configuration = SandboxHarness.configuration {
            $0.environments[0].zeroFootprint = true
            $0.environments[0].zeroFootprintGraceSeconds = 3600
        }
        try await SandboxHarness.with(configuration) { sandbox in
            let created = try SandboxHarness.object(try await sandbox.submit(to: "+15005550007", fields: [("tag[faxd_job]", "j-1")]))
            let id = try #require(created["id"] as? String)
            let finished = try await sandbox.terminalFax(id)
            #expect(finished["pages"] as? Int == 3)
            #expect(ListAndResendTests.ids(try await ListAndResendTests.list(sandbox, "tag[faxd_job]=j-1")) == [id])
        }
    }

    @Test func aStandardEnvironmentKeepsTheWholeFax() async throws {
        try await SandboxHarness.with { sandbox in
            let created = try SandboxHarness.object(try await sandbox.submit(to: "+15005550001", fields: [("tag[faxd_job]", "j-1")]))
            let id = try #require(created["id"] as? String)
            let finished = try await sandbox.terminalFax(id)
            #expect(finished["tags"] as? [String: String] == ["faxd_job": "j-1"])
            #expect(ListAndResendTests.ids(try await ListAndResendTests.list(sandbox, "tag[faxd_job]=j-1")) == [id])
        }
    }

    @Test func anExpiredKeyCreatesASecondFax() async throws {
        try await SandboxHarness.with { sandbox in
            let first = try SandboxHarness.object(try await sandbox.submit(to: "+15005550001", idempotencyKey: "k-1"))
            let replay = try SandboxHarness.object(try await sandbox.submit(to: "+15005550001", idempotencyKey: "k-1"))
            #expect(first["id"] as? String == replay["id"] as? String)
            #expect(try await sandbox.post("/_sandbox/expire-idempotency-keys", key: nil, json: nil).status == 200)
            let after = try SandboxHarness.object(try await sandbox.submit(to: "+15005550001", idempotencyKey: "k-1"))
            #expect(after["id"] as? String != first["id"] as? String)
        }
    }

    @Test func lookupsFailAtTheConfiguredRateAndSubmissionsDoNot() async throws {
        let configuration = SandboxHarness.configuration { $0.faults = FaultConfiguration(serverErrorStatuses: [503], lookupErrorRate: 1) }
        try await SandboxHarness.with(configuration) { sandbox in
            let created = try await sandbox.submit(to: "+15005550001")
            #expect(created.status == 201)
            let id = try #require(try SandboxHarness.object(created)["id"] as? String)
            #expect(try await sandbox.get("/v1/faxes/\(id)").status == 503)
            #expect(try await sandbox.get("/v1/faxes?tag[faxd_job]=x").status == 503)
        }
    }
}

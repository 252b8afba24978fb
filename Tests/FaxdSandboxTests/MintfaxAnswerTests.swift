import FaxdCore
import FaxdMintfax
import FaxdTestSupport
import Foundation
import Logging
import Testing

/// `MintfaxClient`'s lookups decode every answer once, into the values the worker shares: against the
/// sandbox over real HTTP.
@Suite struct MintfaxAnswerTests {
    private static func client(_ sandbox: SandboxHarness) -> MintfaxClient {
        MintfaxClient(baseURL: sandbox.baseURL + "/v1", http: sandbox.client, logger: Logger(label: "test.mintfax"))
    }

    private static let key = MintfaxAPIKey(SandboxHarness.acmeKey)!

    @Test func aFaxTheListAndTheBalanceDecodeWithTheirHeaders() async throws {
        try await SandboxHarness.with { sandbox in
            let created = try SandboxHarness.object(try await sandbox.submit(to: "+15005550007", fields: [("tag[faxd_job]", "j-1")]))
            let id = try #require(created["id"] as? String)
            _ = try await sandbox.terminalFax(id)
            let mintfax = Self.client(sandbox)

            let fax = try await mintfax.fax(id: id, key: Self.key)
            #expect(fax.value?.id == id && fax.value?.status == .delivered && fax.value?.pages == 3)
            #expect(fax.value?.jobReference == nil && fax.value?.tags == ["faxd_job": "j-1"])
            #expect(fax.response.rateLimitRemaining != nil, "the rate-limit headers come along")

            let list = try await mintfax.faxes(taggedWith: ["faxd_job": "j-1"], key: Self.key)
            #expect(list.value?.faxes.map(\.id) == [id])
            #expect(try await mintfax.faxes(taggedWith: ["faxd_job": "other"], key: Self.key).value?.faxes.isEmpty == true)

            let balance = try await mintfax.balance(key: Self.key)
            #expect(balance.value == MintfaxBalance(available: 5000 - 18, held: 0))
        }
    }

    @Test func refusalsComeBackAsMintfaxsErrorEnvelope() async throws {
        try await SandboxHarness.with { sandbox in
            let mintfax = Self.client(sandbox)
            guard case .error(let missing) = try await mintfax.fax(id: "fax_missing", key: Self.key).body else {
                Issue.record("a missing fax decoded as a fax")
                return
            }
            #expect(missing.code == "not_found")
            let stranger = try #require(MintfaxAPIKey("mfx_test_unknown0000000000000001"))
            let refused = try await mintfax.balance(key: stranger)
            #expect(refused.value == nil && refused.response.status == 401)
            if case .error(let envelope) = refused.body { #expect(envelope.code == "unauthenticated") }
        }
    }

    @Test func aZeroFootprintFaxDecodesFromWhatIsLeft() async throws {
        let configuration = SandboxHarness.configuration { $0.environments[0].zeroFootprint = true }
        try await SandboxHarness.with(configuration) { sandbox in
            let id = try #require(try SandboxHarness.object(try await sandbox.submit(to: "+15005550001"))["id"] as? String)
            _ = try await sandbox.terminalFax(id)
            let fax = try await Self.client(sandbox).fax(id: id, key: Self.key)
            #expect(fax.value?.status == .delivered && fax.value?.pages == nil && fax.value?.tags == [:] && fax.value?.completedAt != nil)
        }
    }
}

import FaxdWorker
import Foundation
import Testing

/// Who sends with which key: shared-workspace membership only where the tenants file says so, PHI
/// tenants never on a shared key, and the tenants directory read file by file.
@Suite struct TenantDirectoryTests {
    private static let environment = [
        "SHARED": "mfx_test_shared000000000000000001", "ACME": "mfx_test_acme00000000000000000001",
        "CLINIC": "mfx_test_clinic0000000000000001",
    ]

    /// A scratch folder with `tenants.yaml` holding `yaml`, removed after `body`.
    private static func withFolder(_ yaml: String, _ body: (_ folder: String) throws -> Void) throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("tenants-\(UUID())").path
        try FileManager.default.createDirectory(atPath: folder + "/tenants.d", withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: folder) }
        try yaml.write(toFile: folder + "/tenants.yaml", atomically: true, encoding: .utf8)
        try body(folder)
    }

    private static let sharedFile = """
        shared_workspace:
          api_key: { env: SHARED }
          rate_limit_per_minute: 120
          members: ["trial-*"]
        tenants:
          - id: acme
            api_key: { env: ACME }
            rate_limit_per_minute: 30
          - id: smallco
            shared: true
            rate_limit_per_minute: 10
          - id: clinic
            api_key: { env: CLINIC }
            phi: true
        """

    @Test func onlyTenantsTheFileNamesSendWithTheSharedKey() throws {
        try Self.withFolder(Self.sharedFile) { folder in
            let tenants = try TenantDirectory(path: folder + "/tenants.yaml", environment: Self.environment, mintfaxEnvironment: "sandbox")
            let shared = try #require(tenants.tenant("smallco"))
            #expect(shared.shared && shared.rateLimitPerMinute == 10)
            #expect(tenants.tenant("trial-42")?.shared == true, "a members pattern")
            #expect(tenants.tenant("acmee") == nil, "a typo is parked, never sent with the shared key")
            #expect(tenants.tenant("acme")?.shared == false)
            #expect(shared.keyFingerprint == tenants.tenant("trial-42")?.keyFingerprint)
            #expect(shared.keyFingerprint != tenants.tenant("acme")?.keyFingerprint)
            #expect(!shared.keyFingerprint.contains("shared000"), "a fingerprint never shows the key")
            let keys = tenants.keys
            #expect(keys[shared.keyFingerprint] == TenantDirectory.Key(ratePerMinute: 120, tenants: ["smallco"], takesUnlisted: true))
            #expect(
                keys[try #require(tenants.tenant("acme")).keyFingerprint]
                    == TenantDirectory.Key(ratePerMinute: 30, tenants: ["acme"], takesUnlisted: false)
            )
        }
    }

    @Test func aPHITenantRemovedFromTheFileNeverFallsBackToTheSharedKey() throws {
        try Self.withFolder(Self.sharedFile.replacingOccurrences(of: "\"trial-*\"", with: "\"*\"")) { folder in
            let path = folder + "/tenants.yaml"
            let tenants = try TenantDirectory(path: path, environment: Self.environment, mintfaxEnvironment: "sandbox")
            #expect(tenants.tenant("clinic")?.shared == false)
            #expect(tenants.tenant("anyone")?.shared == true, "`*` takes every unlisted tenant")
            let withoutClinic = try String(contentsOfFile: path, encoding: .utf8).components(separatedBy: "  - id: clinic")[0]
            try withoutClinic.write(toFile: path, atomically: true, encoding: .utf8)
            try tenants.reload()
            #expect(tenants.tenant("clinic") == nil, "parked, although `*` would take it")
        }
    }

    @Test(arguments: [
        (
            "shared_workspace:\n  api_key: { env: S }\ntenants:\n  - id: c\n    shared: true\n    phi: true\n",
            "tenants.0.shared: a tenant with phi: true"
        ),
        (
            "shared_workspace:\n  api_key: { env: S }\ntenants:\n  - id: c\n    shared: true\n    retention: zero_footprint\n",
            "retention: zero_footprint"
        ),
        ("tenants:\n  - id: c\n    shared: true\n", "tenants.0.shared: there is no shared_workspace"),
        (
            "shared_workspace:\n  api_key: { env: S }\ntenants:\n  - id: c\n    shared: true\n    api_key: { env: C }\n",
            "remove its api_key"
        ),
        ("tenants:\n  - id: c\n", "tenants.0.api_key: missing (or `shared: true`"),
        ("tenants: []\nshared_workspace:\n  api_key: { env: S }\n  members: ['bad id']\n", "shared_workspace.members.0"),
        (
            "tenants: []\nshared_workspace:\n  api_key: { env: S }\n  rate_limit_per_minute: 0\n",
            "shared_workspace.rate_limit_per_minute: must be at least 1"
        ),
    ])
    func aBadMembershipIsNamed(yaml: String, expected: String) {
        #expect {
            _ = try TenantsConfiguration.parse(yaml: yaml, source: "tenants.yaml")
        } throws: { error in
            "\(error)".contains(expected)
        }
    }

    @Test func theDirectoryAppliesEveryGoodFileAndSkipsTheBadOnes() throws {
        try Self.withFolder("tenants: []\n") { folder in
            let directory = folder + "/tenants.d"
            let tenants = try TenantDirectory(
                path: folder + "/tenants.yaml",
                directory: directory,
                environment: [:],
                mintfaxEnvironment: "sandbox"
            )
            #expect(tenants.listedTenantIDs.isEmpty)
            #expect(!tenants.refreshDirectory(), "nothing changed")
            for index in 0..<20 {
                try "mfx_test_dir\(index)0000000000000000001\n".write(
                    toFile: directory + "/t\(index).key",
                    atomically: true,
                    encoding: .utf8
                )
                try "id: t\(index)\napi_key: { file: t\(index).key }\nmax_in_flight: 2\n".write(
                    toFile: directory + "/t\(index).yaml",
                    atomically: true,
                    encoding: .utf8
                )
            }
            try "id: t99\napi_key: [not, a, reference]\n".write(toFile: directory + "/t99.yaml", atomically: true, encoding: .utf8)
            try "id: other\napi_key: { file: t0.key }\n".write(toFile: directory + "/misnamed.yaml", atomically: true, encoding: .utf8)
            try "id: nokey\napi_key: { file: missing.key }\n".write(toFile: directory + "/nokey.yaml", atomically: true, encoding: .utf8)
            #expect(tenants.refreshDirectory())
            #expect(tenants.listedTenantIDs.count == 20)
            #expect(tenants.tenant("t7")?.maxInFlight == 2)
            #expect(tenants.tenant("t99") == nil && tenants.tenant("other") == nil && tenants.tenant("nokey") == nil)
            try FileManager.default.removeItem(atPath: directory + "/t7.yaml")
            #expect(tenants.refreshDirectory())
            #expect(tenants.tenant("t7") == nil, "a removed tenant's new jobs are parked")
            #expect(tenants.listedTenantIDs.count == 19)
        }
    }
}

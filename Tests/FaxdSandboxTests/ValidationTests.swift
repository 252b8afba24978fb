import FaxdHTTP
import FaxdSandbox
import FaxdTestSupport
import Foundation
import Testing

/// 422 answers that name the field, 401 for bad keys, 404 for unknown faxes.
@Suite struct ValidationTests {
    struct Case: Sendable, CustomTestStringConvertible {
        let name: String
        let to: String?
        let fields: [(String, String)]
        let file: [UInt8]?
        let filename: String
        let contentType: String
        let field: String

        init(
            _ name: String,
            to: String? = "+15005550001",
            fields: [(String, String)] = [],
            file: [UInt8]? = SandboxHarness.pdf,
            filename: String = "fax.pdf",
            contentType: String = "application/pdf",
            field: String
        ) {
            self.name = name
            self.to = to
            self.fields = fields
            self.file = file
            self.filename = filename
            self.contentType = contentType
            self.field = field
        }

        var testDescription: String { name }
    }

    static let cases: [Case] = [
        Case("missing to", to: nil, field: "to"),
        Case("to not E.164", to: "2125551234", field: "to"),
        Case("to with a leading zero", to: "+0125551234", field: "to"),
        Case("missing file", file: nil, field: "file"),
        Case("file of 11 MB", file: [UInt8](repeating: 0x25, count: 11 * 1024 * 1024), field: "file"),
        Case("file of a disallowed type", filename: "fax.exe", contentType: "application/x-msdownload", field: "file"),
        Case("max_attempts 0", fields: [("max_attempts", "0")], field: "max_attempts"),
        Case("max_attempts 6", fields: [("max_attempts", "6")], field: "max_attempts"),
        Case("max_attempts not a number", fields: [("max_attempts", "three")], field: "max_attempts"),
        Case("page_size a5", fields: [("page_size", "a5")], field: "page_size"),
        Case("resolution ultra", fields: [("resolution", "ultra")], field: "resolution"),
        Case("optimize_for speed", fields: [("optimize_for", "speed")], field: "optimize_for"),
        Case("csid of 21 characters", fields: [("csid", String(repeating: "C", count: 21))], field: "csid"),
        Case("webhook_url not http", fields: [("webhook_url", "ftp://example.com/hook")], field: "webhook_url"),
        Case(
            "webhook_url of 2049 characters",
            fields: [("webhook_url", "https://example.com/" + String(repeating: "a", count: 2029))],
            field: "webhook_url"
        ),
        Case("eleven tags", fields: (0...10).map { ("tag[k\($0)]", "v") }, field: "tags"),
        Case("tags not an object", fields: [("tags", "[\"a\"]")], field: "tags"),
    ]

    @Test(arguments: cases)
    func invalidSubmissionsNameTheField(_ testCase: Case) async throws {
        try await SandboxHarness.with { sandbox in
            let response = try await sandbox.submit(
                to: testCase.to,
                fields: testCase.fields,
                file: testCase.file,
                filename: testCase.filename,
                contentType: testCase.contentType
            )
            #expect(response.status == 422)
            let object = try SandboxHarness.object(response)
            #expect(object["error"] as? String == "validation_failed")
            #expect(object["action"] as? String == "fix_request")
            #expect(object["docs"] as? String == "https://mintfax.com/docs/errors/validation-failed")
            #expect(object["message"] is String)
            let errors = try SandboxHarness.error(response).errors
            #expect(errors.keys.contains(testCase.field), "errors: \(errors)")
            #expect(errors[testCase.field]?.isEmpty == false)
            #expect(try await sandbox.introspect("faxes").isEmpty)
        }
    }

    @Test func acceptedFieldsAreEchoed() async throws {
        try await SandboxHarness.with { sandbox in
            let response = try await sandbox.submit(
                to: "+15005550001",
                fields: [
                    ("max_attempts", "2"), ("csid", "ACME BILLING"), ("page_size", "a4"), ("resolution", "fine"), ("optimize_for", "photo"),
                    ("webhook_url", "https://example.com/hooks/1"), ("tags", #"{"order_id":"A-1042","x":"json"}"#), ("tag[x]", "part"),
                ],
                file: Array("hello".utf8),
                filename: "note.txt",
                contentType: "text/plain"
            )
            #expect(response.status == 201, "\(response.bodyString)")
            let created = try SandboxHarness.object(response)
            #expect(created["tags"] as? [String: String] == ["order_id": "A-1042", "x": "part"])
            let fax = try await sandbox.fax(try #require(created["id"] as? String))
            #expect(fax["max_attempts"] as? Int == 2)
            #expect(fax["csid"] as? String == "ACME BILLING")
            #expect(
                fax["page_size"] as? String == "a4" && fax["resolution"] as? String == "fine" && fax["optimize_for"] as? String == "photo"
            )
            #expect(fax["webhook_url"] as? String == "https://example.com/hooks/1")
            // The type is recognised by the extension when the content type is generic.
            let byExtension = try await sandbox.submit(to: "+15005550001", filename: "scan.TIFF", contentType: "application/octet-stream")
            #expect(byExtension.status == 201)
        }
    }

    @Test(arguments: [nil, "mfx_test_unknown0000000000000000", "mfx_test_short", "sk_live_whatever", "mfx_live_demoacme0000000000000001"])
    func missingOrUnknownKeysAre401(_ key: String?) async throws {
        try await SandboxHarness.with { sandbox in
            let response = try await sandbox.submit(key: key, to: "+15005550001")
            #expect(response.status == 401)
            #expect(try SandboxHarness.error(response).code == "unauthenticated")
            #expect(try await sandbox.get("/v1/environment/balance", key: key).status == 401)
            let submissions = try await sandbox.introspect("submissions")
            #expect(submissions.count == 1)
            #expect(submissions[0]["environment"] is NSNull)
            if let key { #expect(submissions[0]["key_last4"] as? String == String(key.suffix(4))) }
        }
    }

    @Test func liveKeysWorkOnlyInEnvironmentsConfiguredLive() async throws {
        var configuration = SandboxHarness.configuration()
        configuration.environments.append(
            EnvironmentConfiguration(
                name: "prod",
                apiKey: "mfx_live_prodprod0000000000000001",
                live: true,
                webhookSecret: WebhookSecretFixture.secret
            )
        )
        try await SandboxHarness.with(configuration) { sandbox in
            let balance = try SandboxHarness.object(
                try await sandbox.get("/v1/environment/balance", key: "mfx_live_prodprod0000000000000001")
            )
            #expect(balance["type"] as? String == "live")
            #expect(try await sandbox.submit(key: "mfx_live_prodprod0000000000000001", to: "+15005550001").status == 201)
        }
        configuration.environments[3].live = false
        #expect(throws: SandboxConfigurationError.self) { try configuration.validate() }
    }

    @Test func unknownFaxesAndRoutesAre404() async throws {
        try await SandboxHarness.with { sandbox in
            let response = try await sandbox.get("/v1/faxes/fax_doesnotexist000000000")
            #expect(response.status == 404)
            #expect(try SandboxHarness.error(response).code == "not_found")
            #expect(try await sandbox.post("/v1/faxes/fax_doesnotexist000000000/resend", json: nil).status == 404)
            #expect(try await sandbox.get("/v1/nothing-here").status == 404)
            // Faxes of one environment are invisible to another.
            let created = try SandboxHarness.object(try await sandbox.submit(to: "+15005550001"))
            let id = try #require(created["id"] as? String)
            #expect(try await sandbox.get("/v1/faxes/\(id)", key: SandboxHarness.globexKey).status == 404)
        }
    }

    @Test func aBodyThatIsNotMultipartIs422() async throws {
        try await SandboxHarness.with { sandbox in
            let response = try await sandbox.post("/v1/faxes", json: ["to": "+15005550001"])
            #expect(response.status == 422)
            #expect(try SandboxHarness.error(response).errors.keys.contains("body"))
        }
    }
}

import FaxdHTTP
import FaxdSandbox
import FaxdTestSupport
import Foundation
import Testing

/// `GET /v1/faxes` filters and cursor pagination, and `POST /v1/faxes/{id}/resend`.
@Suite struct ListAndResendTests {
    static func list(_ sandbox: SandboxHarness, _ query: String, key: String = SandboxHarness.acmeKey) async throws -> [String: Any] {
        let response = try await sandbox.get("/v1/faxes?\(query)", key: key)
        #expect(response.status == 200, "\(response.bodyString)")
        return try SandboxHarness.object(response)
    }

    static func ids(_ page: [String: Any]) -> [String] {
        (page["data"] as? [[String: Any]] ?? []).compactMap { $0["id"] as? String }
    }

    @Test func tagFiltersAreAndedAndCursorsWalkEveryPageOnce() async throws {
        try await SandboxHarness.with { sandbox in
            var created: [String] = []
            for index in 0..<7 {
                let fields = [("tag[batch]", index < 5 ? "b1" : "b2"), ("tag[parity]", index % 2 == 0 ? "even" : "odd")]
                let response = try await sandbox.submit(to: index == 6 ? "+15005550008" : "+15005550001", fields: fields)
                created.append(try #require(try SandboxHarness.object(response)["id"] as? String))
            }
            _ = try await sandbox.submit(key: SandboxHarness.globexKey, to: "+15005550001", fields: [("tag[batch]", "b1")])

            let batch = try await Self.list(sandbox, "tag%5Bbatch%5D=b1&per_page=100")
            #expect(Self.ids(batch) == Array(created[0..<5].reversed()))
            let both = try await Self.list(sandbox, "tag[batch]=b1&tag[parity]=even")
            #expect(Self.ids(both) == [created[4], created[2], created[0]])
            #expect(both["has_more"] as? Bool == false && both["next_cursor"] is NSNull)
            // A tag's own index, walked a page at a time from each cursor.
            var even: [String] = []
            var evenCursor: String?
            repeat {
                let page = try await Self.list(sandbox, "tag[parity]=even&per_page=1" + (evenCursor.map { "&cursor=\($0)" } ?? ""))
                even += Self.ids(page)
                evenCursor = page["next_cursor"] as? String
            } while evenCursor != nil
            #expect(even == [created[6], created[4], created[2], created[0]])
            #expect(Self.ids(try await Self.list(sandbox, "tag[parity]=none")).isEmpty)

            var seen: [String] = []
            var cursor: String?
            var pages = 0
            repeat {
                let page = try await Self.list(sandbox, "per_page=2" + (cursor.map { "&cursor=\($0)" } ?? ""))
                seen += Self.ids(page)
                cursor = page["next_cursor"] as? String
                #expect((page["has_more"] as? Bool) == (cursor != nil))
                pages += 1
            } while cursor != nil
            #expect(pages == 4)
            #expect(seen == created.reversed())

            _ = try await sandbox.terminalFax(created[6])
            #expect(Self.ids(try await Self.list(sandbox, "status=failed&error_code=invalid_number")) == [created[6]])
            #expect(Self.ids(try await Self.list(sandbox, "to=%2B15005550008")) == [created[6]])
            #expect(Self.ids(try await Self.list(sandbox, "created_after=2000-01-01T00:00:00Z&per_page=1")).count == 1)
            #expect(Self.ids(try await Self.list(sandbox, "created_before=2000-01-01T00:00:00Z")).isEmpty)
        }
    }

    @Test(arguments: ["per_page=0", "per_page=101", "status=sent", "created_after=yesterday", "cursor=fax_unknown", "to=12345"])
    func badListParametersAre422(_ query: String) async throws {
        try await SandboxHarness.with { sandbox in
            let response = try await sandbox.get("/v1/faxes?\(query)")
            #expect(response.status == 422)
            let field = String(query.prefix { $0 != "=" })
            #expect(try SandboxHarness.error(response).errors.keys.contains(field))
        }
    }

    @Test func resendCreatesANewFaxWithANewHold() async throws {
        try await SandboxHarness.with { sandbox in
            let original = try SandboxHarness.object(try await sandbox.submit(to: "+15005550002", fields: [("tag[order]", "A-7")]))
            let originalID = try #require(original["id"] as? String)
            _ = try await sandbox.terminalFax(originalID)
            let response = try await sandbox.post("/v1/faxes/\(originalID)/resend", json: ["to": "+15005550001", "max_attempts": 1])
            #expect(response.status == 201, "\(response.bodyString)")
            let resent = try SandboxHarness.object(response)
            #expect(resent["resent_from"] as? String == originalID)
            #expect(resent["status"] as? String == "queued")
            #expect(resent["tags"] as? [String: String] == ["order": "A-7"])
            let fax = try await sandbox.terminalFax(try #require(resent["id"] as? String))
            #expect(fax["status"] as? String == "delivered" && fax["max_attempts"] as? Int == 1)
            let balance = try await sandbox.balance()
            #expect(balance.available == 4994 && balance.held == 0)

            #expect(try await sandbox.post("/v1/faxes/\(originalID)/resend", json: ["to": "+15005550006"]).status == 402)
            let invalid = try await sandbox.post("/v1/faxes/\(originalID)/resend", json: ["max_attempts": 9, "to": "12"])
            #expect(Set(try SandboxHarness.error(invalid).errors.keys) == ["max_attempts", "to"])
            #expect(try await sandbox.post("/v1/faxes/\(originalID)/resend", json: nil).status == 201)
        }
    }
}

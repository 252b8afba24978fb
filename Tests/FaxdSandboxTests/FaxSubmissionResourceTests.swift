import Foundation
import Testing

@testable import FaxdSandbox

/// The submission's `201` body, written directly, is the bytes `JSONEncoder` made of it before.
@Suite struct FaxSubmissionResourceTests {
    /// The encoding the resource had through `JSONBody.encode` (sorted keys, slashes unescaped).
    private struct Reference: Encodable {
        let fax: FaxRecord

        enum CodingKeys: String, CodingKey {
            case id, status, to, tags
            case createdAt = "created_at"
            case resentFrom = "resent_from"
        }

        func encode(to encoder: any Encoder) throws {
            var container = encoder.container(keyedBy: CodingKeys.self)
            try container.encode(fax.id, forKey: .id)
            try container.encode(fax.status, forKey: .status)
            try container.encode(fax.to, forKey: .to)
            try container.encode(fax.options.tags, forKey: .tags)
            try container.encode(Timestamp.format(fax.createdAt), forKey: .createdAt)
            try container.encodeIfPresent(fax.resentFrom, forKey: .resentFrom)
        }
    }

    private static func fax(tags: [String: String], resentFrom: String?, status: FaxStatus) -> FaxRecord {
        var record = FaxRecord(
            id: "fax_0123456789abcdefABCDEF",
            sequence: 7,
            to: "+15005550001",
            document: FaxDocument(
                filename: "a.pdf",
                contentType: "application/pdf",
                byteCount: 3,
                sha256: String(repeating: "0", count: 64)
            ),
            options: FaxOptions(tags: tags),
            idempotencyKey: "k",
            resentFrom: resentFrom,
            holdCents: 7,
            createdAt: Date(timeIntervalSince1970: 1_780_000_000.123)
        )
        record.status = status
        return record
    }

    @Test(arguments: [
        [:],
        ["faxd_tenant": "t1", "faxd_job": "job-1"],
        ["a10": "1", "a9": "2", "B": "3", "a": "4", "_x": "5", "é": "6", "e\u{301}x": "7", "z/y": "a/b"],
        ["q": "say \"hi\" \\ back", "ctl": "line\nbreak\ttab\u{1}\u{1F}", "uni": "中文 😀 \u{7F}", "": "empty key"],
    ])
    func theBodyIsJSONEncodersBytes(tags: [String: String]) throws {
        for (resentFrom, status) in [(nil, FaxStatus.queued), ("fax_previous0000000000000", .submitted)] {
            let fax = Self.fax(tags: tags, resentFrom: resentFrom, status: status)
            let expected = try JSONBody.encode(Reference(fax: fax))
            #expect(FaxSubmissionResource(fax: fax).jsonBytes() == expected, "\(String(decoding: expected, as: UTF8.self))")
        }
    }
}

import FaxdCore
import Foundation
import Testing

/// Keeps `schema/job-v1.schema.json` and `Job.parse` from drifting apart: the schema's required fields,
/// enums, limits and patterns are read from the file and checked against the parser's behaviour.
@Suite struct JobSchemaTests {
    private let schema: [String: Any]
    private let properties: [String: Any]

    init() throws {
        let url = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().deletingLastPathComponent().appendingPathComponent("schema/job-v1.schema.json")
        let object = try JSONSerialization.jsonObject(with: Data(contentsOf: url))
        schema = try #require(object as? [String: Any])
        properties = try #require(schema["properties"] as? [String: Any])
    }

    private func property(_ name: String) throws -> [String: Any] {
        try #require(properties[name] as? [String: Any], "schema property \(name)")
    }

    /// The string members of a property's `enum`, without `null`.
    private func enumValues(_ definition: [String: Any]) throws -> Set<String> {
        let values = try #require(definition["enum"] as? [Any])
        return Set(values.compactMap { $0 as? String })
    }

    private func parses(_ job: JobJSON) -> Bool {
        (try? Job.parse(value: job.bytes, key: nil).get()) != nil
    }

    @Test func isDraft2020_12AndRequiresWhatTheParserRequires() throws {
        #expect(schema["$schema"] as? String == "https://json-schema.org/draft/2020-12/schema")
        let required = try #require(schema["required"] as? [String])
        #expect(Set(required) == Set(Job.requiredFields))
        for field in required {
            let rejection = try #require(Job.parse(value: JobJSON().setting(field, nil).bytes, key: nil).failure)
            #expect(rejection.code == .missingField && rejection.field == field)
        }
    }

    @Test func enumsMatchTheParser() throws {
        let cases: [(String, Set<String>)] = [
            ("page_size", Set(Job.PageSize.allCases.map(\.rawValue))),
            ("resolution", Set(Job.Resolution.allCases.map(\.rawValue))),
            ("optimize_for", Set(Job.OptimizeFor.allCases.map(\.rawValue))),
        ]
        for (name, parserValues) in cases {
            let definition = try property(name)
            #expect(try enumValues(definition) == parserValues, "\(name)")
            #expect((definition["enum"] as? [Any])?.contains { $0 is NSNull } == true, "\(name) allows null")
        }
    }

    @Test func contentTypesMatchTheParser() throws {
        let documentProperties = try #require(try property("document")["properties"] as? [String: Any])
        let contentType = try #require(documentProperties["content_type"] as? [String: Any])
        let values = try enumValues(contentType)
        #expect(values == Set(DocumentType.allCases.map(\.mimeType)))
        for value in values {
            #expect(
                parses(JobJSON().setting("document", #"{"url":"https://example.com/x","content_type":"\#(value)"}"#))
            )
        }
    }

    @Test func numericLimitsMatchTheParser() throws {
        let maxAttempts = try property("max_attempts")
        let minimum = try #require(maxAttempts["minimum"] as? Int)
        let maximum = try #require(maxAttempts["maximum"] as? Int)
        #expect((minimum...maximum).allSatisfy { parses(JobJSON().setting("max_attempts", "\($0)")) })
        #expect(!parses(JobJSON().setting("max_attempts", "\(minimum - 1)")))
        #expect(!parses(JobJSON().setting("max_attempts", "\(maximum + 1)")))

        let csidLength = try #require(try property("csid")["maxLength"] as? Int)
        #expect(parses(JobJSON().setting("csid", #""\#(String(repeating: "C", count: csidLength))""#)))
        #expect(!parses(JobJSON().setting("csid", #""\#(String(repeating: "C", count: csidLength + 1))""#)))

        let webhookLength = try #require(try property("webhook_url")["maxLength"] as? Int)
        let base = "https://hooks.example.com/"
        let fits = base + String(repeating: "w", count: webhookLength - base.count)
        #expect(parses(JobJSON().setting("webhook_url", #""\#(fits)""#)))
        #expect(!parses(JobJSON().setting("webhook_url", #""\#(fits)w""#)))
    }

    @Test func tagRulesMatchTheParser() throws {
        let tags = try property("tags")
        let maxProperties = try #require(tags["maxProperties"] as? Int)
        let members = { (count: Int) in "{" + (0..<count).map { #""k\#($0)":"v""# }.joined(separator: ",") + "}" }
        #expect(parses(JobJSON().setting("tags", members(maxProperties))))
        #expect(!parses(JobJSON().setting("tags", members(maxProperties + 1))))

        let names = try #require(tags["propertyNames"] as? [String: Any])
        let reserved = try enumValues(try #require(names["not"] as? [String: Any]))
        #expect(reserved == [Job.tenantTagKey, Job.jobTagKey])
        for key in reserved {
            #expect(!parses(JobJSON().setting("tags", #"{"\#(key)":"x"}"#)))
        }
        let keyLength = try #require(names["maxLength"] as? Int)
        #expect(parses(JobJSON().setting("tags", #"{"\#(String(repeating: "k", count: keyLength))":"v"}"#)))
        #expect(!parses(JobJSON().setting("tags", #"{"\#(String(repeating: "k", count: keyLength + 1))":"v"}"#)))

        let valueLength = try #require((tags["additionalProperties"] as? [String: Any])?["maxLength"] as? Int)
        #expect(parses(JobJSON().setting("tags", #"{"k":"\#(String(repeating: "v", count: valueLength))"}"#)))
        #expect(!parses(JobJSON().setting("tags", #"{"k":"\#(String(repeating: "v", count: valueLength + 1))"}"#)))
    }

    /// The schema's regular expressions accept exactly what the parser accepts, on samples at the edges.
    @Test(arguments: [
        (
            "tenant_id",
            [
                "acme", "cust_8xk2m", "A.b-c_9", String(repeating: "t", count: 64), "", "ac me", "äcme", "a/b",
                String(repeating: "t", count: 65),
            ]
        ),
        (
            "to",
            [
                "+12125551234", "+15", "+123456789012345", "+1234567890123456", "+0123", "+1", "12125551234", "+1-212",
                "+١٢٣",
            ]
        ),
        ("job_id", ["inv-1", "ü-日本", "a b", "a\u{7}b", "a\u{85}b", "\u{7F}"]),
    ])
    func patternsMatchTheParser(name: String, samples: [String]) throws {
        let pattern = try #require(try property(name)["pattern"] as? String)
        let expression = try NSRegularExpression(pattern: pattern)
        for sample in samples {
            let range = NSRange(sample.startIndex..., in: sample)
            let schemaAccepts = expression.firstMatch(in: sample, range: range) != nil
            let json = String(decoding: try JSONEncoder().encode(sample), as: UTF8.self)
            #expect(schemaAccepts == parses(JobJSON().setting(name, json)), "\(name): \(sample.debugDescription)")
        }
    }
}

import Foundation
import Testing

@testable import FaxdCore

@Suite struct JobParsingTests {
    @Test(
        arguments: [
            ("report.final.PDF", "PDF"), ("fax.pdf", "pdf"), ("README", nil), ("archive.", nil), (".profile", nil),
            ("dir.d/README", nil), ("/files/scan.tif", "tif"), ("a/b.c/.hidden", nil), ("März.Übersicht.docx", "docx"),
            ("naïve.😀", "😀"), ("", nil), ("/", nil),
        ] as [(String, String?)]
    )
    func aFileNamesExtensionIsAfterTheLastDotOfItsLastComponent(name: String, fileExtension: String?) {
        #expect(DocumentType.fileExtension(of: name).map(String.init) == fileExtension)
    }

    private func parse(_ job: JobJSON, key: String? = "acme") -> Result<Job, JobRejection> {
        Job.parse(value: job.bytes, key: key.map { Array($0.utf8) })
    }

    private func rejectionOf(_ job: JobJSON, key: String? = "acme") throws -> JobRejection {
        try #require(parse(job, key: key).failure, "expected a rejection of \(job.text)")
    }

    private func accepted(_ job: JobJSON, key: String? = "acme") throws -> Job {
        try parse(job, key: key).get()
    }

    // MARK: Valid jobs

    @Test func theDesignExampleParses() throws {
        let text = """
            {
              "job_id": "inv-2026-000123",
              "tenant_id": "acme",
              "to": "+12125551234",
              "document": { "url": "https://files.example.com/invoices/123.pdf" },
              "max_attempts": 3,
              "csid": "ACME BILLING",
              "page_size": "letter",
              "resolution": "fine",
              "optimize_for": "text",
              "tags": { "order_id": "A-1042" },
              "webhook_url": null,
              "deadline": "2026-11-28T00:00:00Z"
            }
            """
        let job = try Job.parse(value: Array(text.utf8), key: Array("acme".utf8)).get()
        #expect(job.jobID == "inv-2026-000123")
        #expect(job.tenantID == "acme")
        #expect(job.to == "+12125551234")
        #expect(
            job.document
                == .url(
                    try #require(URL(string: "https://files.example.com/invoices/123.pdf")),
                    contentType: "application/pdf"
                )
        )
        #expect(job.maxAttempts == 3)
        #expect(job.csid == "ACME BILLING")
        #expect(job.pageSize == .letter)
        #expect(job.resolution == .fine)
        #expect(job.optimizeFor == .text)
        #expect(job.tags == ["order_id": "A-1042"])
        #expect(job.webhookURL == nil)
        #expect(job.deadline == Date(timeIntervalSince1970: 1_795_824_000))
        #expect(job.reference == JobReference(tenantID: "acme", jobID: "inv-2026-000123"))
    }

    /// Foundation's decoder spends seconds on a record nested a thousand deep: such records are
    /// refused before it sees them.
    @Test func deepNestingIsRefusedBeforeDecodingAndBracketsInStringsDoNotCount() throws {
        let deep = Array((String(repeating: #"{"a":"#, count: 5_000) + "1" + String(repeating: "}", count: 5_000)).utf8)
        #expect(Job.parse(value: deep, key: nil).failure?.code == .tooDeep)
        let arrays = Array((String(repeating: "[", count: 33) + String(repeating: "]", count: 33)).utf8)
        #expect(Job.parse(value: arrays, key: nil).failure?.code == .tooDeep)
        let nested =
            #"{"a":"#.utf8 + Array(String(repeating: "[", count: 31).utf8) + Array(String(repeating: "]", count: 31).utf8) + Array("}".utf8)
        #expect(Job.parse(value: nested, key: nil).failure?.code == .missingField, "32 levels are allowed")
        let brackets = JobJSON().setting("tags", #"{"note":"\#(String(repeating: #"{[\""#, count: 40))"}"#)
        #expect(try accepted(brackets).tags["note"]?.count == 120)
    }

    @Test func aMinimalJobHasNoOptions() throws {
        let job = try accepted(JobJSON(), key: nil)
        #expect(job.maxAttempts == nil && job.csid == nil && job.pageSize == nil && job.resolution == nil)
        #expect(job.optimizeFor == nil && job.tags.isEmpty && job.webhookURL == nil && job.deadline == nil)
    }

    @Test func unknownFieldsAndNullOptionalsAreIgnored() throws {
        let job = try accepted(
            JobJSON()
                .setting("priority", #"{"level":"high","extra":[1,2,null]}"#)
                .setting("max_attempts", "null").setting("csid", "null").setting("page_size", "null")
                .setting("resolution", "null").setting("optimize_for", "null").setting("tags", "null")
                .setting("webhook_url", "null").setting("deadline", "null")
                .setting(
                    "document",
                    #"{"url":"https://files.example.com/a.pdf","content_base64":null,"content_type":null,"filename":null}"#
                )
        )
        #expect(job.tags.isEmpty && job.deadline == nil && job.maxAttempts == nil)
    }

    @Test(arguments: [nil, "acme", ""])
    func theKeyMayBeAbsentEmptyOrTheTenant(key: String?) throws {
        #expect(try accepted(JobJSON(), key: key).tenantID == "acme")
    }

    @Test func anInlineDocumentIsDecodedAndTypedFromItsFilename() throws {
        let bytes: [UInt8] = [0x49, 0x49, 0x2A, 0x00, 0xFF, 0x10]
        let base64 = Data(bytes).base64EncodedString()
        let job = try accepted(JobJSON().setting("document", #"{"content_base64":"\#(base64)","filename":"scan.TIF"}"#))
        #expect(job.document == .inline(bytes: bytes, filename: "scan.TIF", contentType: "image/tiff"))
    }

    @Test func base64MayBeBrokenIntoLines() throws {
        let job = try accepted(
            JobJSON().setting("document", #"{"content_base64":"SGVs\r\nbG8s\nIGZh eA==","filename":"note.txt"}"#)
        )
        #expect(
            job.document == .inline(bytes: Array("Hello, fax".utf8), filename: "note.txt", contentType: "text/plain")
        )
    }

    @Test(arguments: [
        (#"{"url":"https://files.example.com/invoices/123.PDF"}"#, "application/pdf"),
        (
            #"{"url":"https://files.example.com/x/report.docx?sig=abc.exe"}"#,
            "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
        ),
        (
            #"{"url":"https://files.example.com/x/sheet.xlsx"}"#,
            "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
        ),
        (#"{"url":"https://files.example.com/photo.jpg"}"#, "image/jpeg"),
        (#"{"url":"https://files.example.com/photo.JPEG"}"#, "image/jpeg"),
        (#"{"url":"https://files.example.com/p.png"}"#, "image/png"),
        (#"{"url":"https://files.example.com/p.tiff"}"#, "image/tiff"),
        (#"{"url":"https://files.example.com/p.htm"}"#, "text/html"),
        (#"{"url":"https://files.example.com/p.html"}"#, "text/html"),
        (#"{"url":"https://files.example.com/p.txt"}"#, "text/plain"),
        (#"{"url":"https://files.example.com/download.php","content_type":"Application/PDF"}"#, "application/pdf"),
        (#"{"url":"https://files.example.com/x","content_type":"text/plain; charset=utf-8"}"#, "text/plain"),
        (#"{"content_base64":"JVBERi0=","filename":"blob","content_type":"application/pdf"}"#, "application/pdf"),
        (#"{"content_base64":"JVBERi0=","filename":"a.b.Pdf"}"#, "application/pdf"),
    ])
    func contentTypesAreGivenOrInferred(document: String, mimeType: String) throws {
        let job = try accepted(JobJSON().setting("document", document))
        switch job.document {
        case .url(_, let contentType): #expect(contentType == mimeType)
        case .inline(_, _, let contentType): #expect(contentType == mimeType)
        }
    }

    @Test(arguments: [
        "https://files.example.com/documents/8812",
        "https://files.example.com/",
        "https://files.example.com",
        "http://files.example.com/get?id=1.pdf",
    ])
    func aURLWithoutAnExtensionLeavesTheTypeToTheDownload(url: String) throws {
        let job = try accepted(JobJSON().setting("document", #"{"url":"\#(url)"}"#))
        #expect(job.document == .url(try #require(URL(string: url)), contentType: nil))
    }

    @Test(arguments: [
        ("1", 1), ("5", 5), ("3.0", 3),
    ])
    func maxAttemptsAcceptsIntegersFromOneToFive(json: String, value: Int) throws {
        #expect(try accepted(JobJSON().setting("max_attempts", json)).maxAttempts == value)
    }

    @Test(arguments: [
        ("2026-11-28T00:00:00Z", 1_795_824_000.0),
        ("2026-11-28T01:30:00+01:30", 1_795_824_000.0),
        ("2026-11-27T19:00:00-05:00", 1_795_824_000.0),
        ("2026-11-28T00:00:00.250Z", 1_795_824_000.25),
        ("2026-11-28t00:00:00z", 1_795_824_000.0),
    ])
    func deadlinesAreRFC3339(text: String, seconds: Double) throws {
        let job = try accepted(JobJSON().setting("deadline", #""\#(text)""#))
        #expect(job.deadline == Date(timeIntervalSince1970: seconds))
    }

    @Test func eightTagsOfFullLengthAreAllowed() throws {
        let members = (1...8).map {
            #""\#(String(repeating: "k", count: 63))\#($0)":"\#(String(repeating: "v", count: 255))""#
        }
        let job = try accepted(JobJSON().setting("tags", "{" + members.joined(separator: ",") + "}"))
        #expect(job.tags.count == 8)
    }

    @Test func optionsAreKeptAsGiven() throws {
        let job = try accepted(
            JobJSON().setting("csid", #""12345678901234567890""#).setting("page_size", #""b4""#)
                .setting("resolution", #""standard""#).setting("optimize_for", #""photo""#)
                .setting("webhook_url", #""HTTPS://hooks.example.com/faxd""#)
        )
        #expect(job.csid == "12345678901234567890")
        #expect(job.pageSize == .b4 && job.resolution == .standard && job.optimizeFor == .photo)
        #expect(job.webhookURL?.absoluteString == "HTTPS://hooks.example.com/faxd")
    }

    @Test func aDocumentOfExactlyTenMiBIsAllowed() throws {
        let base64 = Data(count: Job.maximumDocumentSize).base64EncodedString()
        let job = try accepted(JobJSON().setting("document", #"{"content_base64":"\#(base64)","filename":"big.pdf"}"#))
        guard case .inline(let bytes, _, _) = job.document else {
            Issue.record("expected an inline document")
            return
        }
        #expect(bytes.count == Job.maximumDocumentSize)
    }

    // MARK: Rejections

    /// Each case: the member to set (nil JSON removes it), the code and field expected.
    @Test(
        arguments: [
            ("job_id", nil, JobRejection.Code.missingField, "job_id"),
            ("job_id", "null", .missingField, "job_id"),
            ("job_id", #""""#, .invalidField, "job_id"),
            ("job_id", "42", .invalidField, "job_id"),
            ("job_id", #""inv\u0007-1""#, .invalidField, "job_id"),
            ("job_id", #""inv\u0085-1""#, .invalidField, "job_id"),
            ("job_id", #""\#(String(repeating: "é", count: 65))""#, .invalidField, "job_id"),
            ("tenant_id", nil, .missingField, "tenant_id"),
            ("tenant_id", #""""#, .invalidField, "tenant_id"),
            ("tenant_id", #""ac me""#, .invalidField, "tenant_id"),
            ("tenant_id", #""äcme""#, .invalidField, "tenant_id"),
            ("tenant_id", #""\#(String(repeating: "a", count: 65))""#, .invalidField, "tenant_id"),
            ("to", nil, .missingField, "to"),
            ("to", "12125551234", .invalidField, "to"),
            ("to", #""12125551234""#, .invalidField, "to"),
            ("to", #""+02125551234""#, .invalidField, "to"),
            ("to", #""+1""#, .invalidField, "to"),
            ("to", #""+1212555123456789""#, .invalidField, "to"),
            ("to", #""+1212555123a""#, .invalidField, "to"),
            ("to", #""+1 212 555 1234""#, .invalidField, "to"),
            ("to", #""+١٢١٢٥٥٥١٢٣٤""#, .invalidField, "to"),
            ("document", nil, .missingField, "document"),
            ("document", "null", .missingField, "document"),
            ("document", #""https://files.example.com/a.pdf""#, .invalidField, "document"),
            ("document", "{}", .missingField, "document"),
            ("document", #"{"url":null,"content_base64":null}"#, .missingField, "document"),
            (
                "document",
                #"{"url":"https://files.example.com/a.pdf","content_base64":"JVBERi0=","filename":"a.pdf"}"#,
                .invalidField, "document"
            ),
            ("document", #"{"url":42}"#, .invalidField, "document.url"),
            ("document", #"{"url":"files.example.com/a.pdf?token=secret-token"}"#, .invalidField, "document.url"),
            ("document", #"{"url":"ftp://files.example.com/a.pdf?token=secret-token"}"#, .invalidField, "document.url"),
            ("document", #"{"url":"https:///a.pdf?token=secret-token"}"#, .invalidField, "document.url"),
            ("document", #"{"url":"not a url at all secret-token"}"#, .invalidField, "document.url"),
            (
                "document", #"{"url":"https://files.example.com/a.exe?token=secret-token"}"#, .unsupportedDocumentType,
                "document.url"
            ),
            (
                "document", #"{"url":"https://files.example.com/a.pdf","content_type":"application/zip"}"#,
                .unsupportedDocumentType, "document.content_type"
            ),
            (
                "document", #"{"url":"https://files.example.com/a.pdf","content_type":7}"#, .invalidField,
                "document.content_type"
            ),
            ("document", #"{"content_base64":"JVBERi0="}"#, .missingField, "document.filename"),
            ("document", #"{"content_base64":"JVBERi0=","filename":null}"#, .missingField, "document.filename"),
            ("document", #"{"content_base64":"JVBERi0=","filename":""}"#, .invalidField, "document.filename"),
            ("document", #"{"content_base64":"JVBERi0=","filename":"a\npdf.pdf"}"#, .invalidField, "document.filename"),
            ("document", #"{"content_base64":"JVBERi0=","filename":7}"#, .invalidField, "document.filename"),
            (
                "document", #"{"content_base64":"TVqQAA==","filename":"setup.exe"}"#, .unsupportedDocumentType,
                "document.filename"
            ),
            (
                "document", #"{"content_base64":"JVBERi0=","filename":"README"}"#, .unsupportedDocumentType,
                "document.filename"
            ),
            ("document", #"{"content_base64":"JVBERi0","filename":"a.pdf"}"#, .invalidField, "document.content_base64"),
            (
                "document", #"{"content_base64":"JVB!Ri0=","filename":"a.pdf"}"#, .invalidField,
                "document.content_base64"
            ),
            ("document", #"{"content_base64":"","filename":"a.pdf"}"#, .invalidField, "document.content_base64"),
            ("document", #"{"content_base64":"====","filename":"a.pdf"}"#, .invalidField, "document.content_base64"),
            (
                "document", #"{"content_base64":"JVBERi0==","filename":"a.pdf"}"#, .invalidField,
                "document.content_base64"
            ),
            (
                "document", #"{"content_base64":"JV=ERi0=","filename":"a.pdf"}"#, .invalidField,
                "document.content_base64"
            ),
            (
                "document", #"{"content_base64":"JV-_Ri0=","filename":"a.pdf"}"#, .invalidField,
                "document.content_base64"
            ),
            (
                "document", #"{"content_base64":"JVBE====","filename":"a.pdf"}"#, .invalidField,
                "document.content_base64"
            ),
            ("document", #"{"content_base64":12,"filename":"a.pdf"}"#, .invalidField, "document.content_base64"),
            ("max_attempts", "0", .invalidField, "max_attempts"),
            ("max_attempts", "6", .invalidField, "max_attempts"),
            ("max_attempts", "2.5", .invalidField, "max_attempts"),
            ("max_attempts", #""3""#, .invalidField, "max_attempts"),
            ("max_attempts", "true", .invalidField, "max_attempts"),
            ("csid", #""123456789012345678901""#, .invalidField, "csid"),
            ("csid", "7", .invalidField, "csid"),
            ("page_size", #""A4""#, .invalidField, "page_size"),
            ("page_size", #""a5""#, .invalidField, "page_size"),
            ("resolution", #""high""#, .invalidField, "resolution"),
            ("optimize_for", #""pictures""#, .invalidField, "optimize_for"),
            ("tags", #"["a","b"]"#, .invalidField, "tags"),
            (
                "tags", #"{"a":"1","b":"2","c":"3","d":"4","e":"5","f":"6","g":"7","h":"8","i":"9"}"#, .invalidField,
                "tags"
            ),
            ("tags", #"{"":"v"}"#, .invalidField, "tags"),
            ("tags", #"{"\#(String(repeating: "k", count: 65))":"v"}"#, .invalidField, "tags"),
            ("tags", #"{"order_id":"\#(String(repeating: "v", count: 256))"}"#, .invalidField, "tags.order_id"),
            ("tags", #"{"order_id":1042}"#, .invalidField, "tags.order_id"),
            ("tags", #"{"order_id":null}"#, .invalidField, "tags.order_id"),
            ("tags", #"{"faxd_tenant":"globex"}"#, .invalidField, "tags.faxd_tenant"),
            ("tags", #"{"faxd_job":"x"}"#, .invalidField, "tags.faxd_job"),
            ("webhook_url", #""ftp://hooks.example.com/secret-token""#, .invalidField, "webhook_url"),
            ("webhook_url", #""hooks.example.com/secret-token""#, .invalidField, "webhook_url"),
            (
                "webhook_url", #""https://hooks.example.com/secret-token/\#(String(repeating: "x", count: 2020))""#,
                .invalidField, "webhook_url"
            ),
            ("webhook_url", "true", .invalidField, "webhook_url"),
            ("deadline", #""2026-11-28""#, .invalidField, "deadline"),
            ("deadline", #""2026-11-28T00:00:00""#, .invalidField, "deadline"),
            ("deadline", #""2026-02-30T00:00:00Z""#, .invalidField, "deadline"),
            ("deadline", #""tomorrow""#, .invalidField, "deadline"),
            ("deadline", "1795824000", .invalidField, "deadline"),
        ] as [(String, String?, JobRejection.Code, String)]
    )
    func rulesAreEnforced(member: String, json: String?, code: JobRejection.Code, field: String) throws {
        let rejection = try rejectionOf(JobJSON().setting(member, json))
        #expect(rejection.code == code)
        #expect(rejection.field == field)
        #expect(rejection.reason.contains("`\(field)`"), "the reason names the field: \(rejection.reason)")
        #expect(rejection.reason.hasSuffix("."))
        #expect(!rejection.reason.contains("5551234"), "no recipient number: \(rejection.reason)")
        #expect(!rejection.reason.contains("secret-token"), "no URL: \(rejection.reason)")
        #expect(!rejection.reason.contains("JVBERi0"), "no document bytes: \(rejection.reason)")
        #expect(!rejection.reason.contains("vvvvvvvv"), "no tag values: \(rejection.reason)")
    }

    @Test func theRecipientIsMaskedInTheReason() throws {
        let rejection = try rejectionOf(JobJSON().setting("to", #""+1212555123a""#))
        #expect(rejection.reason.contains("+1••••••••3a"))
    }

    @Test(arguments: [
        ("{", "not_json"), ("", "not_json"), ("{\"job_id\":}", "not_json"), ("{job_id: 1}", "not_json"),
        ("[]", "not_an_object"), ("42", "not_an_object"), ("\"job\"", "not_an_object"), ("null", "not_an_object"),
    ])
    func theRecordMustBeAJSONObject(text: String, code: String) throws {
        let rejection = try #require(Job.parse(value: Array(text.utf8), key: nil).failure)
        #expect(rejection.code.rawValue == code)
        #expect(rejection.field == nil && rejection.reference == nil)
    }

    @Test func invalidUTF8IsNotJSON() throws {
        let rejection = try #require(Job.parse(value: [0x7B, 0xFF, 0xFE, 0x7D], key: nil).failure)
        #expect(rejection.code == .notJSON)
    }

    @Test func aTooLargeDocumentIsRejected() throws {
        let base64 = Data(count: Job.maximumDocumentSize + 1).base64EncodedString()
        let rejection = try rejectionOf(
            JobJSON().setting("document", #"{"content_base64":"\#(base64)","filename":"big.pdf"}"#)
        )
        #expect(rejection.code == .documentTooLarge)
        #expect(rejection.field == "document.content_base64")
        #expect(rejection.reason.count < 200)
    }

    @Test func aKeyOtherThanTheTenantIsAMismatch() throws {
        let rejection = try rejectionOf(JobJSON(), key: "globex")
        #expect(rejection.code == .tenantKeyMismatch)
        #expect(rejection.field == "tenant_id")
        #expect(rejection.reason.contains("acme") && rejection.reason.contains("globex"))
        #expect(rejection.tenantID == nil, "the tenant is unknown when key and value disagree")
        #expect(rejection.jobID == "inv-1")
    }

    @Test func aKeyThatIsNotUTF8IsAMismatch() throws {
        let rejection = try #require(Job.parse(value: JobJSON().bytes, key: [0xFF, 0x00]).failure)
        #expect(rejection.code == .tenantKeyMismatch)
        #expect(rejection.reason.contains("not UTF-8"))
    }

    @Test func rejectionsNameTheJobWhenItCanBeRead() throws {
        let rejection = try rejectionOf(JobJSON().setting("to", #""555""#))
        #expect(rejection.reference == JobReference(tenantID: "acme", jobID: "inv-1"))
        #expect(
            rejection.errorInfo
                == ErrorInfo(code: "invalid_field", message: rejection.reason, retryable: false, httpStatus: nil)
        )

        let badTenant = try rejectionOf(JobJSON().setting("tenant_id", #""a c""#), key: nil)
        #expect(badTenant.tenantID == nil && badTenant.jobID == "inv-1" && badTenant.reference == nil)

        let badJob = try rejectionOf(JobJSON().setting("job_id", "7"))
        #expect(badJob.tenantID == "acme" && badJob.jobID == nil)
    }

    @Test func theFirstBrokenRuleIsReportedInDocumentOrder() throws {
        let rejection = try rejectionOf(
            JobJSON().setting("to", #""x""#).setting("csid", "1").setting("deadline", #""x""#)
        )
        #expect(rejection.field == "to")
    }

    // MARK: Derived values

    @Test func submissionTagsAddTheTenantAndJob() throws {
        let job = try accepted(JobJSON().setting("tags", #"{"order_id":"A-1042"}"#))
        #expect(job.submissionTags == ["order_id": "A-1042", "faxd_tenant": "acme", "faxd_job": "inv-1"])
    }

    @Test func theIdempotencyKeyIsDerivedFromTenantAndJob() throws {
        let job = try accepted(JobJSON())
        #expect(job.idempotencyKey().description == "c020cab0-5fa5-575d-8617-acd6fc49e2c0")
    }

    @Test func aJobExpiresOnlyAfterItsDeadline() throws {
        let job = try accepted(JobJSON().setting("deadline", #""2026-11-28T00:00:00Z""#))
        let deadline = Date(timeIntervalSince1970: 1_795_824_000)
        #expect(!job.isExpired(at: deadline.addingTimeInterval(-1)))
        #expect(!job.isExpired(at: deadline))
        #expect(job.isExpired(at: deadline.addingTimeInterval(0.001)))
        #expect(!(try accepted(JobJSON())).isExpired(at: .distantFuture))
    }

    @Test func descriptionsAreSafeForLogs() throws {
        let inline = try accepted(
            JobJSON().setting("document", #"{"content_base64":"SGVsbG8sIGZheA==","filename":"note.txt"}"#)
                .setting("tags", #"{"patient":"Jane Doe"}"#)
        )
        let remote = try accepted(
            JobJSON().setting("document", #"{"url":"https://files.example.com/a.pdf?token=secret-token"}"#)
        )
        for text in [String(describing: inline), String(reflecting: inline), "\(remote)"] {
            #expect(!text.contains("5551234") && !text.contains("SGVsbG8") && !text.contains("Jane Doe"))
            #expect(!text.contains("secret-token"))
        }
        #expect("\(inline)".contains("+1••••••••34") && "\(inline)".contains("10 bytes"))
        #expect("\(remote)".contains("https://files.example.com/"))
    }
}

extension Result {
    var failure: Failure? {
        if case .failure(let failure) = self { failure } else { nil }
    }
}

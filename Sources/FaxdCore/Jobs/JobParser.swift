import Foundation

/// Validates the members of a job v1 object, one rule at a time; the first broken rule is thrown.
///
/// The tenant and job id are read before anything else, so every rejection can name the job.
struct JobParser {
    private let object: [String: JSONValue]
    private let key: [UInt8]?
    private let tenantID: String?
    private let jobID: String?

    private static let maximumJobIDBytes = 128
    private static let maximumTenantIDLength = 64
    private static let maximumAttemptsRange = 1...5
    private static let maximumCSIDLength = 20
    private static let maximumFilenameLength = 255
    private static let maximumTags = 8
    private static let tagKeyLengths = 1...64
    private static let maximumTagValueLength = 255
    private static let maximumWebhookURLLength = 2048

    /// - Parameter key: The record key, nil when none is set.
    init(object: [String: JSONValue], key: [UInt8]?) {
        self.object = object
        self.key = key
        let jobID = object["job_id"]?.stringValue
        self.jobID = jobID.flatMap { Self.isValidJobID($0) ? $0 : nil }
        let tenantID = object["tenant_id"]?.stringValue
        self.tenantID = tenantID.flatMap {
            Self.isValidTenantID($0) && (key == nil || key == Array($0.utf8)) ? $0 : nil
        }
    }

    func parse() throws(JobRejection) -> Job {
        let jobID = try parseJobID()
        let tenantID = try parseTenantID()
        let to = try parseTo()
        let document = try parseDocument()
        return Job(
            jobID: jobID,
            tenantID: tenantID,
            to: to,
            document: document,
            maxAttempts: try parseMaxAttempts(),
            csid: try parseCSID(),
            pageSize: try parseEnum("page_size"),
            resolution: try parseEnum("resolution"),
            optimizeFor: try parseEnum("optimize_for"),
            tags: try parseTags(),
            webhookURL: try parseWebhookURL(),
            deadline: try parseDeadline()
        )
    }

    // MARK: Fields

    private func parseJobID() throws(JobRejection) -> String {
        let jobID = try requiredString("job_id")
        guard Self.isValidJobID(jobID) else {
            throw reject(
                .invalidField,
                "job_id",
                "`job_id` must be 1 to \(Self.maximumJobIDBytes) bytes of UTF-8 without control characters."
            )
        }
        return jobID
    }

    private func parseTenantID() throws(JobRejection) -> String {
        let tenantID = try requiredString("tenant_id")
        guard Self.isValidTenantID(tenantID) else {
            throw reject(
                .invalidField,
                "tenant_id",
                "`tenant_id` must be 1 to \(Self.maximumTenantIDLength) characters of A-Z, a-z, 0-9, '.', '_' and '-'."
            )
        }
        if let key, key != Array(tenantID.utf8) {
            let keyText = String(validating: key, as: UTF8.self).map { "\"\(Self.truncated($0))\"" } ?? "not UTF-8"
            throw reject(
                .tenantKeyMismatch,
                "tenant_id",
                "`tenant_id` \"\(tenantID)\" differs from the record key (\(keyText)); the key must be the tenant id."
            )
        }
        return tenantID
    }

    private func parseTo() throws(JobRejection) -> String {
        let to = try requiredString("to")
        guard Self.isE164(to) else {
            throw reject(
                .invalidField,
                "to",
                "`to` must be an E.164 number, + and 2 to 15 digits not starting with 0 (got \(RecipientMask.mask(to)))."
            )
        }
        return to
    }

    private func parseDocument() throws(JobRejection) -> JobDocument {
        guard let value = present("document") else {
            throw reject(.missingField, "document", "`document` is required.")
        }
        guard let document = value.objectValue else {
            throw reject(.invalidField, "document", "`document` must be an object, not \(value.kindDescription).")
        }
        let url = Self.present(document["url"])
        let content = Self.present(document["content_base64"])
        let declaredType = try parseContentType(document)
        switch (url, content) {
        case (nil, nil):
            throw reject(.missingField, "document", "`document` must have either `url` or `content_base64`.")
        case (.some, .some):
            throw reject(.invalidField, "document", "`document` must have only one of `url` and `content_base64`.")
        case (let url?, nil):
            return try parseURLDocument(url, declaredType: declaredType)
        case (nil, let content?):
            return try parseInlineDocument(
                content,
                filename: Self.present(document["filename"]),
                declaredType: declaredType
            )
        }
    }

    private func parseContentType(_ document: [String: JSONValue]) throws(JobRejection) -> DocumentType? {
        guard let value = Self.present(document["content_type"]) else { return nil }
        guard let text = value.stringValue else {
            throw reject(.invalidField, "document.content_type", "`document.content_type` must be a string.")
        }
        guard let type = DocumentType(mimeType: text) else {
            throw reject(
                .unsupportedDocumentType,
                "document.content_type",
                "`document.content_type` \"\(Self.truncated(text))\" is not one of \(Self.supportedMIMETypes)."
            )
        }
        return type
    }

    private func parseURLDocument(_ value: JSONValue, declaredType: DocumentType?) throws(JobRejection) -> JobDocument {
        guard let text = value.stringValue else {
            throw reject(.invalidField, "document.url", "`document.url` must be a string.")
        }
        guard let url = Self.httpURL(text) else {
            throw reject(
                .invalidField,
                "document.url",
                "`document.url` must be an absolute http or https URL with a host."
            )
        }
        if let declaredType {
            return .url(url, contentType: declaredType.mimeType)
        }
        guard let pathExtension = DocumentType.fileExtension(of: URLComponents(string: text)?.path ?? "") else {
            return .url(url, contentType: nil)
        }
        guard let type = DocumentType(fileExtension: String(pathExtension)) else {
            throw reject(
                .unsupportedDocumentType,
                "document.url",
                "The path of `document.url` ends in .\(Self.truncated(pathExtension)), not a supported document type; "
                    + "set `document.content_type` if the server sends one of \(Self.supportedMIMETypes)."
            )
        }
        return .url(url, contentType: type.mimeType)
    }

    private func parseInlineDocument(
        _ content: JSONValue,
        filename filenameValue: JSONValue?,
        declaredType: DocumentType?
    ) throws(JobRejection) -> JobDocument {
        guard let base64 = content.stringValue else {
            throw reject(.invalidField, "document.content_base64", "`document.content_base64` must be a string.")
        }
        guard let filenameValue else {
            throw reject(.missingField, "document.filename", "`document.filename` is required with `content_base64`.")
        }
        guard let filename = filenameValue.stringValue,
            (1...Self.maximumFilenameLength).contains(filename.unicodeScalars.count),
            !filename.unicodeScalars.contains(where: Self.isControlCharacter)
        else {
            throw reject(
                .invalidField,
                "document.filename",
                "`document.filename` must be a string of 1 to \(Self.maximumFilenameLength) characters without control characters."
            )
        }
        let type: DocumentType
        if let declaredType {
            type = declaredType
        } else if let fileExtension = DocumentType.fileExtension(of: filename),
            let inferred = DocumentType(fileExtension: String(fileExtension))
        {
            type = inferred
        } else {
            throw reject(
                .unsupportedDocumentType,
                "document.filename",
                "The extension of `document.filename` is not a supported document type "
                    + "(pdf, docx, xlsx, jpg, jpeg, png, tiff, tif, html, htm, txt) and no `document.content_type` is given."
            )
        }
        let bytes = try decodeBase64(base64)
        return .inline(bytes: bytes, filename: filename, contentType: type.mimeType)
    }

    /// Decodes standard, padded base64; ASCII white space (line breaks of MIME encoders) is skipped.
    private func decodeBase64(_ text: String) throws(JobRejection) -> [UInt8] {
        let field = "document.content_base64"
        let decoded =
            Self.strictBase64(text)
            ?? Self.strictBase64(String(decoding: text.utf8.filter { !Self.isASCIIWhitespace($0) }, as: UTF8.self))
        guard let data = decoded else {
            throw reject(.invalidField, field, "`\(field)` is not valid padded base64.")
        }
        guard data.count <= Job.maximumDocumentSize else {
            throw reject(
                .documentTooLarge,
                field,
                "`\(field)` decodes to more than \(Job.maximumDocumentSize) bytes (10 MiB); send a `document.url` instead."
            )
        }
        guard !data.isEmpty else {
            throw reject(.invalidField, field, "`\(field)` must not be empty.")
        }
        return Array(data)
    }

    /// Padded base64 without white space. Foundation alone also accepts a last group of four `=`.
    private static func strictBase64(_ text: String) -> Data? {
        let lastGroup = Array(text.utf8.suffix(4))
        guard text.utf8.count % 4 == 0, !lastGroup.prefix(2).contains(UInt8(ascii: "=")) else { return nil }
        return Data(base64Encoded: text)
    }

    private func parseMaxAttempts() throws(JobRejection) -> Int? {
        guard let value = present("max_attempts") else { return nil }
        let range = Self.maximumAttemptsRange
        guard case .number(let number) = value, number.rounded() == number, number >= Double(range.lowerBound),
            number <= Double(range.upperBound)
        else {
            throw reject(
                .invalidField,
                "max_attempts",
                "`max_attempts` must be an integer from \(range.lowerBound) to \(range.upperBound)."
            )
        }
        return Int(number)
    }

    private func parseCSID() throws(JobRejection) -> String? {
        let csid = try optionalString("csid")
        if let csid, csid.unicodeScalars.count > Self.maximumCSIDLength {
            throw reject(.invalidField, "csid", "`csid` must be at most \(Self.maximumCSIDLength) characters long.")
        }
        return csid
    }

    private func parseEnum<Value: RawRepresentable & CaseIterable>(_ name: String) throws(JobRejection) -> Value?
    where Value.RawValue == String {
        guard let text = try optionalString(name) else { return nil }
        guard let value = Value(rawValue: text) else {
            let allowed = Value.allCases.map(\.rawValue).joined(separator: ", ")
            throw reject(.invalidField, name, "`\(name)` must be one of \(allowed) (got \"\(Self.truncated(text))\").")
        }
        return value
    }

    private func parseTags() throws(JobRejection) -> [String: String] {
        guard let value = present("tags") else { return [:] }
        guard let members = value.objectValue else {
            throw reject(
                .invalidField,
                "tags",
                "`tags` must be an object of string values, not \(value.kindDescription)."
            )
        }
        guard members.count <= Self.maximumTags else {
            throw reject(
                .invalidField,
                "tags",
                "`tags` must have at most \(Self.maximumTags) entries (it has \(members.count))."
            )
        }
        var tags: [String: String] = [:]
        for (key, value) in members.sorted(by: { $0.key < $1.key }) {
            guard Self.tagKeyLengths.contains(key.unicodeScalars.count) else {
                throw reject(
                    .invalidField,
                    "tags",
                    "Every key of `tags` must be \(Self.tagKeyLengths.lowerBound) to \(Self.tagKeyLengths.upperBound) characters long."
                )
            }
            let path = "tags.\(key)"
            guard key != Job.tenantTagKey, key != Job.jobTagKey else {
                throw reject(
                    .invalidField,
                    path,
                    "`\(path)` is reserved: faxd sets `faxd_tenant` and `faxd_job` itself."
                )
            }
            guard let text = value.stringValue, text.unicodeScalars.count <= Self.maximumTagValueLength else {
                throw reject(
                    .invalidField,
                    path,
                    "`\(path)` must be a string of at most \(Self.maximumTagValueLength) characters."
                )
            }
            tags[key] = text
        }
        return tags
    }

    private func parseWebhookURL() throws(JobRejection) -> URL? {
        guard let text = try optionalString("webhook_url") else { return nil }
        guard text.unicodeScalars.count <= Self.maximumWebhookURLLength, let url = Self.httpURL(text) else {
            throw reject(
                .invalidField,
                "webhook_url",
                "`webhook_url` must be an absolute http or https URL with a host, at most \(Self.maximumWebhookURLLength) characters long."
            )
        }
        return url
    }

    private func parseDeadline() throws(JobRejection) -> Date? {
        guard let text = try optionalString("deadline") else { return nil }
        guard let date = RFC3339Timestamp.parse(text) else {
            throw reject(
                .invalidField,
                "deadline",
                "`deadline` must be an RFC 3339 timestamp such as 2026-11-28T00:00:00Z (got \"\(Self.truncated(text))\")."
            )
        }
        return date
    }

    // MARK: Access

    /// The member `name`, nil when absent or `null`.
    private func present(_ name: String) -> JSONValue? {
        Self.present(object[name])
    }

    private static func present(_ value: JSONValue?) -> JSONValue? {
        value == .null ? nil : value
    }

    private func requiredString(_ name: String) throws(JobRejection) -> String {
        guard let value = present(name) else {
            throw reject(.missingField, name, "`\(name)` is required.")
        }
        guard let text = value.stringValue else {
            throw reject(.invalidField, name, "`\(name)` must be a string, not \(value.kindDescription).")
        }
        return text
    }

    private func optionalString(_ name: String) throws(JobRejection) -> String? {
        guard let value = present(name) else { return nil }
        guard let text = value.stringValue else {
            throw reject(.invalidField, name, "`\(name)` must be a string, not \(value.kindDescription).")
        }
        return text
    }

    private func reject(_ code: JobRejection.Code, _ field: String, _ reason: String) -> JobRejection {
        JobRejection(code: code, field: field, reason: reason, tenantID: tenantID, jobID: jobID)
    }

    // MARK: Rules

    private static func isValidJobID(_ jobID: String) -> Bool {
        (1...maximumJobIDBytes).contains(jobID.utf8.count) && !jobID.unicodeScalars.contains(where: isControlCharacter)
    }

    private static func isValidTenantID(_ tenantID: String) -> Bool {
        (1...maximumTenantIDLength).contains(tenantID.utf8.count)
            && tenantID.utf8.allSatisfy { byte in
                switch byte {
                case UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "a")...UInt8(ascii: "z"),
                    UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "."), UInt8(ascii: "_"), UInt8(ascii: "-"):
                    true
                default:
                    false
                }
            }
    }

    /// `^\+[1-9]\d{1,14}$` with ASCII digits.
    private static func isE164(_ number: String) -> Bool {
        let bytes = Array(number.utf8)
        guard (3...16).contains(bytes.count), bytes[0] == UInt8(ascii: "+"), bytes[1] != UInt8(ascii: "0") else {
            return false
        }
        return bytes.dropFirst().allSatisfy { (UInt8(ascii: "0")...UInt8(ascii: "9")).contains($0) }
    }

    private static func isASCIIWhitespace(_ byte: UInt8) -> Bool {
        byte == UInt8(ascii: " ") || byte == UInt8(ascii: "\t") || byte == UInt8(ascii: "\r")
            || byte == UInt8(ascii: "\n")
    }

    /// Unicode general category Cc: U+0000–U+001F and U+007F–U+009F.
    private static func isControlCharacter(_ scalar: Unicode.Scalar) -> Bool {
        scalar.value < 0x20 || (0x7F...0x9F).contains(scalar.value)
    }

    /// An absolute `http` or `https` URL (scheme in any case) with a non-empty host.
    private static func httpURL(_ text: String) -> URL? {
        guard let components = URLComponents(string: text), let scheme = components.scheme?.lowercased(),
            scheme == "http" || scheme == "https", let host = components.host, !host.isEmpty,
            let url = URL(string: text)
        else { return nil }
        return url
    }

    private static let supportedMIMETypes = DocumentType.allCases.map(\.mimeType).joined(separator: ", ")

    /// `text` cut to 32 characters for quoting in a reason.
    private static func truncated(_ text: some StringProtocol) -> String {
        text.count > 32 ? String(text.prefix(32)) + "…" : String(text)
    }
}

import Crypto
import FaxdCore
import Foundation

extension FaxSubmission {
    /// The largest file accepted: 10240 KB (10 × 1024 × 1024 bytes).
    static let maximumFileBytes = 10 * 1024 * 1024
    /// Allowed file types: extension → content type (PDF, DOCX, XLSX, JPG, PNG, TIFF, HTML, TXT).
    static let allowedTypes: [String: String] = [
        "pdf": "application/pdf",
        "docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
        "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        "jpg": "image/jpeg", "jpeg": "image/jpeg",
        "png": "image/png",
        "tif": "image/tiff", "tiff": "image/tiff",
        "html": "text/html", "htm": "text/html",
        "txt": "text/plain",
    ]
    static let pageSizes: Set<String> = ["letter", "legal", "a4", "b4"]
    static let resolutions: Set<String> = ["standard", "fine"]
    static let optimizations: Set<String> = ["text", "photo"]
    static let maximumTags = 10
    static let maximumTagLength = 255
    static let maximumCSIDLength = 20

    /// Validates the parts of a multipart body, collecting every field's problems.
    ///
    /// The first part of each name counts; unknown fields are ignored. Empty text fields count
    /// as absent. Tags come from `tag[KEY]=VALUE` parts and from a `tags` part holding a JSON
    /// object of strings; a `tag[KEY]` part wins over the same key in `tags`.
    ///
    /// - Returns: the submission, or the per-field messages of a 422.
    static func validate(parts: [MultipartPart]) -> Result<FaxSubmission, FieldErrors> {
        var errors = FieldErrors()
        var fields: [String: String] = [:]
        var file: MultipartPart?
        var tagParts: [(String, String)] = []
        for part in parts {
            if part.name.hasPrefix("tag["), part.name.hasSuffix("]") {
                tagParts.append((String(part.name.dropFirst(4).dropLast()), part.text))
            } else if part.name == "file" {
                if file == nil { file = part }
            } else if fields[part.name] == nil {
                fields[part.name] = part.text
            }
        }

        let to = fields["to"].flatMap { $0.isEmpty ? nil : $0 }
        if let message = recipientProblem(to) { errors.add("to", message) }

        var document: FaxDocument?
        if let file, file.filename != nil || !file.bytes.isEmpty {
            document = validateFile(file, errors: &errors)
        } else {
            errors.add("file", "The file field is required.")
        }

        var options = FaxOptions()
        validateOptions(fields, into: &options, errors: &errors)
        options.tags = validateTags(json: fields["tags"], parts: tagParts, errors: &errors)

        guard errors.isEmpty, let to, let document else { return .failure(errors) }
        return .success(FaxSubmission(to: to, document: document, options: options))
    }

    /// The problem with a recipient, or `nil` when it is an acceptable E.164 number. The
    /// sandbox's validation scenario `+15005550099` is reported as invalid.
    static func recipientProblem(_ to: String?) -> String? {
        guard let to else { return "The to field is required." }
        guard isE164(to) else { return "The to field must be a valid E.164 phone number, for example +12125551234." }
        if FaxScenario(recipient: to) == .validationFailure {
            return "The to field is not a valid fax destination (sandbox validation scenario)."
        }
        return nil
    }

    /// Whether `text` matches `^\+[1-9]\d{1,14}$`.
    static func isE164(_ text: String) -> Bool {
        let bytes = Array(text.utf8)
        guard bytes.count >= 3, bytes.count <= 16, bytes[0] == UInt8(ascii: "+"), bytes[1] >= UInt8(ascii: "1"),
            bytes[1] <= UInt8(ascii: "9")
        else {
            return false
        }
        return bytes.dropFirst(2).allSatisfy { $0 >= UInt8(ascii: "0") && $0 <= UInt8(ascii: "9") }
    }

    /// Applies `max_attempts`, `webhook_url`, `csid`, `page_size`, `resolution` and
    /// `optimize_for` from text fields, reporting problems against each name.
    static func validateOptions(_ fields: [String: String], into options: inout FaxOptions, errors: inout FieldErrors) {
        func value(_ name: String) -> String? { fields[name].flatMap { $0.isEmpty ? nil : $0 } }
        if let text = value("max_attempts") {
            if let attempts = Int(text), (1...5).contains(attempts) {
                options.maxAttempts = attempts
            } else {
                errors.add("max_attempts", "The max_attempts field must be an integer between 1 and 5.")
            }
        }
        if let url = value("webhook_url") {
            if let message = webhookURLProblem(url) { errors.add("webhook_url", message) } else { options.webhookURL = url }
        }
        if let csid = value("csid") {
            if csid.count > maximumCSIDLength {
                errors.add("csid", "The csid field must not be greater than \(maximumCSIDLength) characters.")
            } else {
                options.csid = csid
            }
        }
        for (name, allowed, keyPath) in [
            ("page_size", pageSizes, \FaxOptions.pageSize),
            ("resolution", resolutions, \FaxOptions.resolution),
            ("optimize_for", optimizations, \FaxOptions.optimizeFor),
        ] as [(String, Set<String>, WritableKeyPath<FaxOptions, String?>)] {
            guard let text = value(name) else { continue }
            if allowed.contains(text) {
                options[keyPath: keyPath] = text
            } else {
                errors.add(name, "The selected \(name) is invalid; allowed: \(allowed.sorted().joined(separator: ", ")).")
            }
        }
    }

    /// The problem with a webhook URL, or `nil` when it is acceptable.
    static func webhookURLProblem(_ url: String) -> String? {
        if url.count > WebhookURL.maximumLength {
            return "The webhook_url field must not be greater than \(WebhookURL.maximumLength) characters."
        }
        return WebhookURL.isValid(url) ? nil : "The webhook_url field must be a valid http or https URL."
    }

    private static func validateFile(_ file: MultipartPart, errors: inout FieldErrors) -> FaxDocument? {
        let filename = file.filename ?? "file"
        let fileExtension = filename.split(separator: ".").count > 1 ? filename.split(separator: ".").last.map { $0.lowercased() } : nil
        let declared = file.contentType?.split(separator: ";").first.map { HeaderParameters.trim($0).lowercased() }
        let byExtension = fileExtension.flatMap { allowedTypes[$0] }
        let byContentType = declared.flatMap { type in Set(allowedTypes.values).contains(type) ? type : nil }
        var valid = true
        if file.bytes.count > maximumFileBytes {
            errors.add("file", "The file field must not be greater than 10240 kilobytes.")
            valid = false
        }
        if byExtension == nil && byContentType == nil {
            errors.add("file", "The file field must be a file of type: pdf, docx, xlsx, jpg, png, tiff, html, txt.")
            valid = false
        }
        if file.bytes.isEmpty {
            errors.add("file", "The file field must not be empty.")
            valid = false
        }
        guard valid else { return nil }
        let digest = Hex.string(SHA256.hash(data: file.bytes))
        return FaxDocument(
            filename: filename,
            contentType: byContentType ?? byExtension ?? "application/octet-stream",
            byteCount: file.bytes.count,
            sha256: digest
        )
    }

    private static func validateTags(json: String?, parts: [(String, String)], errors: inout FieldErrors) -> [String: String] {
        var tags: [String: String] = [:]
        if let json, !json.isEmpty {
            if let object = (try? JSONDecoder().decode(JSONValue.self, from: Data(json.utf8)))?.objectValue {
                for (key, value) in object {
                    guard case .string(let text) = value else {
                        errors.add("tags", "The tags field must be a JSON object whose values are strings.")
                        return [:]
                    }
                    tags[key] = text
                }
            } else {
                errors.add("tags", "The tags field must be a JSON object whose values are strings.")
                return [:]
            }
        }
        for (key, value) in parts { tags[key] = value }
        if tags.count > maximumTags {
            errors.add("tags", "The tags field must not have more than \(maximumTags) items.")
        }
        for (key, value) in tags.sorted(by: { $0.key < $1.key }) {
            if key.isEmpty || key.count > maximumTagLength {
                errors.add("tags", "Each tag key must be between 1 and \(maximumTagLength) characters.")
            }
            if value.count > maximumTagLength {
                errors.add("tags.\(key)", "The tags.\(key) field must not be greater than \(maximumTagLength) characters.")
            }
        }
        return tags
    }
}

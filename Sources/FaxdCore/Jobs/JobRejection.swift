/// Why a `fax.jobs` record is not a valid job v1 (DESIGN §3). A rejected record is never retried: it
/// gets a `fax.rejected` event when `reference` is known and goes to the dead-letter topic.
///
/// `reason` is one sentence naming the field. It never carries document bytes, URLs (they may hold
/// access tokens), tag values or a full recipient number.
public struct JobRejection: Error, Sendable, Hashable, CustomStringConvertible {
    /// A stable machine-readable rejection code; new codes may be added.
    public struct Code: RawRepresentable, Sendable, Hashable, CustomStringConvertible {
        public let rawValue: String

        public init(rawValue: String) {
            self.rawValue = rawValue
        }

        /// The record value is not JSON.
        public static let notJSON = Code(rawValue: "not_json")
        /// The value is JSON but not an object.
        public static let notAnObject = Code(rawValue: "not_an_object")
        /// The value nests arrays and objects deeper than `Job.maximumNesting`.
        public static let tooDeep = Code(rawValue: "too_deep")
        /// A required field is absent or `null`.
        public static let missingField = Code(rawValue: "missing_field")
        /// A field has the wrong type or breaks a rule.
        public static let invalidField = Code(rawValue: "invalid_field")
        /// `tenant_id` differs from the record key.
        public static let tenantKeyMismatch = Code(rawValue: "tenant_key_mismatch")
        /// The inline document is larger than `Job.maximumDocumentSize`.
        public static let documentTooLarge = Code(rawValue: "document_too_large")
        /// The document's type is not one mintfax accepts.
        public static let unsupportedDocumentType = Code(rawValue: "unsupported_document_type")

        public var description: String { rawValue }
    }

    public var code: Code
    /// The JSON path of the offending field, e.g. `document.url` or `tags.order_id`; nil when the
    /// record as a whole is at fault.
    public var field: String?
    /// One human sentence naming the field and the rule it breaks.
    public var reason: String
    /// The record's `tenant_id` when it is valid and agrees with the record key.
    public var tenantID: String?
    /// The record's `job_id` when it is valid.
    public var jobID: String?

    public init(code: Code, field: String?, reason: String, tenantID: String? = nil, jobID: String? = nil) {
        self.code = code
        self.field = field
        self.reason = reason
        self.tenantID = tenantID
        self.jobID = jobID
    }

    /// The job the record was meant to be, when both its tenant and job id could be read; the
    /// `fax.rejected` event needs both.
    public var reference: JobReference? {
        guard let tenantID, let jobID else { return nil }
        return JobReference(tenantID: tenantID, jobID: jobID)
    }

    /// The `error` of the `fax.rejected` event: this code and reason, not retryable, no HTTP status.
    public var errorInfo: ErrorInfo {
        ErrorInfo(code: code.rawValue, message: reason, retryable: false, httpStatus: nil)
    }

    public var description: String {
        "\(code)\(field.map { " at \($0)" } ?? ""): \(reason)"
    }
}

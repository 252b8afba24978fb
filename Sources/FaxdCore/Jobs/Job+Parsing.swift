import Foundation

extension Job {
    /// The largest inline document, decoded: 10 MiB (10 × 1024 × 1024 bytes), mintfax's file limit.
    public static let maximumDocumentSize = 10 * 1024 * 1024

    /// The fields a job v1 must have; `null` counts as absent.
    public static let requiredFields = ["job_id", "tenant_id", "to", "document"]

    /// Parses and validates the value of a `fax.jobs` record against job v1 (DESIGN §3).
    ///
    /// - Parameters:
    ///   - value: The record value, UTF-8 JSON.
    ///   - key: The record key. When set and not empty, `tenant_id` must equal it byte for byte; a
    ///     null or empty key is not checked.
    /// - Returns: The job, or the first rule the record breaks, checked in the order of DESIGN §3.
    ///   Unknown fields are ignored; `null` for an optional field means absent.
    public static func parse(value: [UInt8], key: [UInt8]?) -> Result<Job, JobRejection> {
        // Foundation's decoder, which reads what `JSONValue.decode` does not, takes time growing much
        // faster than the depth on deeply nested input (seconds a record at a depth of a thousand):
        // no job needs more than a few levels.
        if nestingExceeds(maximumNesting, in: value) {
            return .failure(
                JobRejection(code: .tooDeep, field: nil, reason: "The record value nests JSON more than \(maximumNesting) levels deep.")
            )
        }
        guard let root = JSONValue.decode(value) else {
            return .failure(JobRejection(code: .notJSON, field: nil, reason: "The record value is not valid JSON."))
        }
        guard let object = root.objectValue else {
            return .failure(
                JobRejection(
                    code: .notAnObject,
                    field: nil,
                    reason: "The record value must be a JSON object, not \(root.kindDescription)."
                )
            )
        }
        let parser = JobParser(object: object, key: key.flatMap { $0.isEmpty ? nil : $0 })
        do {
            return .success(try parser.parse())
        } catch {
            return .failure(error)
        }
    }

    /// The deepest nesting of arrays and objects a job may have (a job itself needs 3).
    public static let maximumNesting = 32

    /// Whether the brackets outside strings in `bytes` nest deeper than `limit`; one pass, without
    /// parsing (malformed input is left to the decoder).
    public static func nestingExceeds(_ limit: Int, in bytes: [UInt8]) -> Bool {
        var depth = 0
        var inString = false
        var escaped = false
        for byte in bytes {
            if inString {
                if escaped {
                    escaped = false
                } else if byte == UInt8(ascii: "\\") {
                    escaped = true
                } else if byte == UInt8(ascii: "\"") {
                    inString = false
                }
                continue
            }
            switch byte {
            case UInt8(ascii: "\""): inString = true
            case UInt8(ascii: "["), UInt8(ascii: "{"):
                depth += 1
                if depth > limit { return true }
            case UInt8(ascii: "]"), UInt8(ascii: "}"): depth -= 1
            default: break
            }
        }
        return false
    }
}

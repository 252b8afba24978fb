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
        let root: JSONValue
        do {
            root = try JSONDecoder().decode(JSONValue.self, from: Data(value))
        } catch {
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
}

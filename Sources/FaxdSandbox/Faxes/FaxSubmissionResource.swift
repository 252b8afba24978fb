import FaxdCore
import Foundation

/// The `201` answer of a submission or resend (API.md §2.1):
/// `{id, status, to, tags, created_at}` plus `resent_from` on resends.
struct FaxSubmissionResource: Sendable {
    let fax: FaxRecord

    /// The JSON, keys sorted and slashes unescaped as `JSONBody.encode` writes the sandbox's other
    /// answers, written directly: `JSONEncoder` was the sandbox's largest cost per submission
    /// (docs/benchmarks.md). `FaxSubmissionResourceTests` holds it to `JSONEncoder`'s bytes.
    func jsonBytes() -> [UInt8] {
        var json = JSONWriter(capacity: 256)
        json.beginObject()
        json.field("created_at", Timestamp.format(fax.createdAt))
        json.field("id", fax.id)
        if let resentFrom = fax.resentFrom { json.field("resent_from", resentFrom) }
        json.field("status", fax.status.rawValue)
        json.key("tags")
        json.beginObject()
        // By UTF-8 bytes, as `JSONEncoder` sorts: `String`'s `<` compares canonical equivalents.
        for (key, value) in fax.options.tags.sorted(by: { $0.key.utf8.lexicographicallyPrecedes($1.key.utf8) }) {
            json.field(key, value)
        }
        json.endObject()
        json.field("to", fax.to)
        json.endObject()
        return json.bytes
    }
}

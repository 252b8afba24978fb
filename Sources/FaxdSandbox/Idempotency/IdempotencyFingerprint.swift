import Crypto
import FaxdCore
import Foundation

/// The canonical hash that decides whether two requests with the same `Idempotency-Key` are the
/// same request (API.md §3, **[inferred]**): SHA-256 over the method, the path and the content,
/// independent of multipart boundaries, part order and JSON key order.
enum IdempotencyFingerprint {
    /// For a multipart body: every text part as `name=value` and every file part as its name,
    /// filename, content type and content SHA-256, sorted, so part order does not matter.
    static func multipart(method: String, path: String, parts: [MultipartPart]) -> String {
        let entries = parts.map { part -> String in
            if let filename = part.filename {
                let digest = Hex.string(SHA256.hash(data: part.bytes))
                return "file:\(part.name.count):\(part.name):\(filename.count):\(filename):\(part.contentType ?? ""):\(digest)"
            }
            return "field:\(part.name.count):\(part.name):\(part.text.count):\(part.text)"
        }.sorted()
        return digest(["\(method) \(path)"] + entries)
    }

    /// For a JSON body: the body re-encoded with sorted keys (an empty body counts as `{}`); a
    /// body that is not JSON is hashed as it is.
    static func json(method: String, path: String, body: [UInt8]) -> String {
        let canonical: [UInt8]
        if body.isEmpty {
            canonical = Array("{}".utf8)
        } else if let value = try? JSONDecoder().decode(JSONValue.self, from: Data(body)),
            let encoded = try? JSONBody.encode(value)
        {
            canonical = encoded
        } else {
            canonical = body
        }
        return digest(["\(method) \(path)", String(decoding: canonical, as: UTF8.self)])
    }

    private static func digest(_ entries: [String]) -> String {
        var hasher = SHA256()
        for entry in entries {
            hasher.update(data: Array(entry.utf8))
            hasher.update(data: [0])
        }
        return Hex.string(hasher.finalize())
    }
}

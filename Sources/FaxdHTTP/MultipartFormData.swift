import FaxdCore
import Glibc

/// A `multipart/form-data` request body (RFC 7578), built in memory.
///
/// ```swift
/// var form = MultipartFormData()
/// form.addField(name: "to", value: "+15551234567")
/// form.addFile(name: "document", filename: "fax.pdf", contentType: "application/pdf", bytes: pdf)
/// let request = HTTPRequest(
///     method: .POST, url: url,
///     headers: ["Content-Type": form.contentType],
///     body: try form.encode())
/// ```
///
/// Field names and filenames are escaped as browsers do: `"` becomes `%22`, CR `%0D` and
/// LF `%0A`, so no value can end its quoted string or start a new header line.
public struct MultipartFormData: Sendable {
    /// The default ``maximumSize``: 10 MiB (10 × 1024 × 1024 bytes).
    public static let defaultMaximumSize = 10 * 1024 * 1024

    private enum Part: Sendable {
        case field(name: String, value: String)
        case file(name: String, filename: String, contentType: String, bytes: [UInt8])
    }

    /// The boundary delimiting parts: `faxd-` and 32 random hexadecimal digits (128 bits from
    /// the system's secure generator), so content colliding with it is not a practical concern.
    public let boundary: String
    /// The largest encoded body ``encode()`` produces, in bytes, counting every delimiter and
    /// part header. Default ``defaultMaximumSize`` (10 MiB).
    public var maximumSize: Int
    private var parts: [Part] = []

    /// Creates an empty form with a fresh random boundary.
    ///
    /// - Parameter maximumSize: the encoded size limit in bytes; default 10 MiB.
    public init(maximumSize: Int = MultipartFormData.defaultMaximumSize) {
        self.boundary = "faxd-" + Self.randomHex(byteCount: 16)
        self.maximumSize = maximumSize
        parts.reserveCapacity(8)  // a fax's fields and file at once, not grown one doubling at a time
    }

    /// `byteCount` bytes from the system's secure generator in lowercase hexadecimal (`Hex.string`):
    /// one `getrandom(2)` for all of them (glibc's `arc4random_buf`), where
    /// `SystemRandomNumberGenerator` makes one per 64 bits (two per request, docs/benchmarks.md).
    private static func randomHex(byteCount: Int) -> String {
        var bytes = [UInt8](repeating: 0, count: byteCount)
        bytes.withUnsafeMutableBytes { buffer in
            if let start = buffer.baseAddress { arc4random_buf(start, buffer.count) }
        }
        return Hex.string(bytes)
    }

    /// The `Content-Type` header value to send with the encoded body.
    public var contentType: String {
        "multipart/form-data; boundary=\(boundary)"
    }

    /// Appends a text field, sent as UTF-8.
    public mutating func addField(name: String, value: String) {
        parts.append(.field(name: name, value: value))
    }

    /// Appends a file part.
    ///
    /// - Parameters:
    ///   - name: the form field name.
    ///   - filename: the file name reported to the server.
    ///   - contentType: the part's media type, e.g. `application/pdf`; must not contain CR, LF
    ///     or NUL (checked by ``encode()``).
    ///   - bytes: the file content, sent unchanged.
    public mutating func addFile(name: String, filename: String, contentType: String, bytes: [UInt8]) {
        parts.append(.file(name: name, filename: filename, contentType: contentType, bytes: bytes))
    }

    /// Encodes the form.
    ///
    /// The size is checked before the body is assembled, so an oversized form costs no large
    /// allocation; the body is then written into one buffer of exactly that size (a part's
    /// header strings and byte copies were a tenth of a worker's allocations per job,
    /// docs/benchmarks.md).
    ///
    /// - Returns: the body bytes, to send with ``contentType``.
    /// - Throws: ``MultipartFormDataError`` `.tooLarge` if the encoded body would be larger
    ///   than ``maximumSize`` bytes; `.invalidContentType` for a content type containing CR,
    ///   LF or NUL.
    public func encode() throws(MultipartFormDataError) -> [UInt8] {
        var total = 0
        for part in parts {
            if case .file(let name, _, let contentType, _) = part,
                contentType.utf8.contains(where: { $0 == 0x0D || $0 == 0x0A || $0 == 0x00 })
            {
                throw MultipartFormDataError(
                    code: .invalidContentType,
                    reason: "the content type of file part \(Self.escape(name)) contains CR, LF or NUL"
                )
            }
            var counter = ByteCounter()
            write(part, to: &counter)
            total += counter.count
            try checkSize(total)
        }
        total += boundary.utf8.count + 6  // "--", the boundary, "--\r\n"
        try checkSize(total)
        var body = BodyBuffer(capacity: total)
        for part in parts { write(part, to: &body) }
        body.write("--")
        body.write(boundary)
        body.write("--\r\n")
        return body.bytes
    }

    /// `part` as sent: its delimiter line, its headers, a blank line, its content and a CRLF.
    private func write(_ part: Part, to out: inout some MultipartOutput) {
        out.write("--")
        out.write(boundary)
        out.write("\r\nContent-Disposition: form-data; name=\"")
        switch part {
        case .field(let name, let value):
            out.writeEscaped(name)
            out.write("\"\r\n\r\n")
            out.write(value)
        case .file(let name, let filename, let contentType, let bytes):
            out.writeEscaped(name)
            out.write("\"; filename=\"")
            out.writeEscaped(filename)
            out.write("\"\r\nContent-Type: ")
            out.write(contentType)
            out.write("\r\n\r\n")
            out.write(bytes)
        }
        out.write("\r\n")
    }

    private func checkSize(_ size: Int) throws(MultipartFormDataError) {
        guard size <= maximumSize else {
            throw MultipartFormDataError(
                code: .tooLarge,
                reason: "the encoded form exceeds the maximum of \(maximumSize) bytes"
            )
        }
    }

    /// Escapes a name or filename for a quoted `Content-Disposition` parameter.
    fileprivate static func escape(_ text: String) -> String {
        // Most names need nothing escaped: returned as they are, not rebuilt scalar by scalar.
        guard text.utf8.contains(where: { $0 == UInt8(ascii: "\"") || $0 == 0x0D || $0 == 0x0A }) else { return text }
        var escaped = ""
        for scalar in text.unicodeScalars {
            switch scalar {
            case "\"": escaped += "%22"
            case "\r": escaped += "%0D"
            case "\n": escaped += "%0A"
            default: escaped.unicodeScalars.append(scalar)
            }
        }
        return escaped
    }
}

/// Where ``MultipartFormData`` writes a body: counted first, then written, by the same code.
private protocol MultipartOutput {
    mutating func write(_ bytes: some Collection<UInt8>)
}

extension MultipartOutput {
    mutating func write(_ text: String) { write(text.utf8) }

    mutating func writeEscaped(_ text: String) { write(MultipartFormData.escape(text)) }
}

/// Counts the bytes a body would have.
private struct ByteCounter: MultipartOutput {
    var count = 0

    mutating func write(_ bytes: some Collection<UInt8>) { count += bytes.count }
}

/// The body itself.
private struct BodyBuffer: MultipartOutput {
    var bytes: [UInt8] = []

    init(capacity: Int) { bytes.reserveCapacity(capacity) }

    mutating func write(_ bytes: some Collection<UInt8>) { self.bytes.append(contentsOf: bytes) }
}

public import Foundation

/// The document of a job: a claim check the worker downloads, or the bytes themselves.
public enum JobDocument: Sendable, Hashable {
    /// A document to download from `url` (http or https, with a host). `contentType` is the canonical
    /// MIME type from `document.content_type` or the URL path's extension; nil when neither says, and
    /// the download's `Content-Type` decides.
    case url(URL, contentType: String?)
    /// A document sent inline (`content_base64`, already decoded: at most
    /// `Job.maximumDocumentSize` bytes), its `filename`, and its canonical MIME type from
    /// `document.content_type` or the file name's extension.
    case inline(bytes: [UInt8], filename: String, contentType: String)
}

extension JobDocument: CustomStringConvertible, CustomDebugStringConvertible {
    /// A description safe for logs: the URL's scheme and host only (the path and query may carry
    /// access tokens), and for inline documents the size, never the bytes.
    public var description: String {
        switch self {
        case .url(let url, let contentType):
            "url(\(url.scheme ?? "?")://\(url.host ?? "?")/…, \(contentType ?? "type from download"))"
        case .inline(let bytes, let filename, let contentType):
            "inline(\(filename), \(contentType), \(bytes.count) bytes)"
        }
    }

    public var debugDescription: String { description }
}

/// The document types mintfax accepts (API §2.1): PDF, DOCX, XLSX, JPG, PNG, TIFF, HTML and TXT.
public enum DocumentType: String, Sendable, Hashable, CaseIterable {
    case pdf
    case docx
    case xlsx
    case jpeg
    case png
    case tiff
    case html
    case text

    /// The canonical MIME type, sent as the multipart part's `Content-Type`.
    public var mimeType: String {
        switch self {
        case .pdf: "application/pdf"
        case .docx: "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
        case .xlsx: "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
        case .jpeg: "image/jpeg"
        case .png: "image/png"
        case .tiff: "image/tiff"
        case .html: "text/html"
        case .text: "text/plain"
        }
    }

    /// The file name extensions (lower case, without the dot) that stand for this type.
    public var fileExtensions: [String] {
        switch self {
        case .pdf: ["pdf"]
        case .docx: ["docx"]
        case .xlsx: ["xlsx"]
        case .jpeg: ["jpg", "jpeg"]
        case .png: ["png"]
        case .tiff: ["tiff", "tif"]
        case .html: ["html", "htm"]
        case .text: ["txt"]
        }
    }

    /// The type of a MIME type such as `application/pdf` or `text/plain; charset=utf-8`: case is
    /// ignored, and so are parameters after `;`. Nil for any type mintfax does not accept.
    public init?(mimeType: String) {
        let essence = mimeType.split(separator: ";", maxSplits: 1, omittingEmptySubsequences: false)[0]
        let normalized = essence.trimmingASCIIWhitespace().lowercased()
        guard let type = Self.allCases.first(where: { $0.mimeType == normalized }) else { return nil }
        self = type
    }

    /// The type of a file name extension (without the dot, any case), e.g. `PDF` or `tif`.
    public init?(fileExtension: String) {
        let normalized = fileExtension.lowercased()
        guard let type = Self.allCases.first(where: { $0.fileExtensions.contains(normalized) }) else { return nil }
        self = type
    }

    /// The extension of the last path component of `name` (`report.final.PDF` → `PDF`), or nil when
    /// it has none (`README`, `archive.`, `.profile`).
    static func fileExtension(of name: String) -> Substring? {
        // By UTF-8 bytes (`/` and `.` are ASCII, so their indices are the string's): splitting the
        // name into components by `Character` was an array and grapheme breaking per job.
        let utf8 = name.utf8
        let componentStart = utf8.lastIndex(of: UInt8(ascii: "/")).map { utf8.index(after: $0) } ?? utf8.startIndex
        guard let dot = utf8[componentStart...].lastIndex(of: UInt8(ascii: ".")), dot != componentStart else { return nil }
        let extensionStart = utf8.index(after: dot)
        return extensionStart == utf8.endIndex ? nil : name[extensionStart...]
    }
}

extension StringProtocol {
    /// The string without leading and trailing spaces and tabs.
    fileprivate func trimmingASCIIWhitespace() -> SubSequence {
        let isBlank: (Character) -> Bool = { $0 == " " || $0 == "\t" }
        let start = firstIndex(where: { !isBlank($0) }) ?? endIndex
        let end = lastIndex(where: { !isBlank($0) }).map { index(after: $0) } ?? start
        return self[start..<end]
    }
}

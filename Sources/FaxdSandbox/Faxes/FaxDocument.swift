/// What the sandbox keeps of an uploaded file: its description and digest, not its bytes.
struct FaxDocument: Sendable, Equatable {
    var filename: String
    var contentType: String
    var byteCount: Int
    /// Lower-case hexadecimal SHA-256 of the bytes.
    var sha256: String
}

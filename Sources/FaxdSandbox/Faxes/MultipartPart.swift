/// One part of a `multipart/form-data` body.
package struct MultipartPart: Sendable {
    /// The `name` parameter of its `Content-Disposition`.
    package var name: String
    /// The `filename` parameter, present for file parts.
    package var filename: String?
    /// The part's `Content-Type`, if it has one.
    package var contentType: String?
    /// The part's content, unchanged.
    package var bytes: [UInt8]

    /// The content as UTF-8 text (invalid sequences become U+FFFD).
    var text: String { String(decoding: bytes, as: UTF8.self) }
}

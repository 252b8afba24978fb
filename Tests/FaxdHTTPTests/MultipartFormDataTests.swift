import FaxdHTTP
import Testing

@Suite("MultipartFormData encoding")
struct MultipartFormDataTests {
    @Test("fields and files encode with the expected structure")
    func structure() throws {
        var form = MultipartFormData()
        form.addField(name: "to", value: "+15551234567")
        form.addFile(name: "document", filename: "fax.txt", contentType: "text/plain", bytes: Array("page one".utf8))
        let encoded = String(decoding: try form.encode(), as: UTF8.self)
        let boundary = form.boundary
        let expected =
            "--\(boundary)\r\n"
            + "Content-Disposition: form-data; name=\"to\"\r\n\r\n"
            + "+15551234567\r\n"
            + "--\(boundary)\r\n"
            + "Content-Disposition: form-data; name=\"document\"; filename=\"fax.txt\"\r\n"
            + "Content-Type: text/plain\r\n\r\n"
            + "page one\r\n"
            + "--\(boundary)--\r\n"
        #expect(encoded == expected)
        #expect(form.contentType == "multipart/form-data; boundary=\(boundary)")
    }

    @Test("boundaries are random and well-formed")
    func boundary() {
        let first = MultipartFormData().boundary
        let second = MultipartFormData().boundary
        #expect(first != second)
        #expect(first.count == 37)
        #expect(first.hasPrefix("faxd-"))
        #expect(first.dropFirst(5).allSatisfy { $0.isHexDigit && !$0.isUppercase })
        // Every digit at both places of a byte: the bytes are drawn whole, not truncated.
        let many = (0..<200).map { _ in MultipartFormData().boundary.dropFirst(5) }
        #expect(Set(many).count == many.count)
        #expect(Set(many.flatMap { $0.enumerated().filter { $0.offset.isMultiple(of: 2) }.map(\.element) }).count == 16)
        #expect(Set(many.flatMap { $0.enumerated().filter { !$0.offset.isMultiple(of: 2) }.map(\.element) }).count == 16)
    }

    @Test("names and filenames escape quotes, CR and LF")
    func escaping() throws {
        var form = MultipartFormData()
        form.addFile(name: "a\"b", filename: "evil\r\nX-Injected: 1\".txt", contentType: "text/plain", bytes: [])
        let encoded = String(decoding: try form.encode(), as: UTF8.self)
        #expect(encoded.contains("name=\"a%22b\"; filename=\"evil%0D%0AX-Injected: 1%22.txt\"\r\n"))
        #expect(!encoded.contains("\r\nX-Injected"))
        // The size checked is the size written, escapes included.
        form.maximumSize = encoded.utf8.count
        #expect(try form.encode().count == encoded.utf8.count)
        form.maximumSize -= 1
        #expect(throws: MultipartFormDataError.self) { try form.encode() }
    }

    @Test("an 11 MB file part exceeds the 10 MB default limit")
    func tooLarge() {
        var form = MultipartFormData()
        #expect(form.maximumSize == 10 * 1024 * 1024)
        form.addFile(
            name: "document",
            filename: "big.bin",
            contentType: "application/octet-stream",
            bytes: [UInt8](repeating: 0, count: 11 * 1024 * 1024)
        )
        let error = #expect(throws: MultipartFormDataError.self) {
            try form.encode()
        }
        #expect(error?.code == .tooLarge)
    }

    @Test("the limit is configurable and counts delimiters and part headers")
    func configurableLimit() throws {
        var form = MultipartFormData(maximumSize: 2_000)
        form.addField(name: "x", value: String(repeating: "a", count: 900))
        let size = try form.encode().count
        #expect(size > 900)
        #expect(size <= 2_000)
        form.maximumSize = size
        #expect(try form.encode().count == size)
        form.maximumSize = size - 1
        #expect(throws: MultipartFormDataError.self) {
            try form.encode()
        }
    }

    @Test("a content type with CR/LF is rejected")
    func invalidContentType() {
        var form = MultipartFormData()
        form.addFile(name: "f", filename: "f", contentType: "text/plain\r\nX-Evil: 1", bytes: [1])
        let error = #expect(throws: MultipartFormDataError.self) {
            try form.encode()
        }
        #expect(error?.code == .invalidContentType)
    }
}

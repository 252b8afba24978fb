import FaxdHTTP
import FaxdSandbox
import Testing

/// The sandbox reads back what faxd's own encoder writes, whatever the names hold.
@Suite struct MultipartParserTests {
    @Test(arguments: [
        (name: "file", filename: #"C:\docs\a.pdf"#),
        (name: #"tag[a\"b]"#, filename: "quote\"d.pdf"),
        (name: "line\r\nbreak", filename: #"\\server\share\a.pdf"#),
        (name: "semi;colon", filename: "a;b.pdf"),
    ])
    func whatFaxdsEncoderWritesParsesBackUnchanged(name: String, filename: String) throws {
        var form = MultipartFormData()
        form.addField(name: "to", value: "+15005550001")
        form.addFile(name: name, filename: filename, contentType: "application/pdf", bytes: Array("%PDF-1.4 \\ x".utf8))
        let parts = try #require(MultipartParser.parse(try form.encode(), boundary: form.boundary))
        #expect(parts.map(\.name) == ["to", name])
        #expect(parts.last?.filename == filename)
        #expect(parts.last?.bytes == Array("%PDF-1.4 \\ x".utf8))
        #expect(parts.last?.contentType == "application/pdf")
    }
}

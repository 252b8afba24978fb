import Testing

@testable import FaxdHTTP

/// Field names compare as RFC 9110 tokens: equal but for ASCII case.
@Suite struct HTTPHeadersTests {
    @Test(arguments: [
        ("Content-Type", "content-type", true),
        ("IDEMPOTENCY-KEY", "Idempotency-Key", true),
        ("x-twice", "X-Twice", true),
        ("Content-Type", "Content-Typf", false),
        ("Content-Type", "Content-Type ", false),
        ("a", "", false),
        ("", "", true),
        ("[", "{", false),
        ("@", "`", false),
    ])
    func namesMatchButForASCIICase(first: String, second: String, same: Bool) {
        #expect(HTTPHeaders.sameName(first, second) == same)
    }

    @Test func lookupsFindTheFirstFieldOfANameAndEveryValueInOrder() {
        let headers = HTTPHeaders([("X-Twice", "first"), ("Content-Type", "text/plain"), ("x-twice", "second")])
        #expect(headers["x-TWICE"] == "first")
        #expect(headers["content-type"] == "text/plain")
        #expect(headers["content-length"] == nil)
        #expect(headers.values(forName: "X-TWICE") == ["first", "second"])
    }
}

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

    @Test func receivedHeadersAnswerLikeAddedOnes() {
        var received = HTTPHeaders.Received()
        received.removeAll()
        received.append(name: Array("X-Twice".utf8), value: Array("first".utf8))
        received.append(name: Array("Content-Type".utf8), value: Array("text/plain".utf8))
        received.append(name: Array("x-twice".utf8), value: Array("second".utf8))
        received.continueLastValue(Array("folded".utf8))
        received.append(name: Array("X-Bad".utf8), value: [0x61, 0xFF, 0x62])
        let headers = HTTPHeaders(received)
        #expect(headers["x-TWICE"] == "first")
        #expect(headers["content-type"] == "text/plain")
        #expect(headers["content-length"] == nil)
        #expect(headers.values(forName: "X-TWICE") == ["first", "second folded"])
        #expect(headers["x-bad"] == "a\u{FFFD}b")
        #expect(headers.count == 4)
        let added = HTTPHeaders([
            ("X-Twice", "first"), ("Content-Type", "text/plain"), ("x-twice", "second folded"), ("X-Bad", "a\u{FFFD}b"),
        ])
        #expect(headers == added)
        #expect(headers.map(\.name) == ["X-Twice", "Content-Type", "x-twice", "X-Bad"])
        var grown = headers
        grown.add(name: "X-New", value: "1")
        #expect(grown.count == 5 && grown["x-new"] == "1" && grown["x-twice"] == "first")
        #expect(headers.count == 4)
    }

    @Test func aNewStatusLineForgetsTheFieldsBefore() {
        var received = HTTPHeaders.Received()
        received.append(name: Array("X-Interim".utf8), value: Array("1".utf8))
        received.removeAll()
        received.continueLastValue(Array("orphan".utf8))
        received.append(name: Array("X-Final".utf8), value: Array("2".utf8))
        let headers = HTTPHeaders(received)
        #expect(headers.fields == [HTTPHeaders.Field(name: "X-Final", value: "2")])
    }
}

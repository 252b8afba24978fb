import FaxdCore
import Testing

@Suite struct MintfaxErrorEnvelopeTests {
    @Test func readsEveryField() throws {
        let body = #"""
            {
              "error": "validation_failed",
              "message": "The to field is required.",
              "action": "fix_request",
              "docs": "https://mintfax.com/docs/errors/validation-failed",
              "request_id": "req_01JA2B5M2N8P4Q6R0S3T7V9WXY",
              "context": {"errors": {"to": ["The to field is required."]}}
            }
            """#
        let envelope = MintfaxErrorEnvelope(body: Array(body.utf8), status: 422)
        #expect(envelope.code == "validation_failed")
        #expect(envelope.message == "The to field is required.")
        #expect(envelope.action == "fix_request")
        #expect(envelope.requestID == "req_01JA2B5M2N8P4Q6R0S3T7V9WXY")
        let errors = try #require(envelope.context?["errors"]?.objectValue)
        #expect(errors["to"] == .array([.string("The to field is required.")]))
    }

    @Test(arguments: [
        "", "<html><body>502 Bad Gateway</body></html>", "{", "[]", "null", #"{"error":{"code":"x"}}"#,
        #"{"error":""}"#,
        #"{"message":"only a message"}"#, "\u{FF}\u{FE}",
    ])
    func garbageGivesTheStatusCode(body: String) {
        let envelope = MintfaxErrorEnvelope(body: Array(body.utf8), status: 502)
        #expect(envelope.code == "http_502")
        #expect(!envelope.message.contains("<html>"))
        #expect(envelope.action == nil && envelope.requestID == nil && envelope.context == nil)
    }

    @Test func aMessageWithoutACodeIsKept() {
        let envelope = MintfaxErrorEnvelope(body: Array(#"{"message":"Slow down."}"#.utf8), status: 429)
        #expect(envelope.code == "http_429" && envelope.message == "Slow down.")
    }

    @Test func invalidUTF8BytesAreGarbageToo() {
        let envelope = MintfaxErrorEnvelope(body: [0x7B, 0xFF, 0x7D], status: 500)
        #expect(envelope.code == "http_500")
    }
}

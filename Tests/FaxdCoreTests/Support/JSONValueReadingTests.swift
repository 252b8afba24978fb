import Foundation
import Testing

@testable import FaxdCore

/// `JSONValue.decode` reads what `JSONDecoder` reads, value for value: its own reader where it can
/// (`JSONValue.Reader`), `JSONDecoder` for the rest.
@Suite struct JSONValueReadingTests {
    private static func decoder(_ text: [UInt8]) -> JSONValue? {
        try? JSONDecoder().decode(JSONValue.self, from: Data(text))
    }

    /// What the reader alone makes of `text` (nil: it leaves the text to `JSONDecoder`).
    private static func reader(_ text: [UInt8]) -> JSONValue? {
        text.withUnsafeBufferPointer { buffer in
            var reader = JSONValue.Reader(bytes: buffer)
            return reader.document()
        }
    }

    /// Texts the reader reads itself, each to the value `JSONDecoder` gives.
    static let plain: [String] = [
        #"{"job_id":"j-1","tenant_id":"acme","to":"+14155550100","document":{"url":"https://x.test/a.pdf"}}"#,
        " \t\r\n{ \"a\" : [ 1 , -2 , 3.5 , -0.25e-3 , 6E+2 , 0 , -0 ] , \"b\" : { } , \"c\" : [ ] } \n",
        #"[true,false,null,"",{"":""}]"#,
        #""a \"quoted\" \\ back\/slash \b\f\n\r\t end""#,
        #""\u00e9\u4E2D\uD83D\uDE00 \u0000 \u001f""#,
        "\"é 中 😀 raw UTF-8\"",
        "123456789012345",
        "-123456789012345",
        "1234567890123456789012345",
        "1.7976931348623157e308",
        "0.1",
        "-1.5E-10",
        "true",
        "null",
        #"{"max_attempts":3,"tags":{"k":"v"},"pages":[1,[2,[3]]]}"#,
    ]

    @Test(arguments: plain)
    func theReaderReadsPlainJSONAsJSONDecoderDoes(_ text: String) throws {
        let bytes = Array(text.utf8)
        let expected = try #require(Self.decoder(bytes), "JSONDecoder reads \(text)")
        #expect(Self.reader(bytes) == expected)
        #expect(JSONValue.decode(bytes) == expected)
    }

    /// Texts the reader leaves to `JSONDecoder`: not JSON, or JSON it does not take itself.
    static let left: [String] = [
        "", " ", "{", "}", "[1,]", "{\"a\":1,}", "{\"a\" 1}", "{a:1}", "01", "-", "1.", ".5", "+1", "1e", "1e+", "--1",
        "tru", "nul", "True", "[1 2]", "\"open", "\"tab\there\"", #""\x""#, #""\u12""#, #""\uD800""#, #""\uDC00x""#,
        #""\uD800\u0041""#, "1e309", "-1e400", "1e-400", "[-1e-400]", "4.9e-325", "2.4703282292062328e-324", "5e-324", "0.0", "-0e0",
        #"{"a":1,"a":2}"#, "{\"\u{E9}\":1,\"e\u{301}\":2}", "\u{FEFF}{}", "{} x", "[] []",
        String(repeating: "[", count: 65) + String(repeating: "]", count: 65),
    ]

    @Test(arguments: left)
    func theReaderLeavesTheRestToJSONDecoder(_ text: String) {
        let bytes = Array(text.utf8)
        #expect(Self.reader(bytes) == nil)
        #expect(JSONValue.decode(bytes) == Self.decoder(bytes))
    }

    @Test func invalidUTF8IsLeftToJSONDecoder() {
        for bytes: [UInt8] in [
            [0x22, 0xFF, 0x22], [0x22, 0xC3, 0x22], [0x22, 0xED, 0xA0, 0x80, 0x22], [0x7B, 0x22, 0x80, 0x22, 0x3A, 0x31, 0x7D],
        ] {
            #expect(Self.reader(bytes) == nil)
            #expect(JSONValue.decode(bytes) == Self.decoder(bytes))
        }
    }

    @Test func nestingUpToTheReadersDepthIsReadThere() throws {
        let text = Array((String(repeating: "[", count: 64) + "1" + String(repeating: "]", count: 64)).utf8)
        let expected = try #require(Self.decoder(text))
        #expect(Self.reader(text) == expected)
    }

    /// Random JSON-like texts (seeded, so every run reads the same ones), many of them broken by a
    /// changed, dropped or doubled byte: whatever the reader reads, it reads as `JSONDecoder` does.
    @Test func randomTextsReadTheSameEitherWay() {
        var random = SeededRandomNumberGenerator(seed: 16)
        var readHere = 0
        for _ in 0..<3_000 {
            var text = Array(Self.randomValue(depth: 0, random: &random).utf8)
            if Bool.random(using: &random), !text.isEmpty {
                let at = Int.random(in: 0..<text.count, using: &random)
                switch Int.random(in: 0..<3, using: &random) {
                case 0: text[at] = Self.alphabet.randomElement(using: &random)!
                case 1: text.remove(at: at)
                default: text.insert(text[at], at: at)
                }
            }
            let mine = Self.reader(text)
            if let mine {
                readHere += 1
                #expect(mine == Self.decoder(text), "\(String(decoding: text, as: UTF8.self))")
            }
            #expect(JSONValue.decode(text) == Self.decoder(text), "\(String(decoding: text, as: UTF8.self))")
        }
        // Most of the unbroken half is read by the reader itself (a random key twice is not).
        #expect(readHere > 1_200)
    }

    private static let alphabet = Array(#"{}[]:,"\ -+.eE0123456789aentrufl/u"#.utf8) + [0x00, 0x1F, 0xC3, 0xA9, 0xFF]

    private static func randomValue(depth: Int, random: inout SeededRandomNumberGenerator) -> String {
        let space = [" ", "", "", "\n", "\t"].randomElement(using: &random)!
        switch Int.random(in: 0..<(depth > 3 ? 5 : 7), using: &random) {
        case 0: return ["true", "false", "null"].randomElement(using: &random)!
        case 1: return String(Int.random(in: -1_000_000_000...1_000_000_000, using: &random))
        case 2:
            return ["0.5", "-12.25e3", "1E-7", "3.141592653589793", "9007199254740993", "-0", "1e22", "1e-400", "2.5e-320", "0.0", "1e400"]
                .randomElement(using: &random)!
        case 3, 4: return randomString(random: &random)
        case 5:
            let count = Int.random(in: 0..<4, using: &random)
            return "[" + space + (0..<count).map { _ in randomValue(depth: depth + 1, random: &random) }.joined(separator: "," + space)
                + "]"
        default:
            let count = Int.random(in: 0..<4, using: &random)
            let members = (0..<count).map { _ in
                randomString(random: &random) + space + ":" + randomValue(depth: depth + 1, random: &random)
            }
            return "{" + space + members.joined(separator: ",") + space + "}"
        }
    }

    private static func randomString(random: inout SeededRandomNumberGenerator) -> String {
        let pieces = ["a", "job_id", "é", "中", "😀", #"\""#, #"\\"#, #"\/"#, #"\n"#, #"\u00e9"#, #"\uD83D\uDE00"#, #"\u0041"#, " "]
        return "\"" + (0..<Int.random(in: 0..<4, using: &random)).map { _ in pieces.randomElement(using: &random)! }.joined() + "\""
    }
}

import FaxdMintfax
import Foundation
import Testing

/// Standard Webhooks signing and verification, against the specification's published example.
@Suite struct WebhookSignatureTests {
    static let specSecret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
    static let specID = "msg_p5jXN8AQM9LWM0D4loKWxJek"
    static let specTimestamp = 1_614_265_330
    static let specBody = Array(#"{"test": 2432232314}"#.utf8)
    static let specSignature = "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE="

    static let specNow: @Sendable () -> Date = { Date(timeIntervalSince1970: Double(specTimestamp)) }

    func verifier(_ secrets: [String] = [specSecret], now: @escaping @Sendable () -> Date = specNow) throws -> WebhookVerifier {
        WebhookVerifier(secrets: try secrets.map { try #require(WebhookSecret($0)) }, now: now)
    }

    @Test func signerReproducesTheSpecificationExample() throws {
        let secret = try #require(WebhookSecret(Self.specSecret))
        #expect(
            WebhookSigner(secret: secret).sign(id: Self.specID, timestamp: Self.specTimestamp, body: Self.specBody) == Self.specSignature
        )
    }

    @Test func verifierAcceptsTheSpecificationExample() throws {
        try verifier().verify(id: Self.specID, timestamp: String(Self.specTimestamp), signature: Self.specSignature, body: Self.specBody)
    }

    @Test func anyOfSeveralTokensAndAnyOfSeveralSecretsMatches() throws {
        let other = WebhookSecret(keyBytes: Array(repeating: 7, count: 24))
        let header = "v1,AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA= v2,whatever \(Self.specSignature)"
        try verifier().verify(id: Self.specID, timestamp: String(Self.specTimestamp), signature: header, body: Self.specBody)
        // Rotation: the old secret first, the new one second.
        try verifier([other.encoded, Self.specSecret])
            .verify(id: Self.specID, timestamp: String(Self.specTimestamp), signature: Self.specSignature, body: Self.specBody)
    }

    @Test(
        arguments: [
            (nil, "1614265330", specSignature, WebhookVerificationError.Code.missingHeaders),
            (specID, nil, specSignature, .missingHeaders),
            (specID, "1614265330", "", .missingHeaders),
            (specID, "soon", specSignature, .malformedSignature),
            (specID, "1614265330", "v2,abc", .malformedSignature),
            (specID, "1614265330", "v1,!!!", .malformedSignature),
            (specID, "1614265330", "v1,g1hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=", .noMatchingSignature),
            ("msg_other", "1614265330", specSignature, .noMatchingSignature),
            (specID, "1614264929", specSignature, .timestampTooOld),
            (specID, "1614265731", specSignature, .timestampTooNew),
        ] as [(String?, String?, String?, WebhookVerificationError.Code)]
    )
    func rejectionsCarryTheirCode(id: String?, timestamp: String?, signature: String?, code: WebhookVerificationError.Code) throws {
        let verifier = try verifier()
        #expect(throws: WebhookVerificationError.self) {
            try verifier.verify(id: id, timestamp: timestamp, signature: signature, body: Self.specBody)
        }
        do {
            try verifier.verify(id: id, timestamp: timestamp, signature: signature, body: Self.specBody)
        } catch {
            #expect(error.code == code, "\(error)")
        }
    }

    @Test func aChangedBodyDoesNotVerify() throws {
        var body = Self.specBody
        body[body.count - 2] = UInt8(ascii: "5")
        #expect(throws: WebhookVerificationError(code: .noMatchingSignature, reason: "no signature matches an accepted secret")) {
            try verifier().verify(id: Self.specID, timestamp: String(Self.specTimestamp), signature: Self.specSignature, body: body)
        }
    }

    @Test func timestampsWithinFiveMinutesEitherWayAreAccepted() throws {
        for offset in [-300, 300] {
            let now = Date(timeIntervalSince1970: Double(Self.specTimestamp + offset))
            try verifier(now: { now }).verify(
                id: Self.specID,
                timestamp: String(Self.specTimestamp),
                signature: Self.specSignature,
                body: Self.specBody
            )
        }
    }

    @Test func oversizedBodiesAreRejectedBeforeHashing() throws {
        let secret = try #require(WebhookSecret(Self.specSecret))
        let verifier = WebhookVerifier(secrets: [secret], maximumBodySize: 8, now: Self.specNow)
        do {
            try verifier.verify(id: Self.specID, timestamp: String(Self.specTimestamp), signature: Self.specSignature, body: Self.specBody)
            Issue.record("accepted an oversized body")
        } catch {
            #expect(error.code == .bodyTooLarge)
        }
    }

    @Test func secretsParseStrictlyAndNeverPrintThemselves() throws {
        #expect(WebhookSecret("MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw") == nil)
        #expect(WebhookSecret("whsec_") == nil)
        #expect(WebhookSecret("whsec_not base64!") == nil)
        let secret = try #require(WebhookSecret(Self.specSecret))
        #expect(secret.encoded == Self.specSecret)
        #expect(!"\(secret)".contains("MfKQ"))
        #expect(!String(reflecting: secret).contains("MfKQ"))
        var generator = SystemRandomNumberGenerator()
        let fresh = WebhookSecret.random(using: &generator)
        #expect(fresh.encoded.hasPrefix("whsec_") && WebhookSecret(fresh.encoded) == fresh)
    }
}

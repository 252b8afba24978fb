import FaxdMintfax

/// A fixed webhook secret for environments the tests add.
enum WebhookSecretFixture {
    static let secret = WebhookSecret(keyBytes: Array("faxd-sandbox-test-secret".utf8))
}

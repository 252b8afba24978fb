import FaxdHTTP
import Foundation
import Testing

@testable import FaxdSandbox

/// The sandbox's state machines as values, without HTTP.
@Suite struct SandboxCoreTests {
    let start = Date(timeIntervalSince1970: 1_800_000_000)

    @Test func theRateLimiterWindowSlides() {
        var limiter = SlidingWindowRateLimiter(limit: 3)
        let decisions = (0..<3).map { limiter.acquire(now: start.addingTimeInterval(Double($0) * 10)) }
        #expect(decisions.map(\.allowed) == [true, true, true])
        #expect(decisions.map(\.remaining) == [2, 1, 0])
        #expect(decisions.map(\.resetSeconds) == [60, 50, 40])
        let rejected = limiter.acquire(now: start.addingTimeInterval(25))
        #expect(!rejected.allowed && rejected.retryAfterSeconds == 35 && rejected.remaining == 0)
        // The first request leaves the window at +60: one slot frees.
        let freed = limiter.acquire(now: start.addingTimeInterval(60))
        #expect(freed.allowed && freed.remaining == 0 && freed.resetSeconds == 10)
        let full = limiter.acquire(now: start.addingTimeInterval(61))
        #expect(full.allowed == false)
    }

    @Test func theIdempotencyStoreClaimsReplaysAndForgets() {
        var store = IdempotencyStore()
        let answer = StoredResponse(status: 201, body: Array("{}".utf8))
        #expect(store.begin(key: "k", fingerprint: "a", now: start) == .proceed)
        #expect(store.begin(key: "k", fingerprint: "a", now: start) == .inProgress)
        #expect(store.begin(key: "k", fingerprint: "b", now: start) == .reuse)
        store.complete(key: "k", response: answer, now: start)
        #expect(store.begin(key: "k", fingerprint: "a", now: start.addingTimeInterval(3600)) == .replay(answer))
        #expect(store.begin(key: "k", fingerprint: "b", now: start) == .reuse)
        #expect(store.begin(key: "k", fingerprint: "b", now: start.addingTimeInterval(IdempotencyStore.retention)) == .proceed)
        store.abandon(key: "k")
        #expect(store.begin(key: "k", fingerprint: "c", now: start) == .proceed)
    }

    @Test func theFaxStateMachineFollowsItsScenario() throws {
        var fax = FaxRecord(
            id: "fax_1",
            sequence: 0,
            to: "+15005550004",
            document: FaxDocument(filename: "a.pdf", contentType: "application/pdf", byteCount: 1, sha256: ""),
            options: FaxOptions(),
            idempotencyKey: nil,
            resentFrom: nil,
            holdCents: 6,
            createdAt: start
        )
        let startedTooEarly = fax.startAttempt(at: start)
        let finishedTooEarly = fax.finishAttempt(at: start)
        #expect(startedTooEarly == false && finishedTooEarly == nil)
        let submitted = fax.markSubmitted(at: start)
        #expect(submitted && fax.status == .submitted && fax.pages == 1)
        let submittedTwice = fax.markSubmitted(at: start)
        #expect(submittedTwice == false)
        let started = fax.startAttempt(at: start)
        #expect(started && fax.status == .inProgress)
        let first = fax.finishAttempt(at: start.addingTimeInterval(2))
        #expect(first == .willRetry)
        #expect(fax.status == .submitted && fax.attempts[0].errorCode == "no_answer" && fax.attempts[0].durationMilliseconds == 2000)
        let restarted = fax.startAttempt(at: start)
        let second = fax.finishAttempt(at: start)
        #expect(restarted && second == .delivered(pages: 1))
        #expect(fax.status.isTerminal && fax.errorCode == nil && fax.completedAt != nil)
        let afterTheEnd = fax.startAttempt(at: start)
        #expect(afterTheEnd == false)
    }

    @Test(
        arguments: [
            ("+15005550002", FaxRecord.AttemptResult.failed, 2, "busy"),
            ("+15005550008", .failed, 1, "invalid_number"),
            ("+15005550007", .delivered(pages: 3), 1, nil),
        ] as [(String, FaxRecord.AttemptResult, Int, String?)]
    )
    func scenariosEndAsDocumented(to: String, result: FaxRecord.AttemptResult, attempts: Int, errorCode: String?) {
        var fax = FaxRecord(
            id: "fax_1",
            sequence: 0,
            to: to,
            document: FaxDocument(filename: "a.pdf", contentType: "application/pdf", byteCount: 1, sha256: ""),
            options: FaxOptions(maxAttempts: 2),
            idempotencyKey: nil,
            resentFrom: nil,
            holdCents: 6,
            createdAt: start
        )
        _ = fax.markSubmitted(at: start)
        var last: FaxRecord.AttemptResult?
        while fax.startAttempt(at: start) { last = fax.finishAttempt(at: start) }
        #expect(last == result && fax.attempts.count == attempts && fax.errorCode == errorCode)
    }

    @Test func balancesHoldCaptureAndRelease() {
        var balance = Balance(available: 10)
        let tooMuch = balance.hold(11)
        #expect(tooMuch == false && balance == Balance(available: 10))
        let held = balance.hold(6)
        #expect(held && balance == Balance(available: 4, held: 6))
        balance.capture(hold: 6, charge: 18)
        #expect(balance == Balance(available: -8, held: 0))
        var other = Balance(available: 10)
        _ = other.hold(6)
        other.release(hold: 6)
        #expect(other == Balance(available: 10))
    }

    @Test func multipartBodiesFromOurClientParse() throws {
        var form = MultipartFormData()
        form.addField(name: "to", value: "+15005550001")
        form.addField(name: "tag[a \"quoted\" key]", value: "línea\r\nzwei")
        form.addFile(name: "file", filename: "x.pdf", contentType: "application/pdf", bytes: Array("--\r\n%PDF".utf8))
        let boundary = try #require(MultipartParser.boundary(fromContentType: form.contentType))
        let parts = try #require(MultipartParser.parse(try form.encode(), boundary: boundary))
        #expect(parts.map(\.name) == ["to", "tag[a \"quoted\" key]", "file"])
        #expect(parts[1].text == "línea\r\nzwei")
        #expect(parts[2].filename == "x.pdf" && parts[2].contentType == "application/pdf" && parts[2].bytes == Array("--\r\n%PDF".utf8))
        #expect(MultipartParser.parse(Array("no boundary here".utf8), boundary: boundary) == nil)
        #expect(MultipartParser.boundary(fromContentType: "application/json") == nil)
        #expect(MultipartParser.boundary(fromContentType: #"multipart/form-data; boundary="a;b""#) == "a;b")
    }

    @Test func fingerprintsIgnorePartOrderButNotContent() {
        let to = MultipartPart(name: "to", filename: nil, contentType: nil, bytes: Array("+1500".utf8))
        let file = MultipartPart(name: "file", filename: "a.pdf", contentType: "application/pdf", bytes: [1, 2])
        let changed = MultipartPart(name: "file", filename: "a.pdf", contentType: "application/pdf", bytes: [1, 3])
        let a = IdempotencyFingerprint.multipart(method: "POST", path: "/v1/faxes", parts: [to, file])
        #expect(a == IdempotencyFingerprint.multipart(method: "POST", path: "/v1/faxes", parts: [file, to]))
        #expect(a != IdempotencyFingerprint.multipart(method: "POST", path: "/v1/faxes", parts: [to, changed]))
        #expect(
            IdempotencyFingerprint.json(method: "POST", path: "/r", body: Array(#"{"a":1,"b":2}"#.utf8))
                == IdempotencyFingerprint.json(method: "POST", path: "/r", body: Array(#"{ "b": 2, "a": 1 }"#.utf8))
        )
    }

    @Test func theFaultGeneratorIsReproducible() {
        let faults = FaultConfiguration(
            seed: 42,
            latency: .init(minMilliseconds: 5, maxMilliseconds: 50),
            serverErrorRate: 0.3,
            dropConnectionRate: 0.1
        )
        var first = FaultInjector(configuration: faults, now: start)
        var second = FaultInjector(configuration: faults, now: start)
        let a = (0..<50).map { _ in (first.submissionFault(), first.latency()) }
        let b = (0..<50).map { _ in (second.submissionFault(), second.latency()) }
        #expect(a.map(\.0) == b.map(\.0) && a.map(\.1) == b.map(\.1))
        #expect(a.contains { $0.0 == .dropConnection } && a.contains { $0.0 == nil })
        let storm = FaultInjector(configuration: FaultConfiguration(rateLimitStorms: [.init(environment: "acme", seconds: 10)]), now: start)
        #expect(storm.stormRemaining(environment: "acme", now: start.addingTimeInterval(2.5)) == 8)
        #expect(storm.stormRemaining(environment: "acme", now: start.addingTimeInterval(10)) == nil)
        #expect(storm.stormRemaining(environment: "globex", now: start) == nil)
    }

    @Test func theExampleConfigFileLoads() throws {
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        let configuration = try SandboxConfiguration.load(contentsOfFile: root.appendingPathComponent("config/sandbox.yaml").path)
        #expect(configuration.environments.map(\.name) == ["acme", "globex", "initech"])
        #expect(configuration.environments[1].rateLimitPerMinute == 120)
        #expect(configuration.environments[0].webhookEndpoints.count == 1)
        #expect(configuration.environments[0].apiKey == SandboxConfiguration.demoEnvironments[0].apiKey)
        try SandboxConfiguration.demo.validate()
    }

    @Test(arguments: [
        ("port: 70000", "port must be between 0 and 65535"),
        ("time_scale: 0", "time_scale must be greater than 0"),
        ("fax_webhook_url: sometimes", "fax_webhook_url must be override or supplement"),
        ("environments: []", "environments must list at least one environment"),
        ("environments:\n  - name: a\n    api_key: mfx_live_aaaaaaaaaaaaaaaaaaaaaaaa\n", "environments[0].api_key is a mfx_live_ key"),
        (
            "environments:\n  - name: a\n    api_key: mfx_test_aaaaaaaaaaaaaaaaaaaaaaaa\n    webhook_secret: nope\n",
            "environments[0].webhook_secret"
        ),
        (
            "environments:\n  - name: a\n    api_key: mfx_test_aaaaaaaaaaaaaaaaaaaaaaaa\n  - name: a\n    api_key: mfx_test_bbbbbbbbbbbbbbbbbbbbbbbb\n",
            "environments[1].name 'a' is used twice"
        ),
        (
            "environments:\n  - name: a\n    api_key: mfx_test_aaaaaaaaaaaaaaaaaaaaaaaa\n    balance_cents: lots\n",
            "environments[0].balance_cents must be an integer"
        ),
        ("faults:\n  latency: {min_ms: 10, max_ms: 5}\n", "faults.latency"),
        ("[unclosed", "not valid YAML"),
    ])
    func badConfigurationsNameTheSetting(yaml: String, message: String) {
        do {
            _ = try SandboxConfiguration.load(yaml: yaml)
            Issue.record("accepted: \(yaml)")
        } catch {
            #expect(error.reason.contains(message), "\(error.reason)")
            #expect(!error.description.contains("\n"))
        }
    }
}

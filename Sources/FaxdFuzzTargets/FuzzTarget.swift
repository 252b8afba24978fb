import FaxdCore
import FaxdHTTP
import FaxdMintfax
import FaxdSandbox
import FaxdWorker
import Foundation

/// Every input faxd reads from outside, as one function each, for libFuzzer (`make fuzz`) and for the
/// corpus replay in `make test` (docs/reliability.md).
///
/// A target returns for any input, with the property it broke if one that must hold for every input
/// does not; a crash or a trap inside faxd's code is a finding too. Inputs are split
/// into their parts (headers, key, body) by `FuzzInput`, so one byte string drives a whole request.
public enum FuzzTarget: String, CaseIterable, Sendable {
    /// A `fax.jobs` record: key and value through `Job.parse`.
    case jobRecord = "job-record"
    /// A webhook delivery: `webhook-id`, `webhook-timestamp`, `webhook-signature` and body through
    /// verification, then event parsing and the facts the ingress would publish.
    case webhookDelivery = "webhook-delivery"
    /// A `POST /v1/faxes` body at the sandbox: content type and body through its multipart parser.
    case sandboxMultipart = "sandbox-multipart"
    /// A mintfax answer: status, `Retry-After` and body through the submission classifier and the
    /// lookups' decoders.
    case mintfaxResponse = "mintfax-response"
    /// The worker's YAML configuration file.
    case workerConfiguration = "worker-configuration"
    /// A tenants file.
    case tenantsFile = "tenants-file"
    /// A record of the job ledger's result topics.
    case ledgerEntry = "ledger-entry"

    /// Runs the target on one input: the property it broke, or nil.
    public func check(_ input: [UInt8]) -> String? {
        switch self {
        case .jobRecord: Self.jobRecord(FuzzInput(input))
        case .webhookDelivery: Self.webhookDelivery(FuzzInput(input))
        case .sandboxMultipart: Self.sandboxMultipart(FuzzInput(input))
        case .mintfaxResponse: Self.mintfaxResponse(FuzzInput(input))
        case .workerConfiguration: Self.workerConfiguration(input)
        case .tenantsFile: Self.tenantsFile(input)
        case .ledgerEntry: Self.ledgerEntry(input)
        }
    }

    /// Runs the target on one input and stops the process on a broken property, for libFuzzer.
    public func run(_ input: [UInt8]) {
        if let violation = check(input) { fatalError("\(rawValue): \(violation)") }
    }

    // MARK: Targets

    /// Input: a key line (`-` for no key), then the value.
    private static func jobRecord(_ input: FuzzInput) -> String? {
        var input = input
        let keyLine = input.line()
        let key: [UInt8]? = keyLine == Array("-".utf8) ? nil : keyLine
        switch Job.parse(value: input.rest, key: key) {
        case .success(let job):
            if let key, !key.isEmpty, Array(job.tenantID.utf8) != key {
                return "a job was accepted whose tenant_id differs from its record key"
            }
            if job.idempotencyKey() != job.idempotencyKey() {
                return "a job's idempotency key is not deterministic"
            }
        case .failure(let rejection):
            if rejection.reason.isEmpty { return "a rejection without a reason" }
            // Past the nesting limit JSONDecoder takes seconds a record; Job.parse never reads such.
            if rejection.code == .tooDeep { return nil }
        }
        return readsAsJSONDecoderDoes(input.rest)
    }

    /// `JSONValue.decode`, which reads job records and mintfax's answers, gives what `JSONDecoder` does.
    private static func readsAsJSONDecoderDoes(_ bytes: [UInt8]) -> String? {
        JSONValue.decode(bytes) == (try? JSONDecoder().decode(JSONValue.self, from: Data(bytes)))
            ? nil : "JSONValue.decode and JSONDecoder read the same bytes differently"
    }

    /// Input: `webhook-id`, `webhook-timestamp` and `webhook-signature` lines (`-` for absent), then the body.
    private static func webhookDelivery(_ input: FuzzInput) -> String? {
        var input = input
        let id = input.header()
        let timestamp = input.header()
        let signature = input.header()
        let body = input.rest
        let verifier = WebhookVerifier(secrets: [webhookSecret], now: { webhookNow })
        do {
            try verifier.verify(id: id, timestamp: timestamp, signature: signature, body: body)
        } catch {
            _ = error.code
        }
        // The same body signed by mintfax must verify, whatever it holds.
        let signedID = id.flatMap { $0.isEmpty ? nil : $0 } ?? "msg_fuzz"
        let signed = WebhookSigner(secret: webhookSecret).sign(id: signedID, timestamp: webhookTimestamp, body: body)
        do {
            try verifier.verify(id: signedID, timestamp: String(webhookTimestamp), signature: signed, body: body)
        } catch {
            if body.count <= WebhookVerifier.defaultMaximumBodySize {
                return "a body signed with the endpoint's secret did not verify: \(error.code)"
            }
        }
        guard let event = try? MintfaxWebhookEvent.parse(body), let fax = event.fax, let job = fax.jobReference else { return nil }
        let facts = DeliveryFacts.of(fax, job: job, factory: EventFactory(source: .webhook, environment: .sandbox))
        for status in facts.status where status.tenantID != job.tenantID {
            return "a webhook's status event names another tenant than its fax's tags"
        }
        for usage in facts.usage where usage.tenantID != job.tenantID {
            return "a webhook's usage event names another tenant than its fax's tags"
        }
        return nil
    }

    /// Input: a `Content-Type` line, then the body. A body that parses is encoded again by faxd's
    /// own multipart encoder and must parse back to the same parts.
    private static func sandboxMultipart(_ input: FuzzInput) -> String? {
        var input = input
        let contentType = String(decoding: input.line(), as: UTF8.self)
        guard let boundary = MultipartParser.boundary(fromContentType: contentType),
            let parts = MultipartParser.parse(input.rest, boundary: boundary)
        else { return nil }
        var form = MultipartFormData()
        for part in parts {
            form.addFile(name: part.name, filename: part.filename ?? "", contentType: "application/octet-stream", bytes: part.bytes)
        }
        guard let encoded = try? form.encode() else { return nil }
        guard let again = MultipartParser.parse(encoded, boundary: form.boundary) else {
            return "faxd's own multipart encoding of parsed parts does not parse"
        }
        let before = parts.map { [Array($0.name.utf8), Array(($0.filename ?? "").utf8), $0.bytes] }
        let after = again.map { [Array($0.name.utf8), Array(($0.filename ?? "").utf8), $0.bytes] }
        return before == after ? nil : "multipart parts changed through an encode and parse"
    }

    /// Input: a status line (digits), a `Retry-After` line (`-` for absent), `Idempotent-Replayed`
    /// (`true` or anything else), then the body.
    private static func mintfaxResponse(_ input: FuzzInput) -> String? {
        var input = input
        let status = Int(String(decoding: input.line(), as: UTF8.self)) ?? 500
        let retryAfter = input.header()
        let replayed = input.header() == "true"
        let body = input.rest
        let response = SubmissionResponse(status: status, body: body, retryAfter: retryAfter, replayed: replayed)
        let outcome = SubmissionClassifier.classify(.response(response))
        if case .submitted(let faxID, _) = outcome, faxID.isEmpty {
            return "a submission classified as submitted without a fax id"
        }
        _ = MintfaxErrorEnvelope(body: body, status: status)
        let decoder = JSONDecoder()
        _ = try? decoder.decode(FaxSnapshot.self, from: Data(body))
        _ = try? decoder.decode(FaxList.self, from: Data(body))
        _ = try? decoder.decode(MintfaxBalance.self, from: Data(body))
        return Job.nestingExceeds(Job.maximumNesting, in: body) ? nil : readsAsJSONDecoderDoes(body)
    }

    private static func workerConfiguration(_ input: [UInt8]) -> String? {
        do {
            _ = try WorkerConfiguration.parse(yaml: String(decoding: input, as: UTF8.self), source: "faxd.yaml", environment: [:])
            return nil
        } catch {
            return oneLine(error)
        }
    }

    private static func tenantsFile(_ input: [UInt8]) -> String? {
        do {
            _ = try TenantsConfiguration.parse(yaml: String(decoding: input, as: UTF8.self), source: "tenants.yaml")
            return nil
        } catch {
            return oneLine(error)
        }
    }

    /// A configuration error names its problem in one line (the operator's promise).
    private static func oneLine(_ error: ConfigurationError) -> String? {
        let description = error.description
        guard description.isEmpty || description.contains(where: \.isNewline) else { return nil }
        return "a configuration error is not one line: \(description.debugDescription)"
    }

    private static func ledgerEntry(_ input: [UInt8]) -> String? {
        guard let entry = JobLedgerEntry.parse(input) else { return nil }
        return JobLedgerEntry.parse(entry.jsonBytes()) != nil ? nil : "a ledger entry faxd wrote again does not parse"
    }

    private static let webhookSecret = WebhookSecret(keyBytes: Array("faxd-fuzz-webhook-secret-32bytes".utf8))
    private static let webhookTimestamp = 1_790_000_000
    private static let webhookNow = Date(timeIntervalSince1970: TimeInterval(webhookTimestamp))
}

/// One fuzz input read front to back: lines (up to `\n`) for the small parts, the rest as a body.
struct FuzzInput {
    private(set) var rest: [UInt8]

    init(_ bytes: [UInt8]) {
        rest = bytes
    }

    /// The bytes up to the next `\n` (all of them when there is none), consumed with it.
    mutating func line() -> [UInt8] {
        guard let newline = rest.firstIndex(of: UInt8(ascii: "\n")) else {
            defer { rest = [] }
            return rest
        }
        defer { rest = Array(rest[(newline + 1)...]) }
        return Array(rest[..<newline])
    }

    /// A header line as text; `-` means the header is absent.
    mutating func header() -> String? {
        let text = String(decoding: line(), as: UTF8.self)
        return text == "-" ? nil : text
    }
}

import FaxdCore
import Foundation
import Testing

@Suite struct JobLedgerTests {
    private static let job = JobReference(tenantID: "acme", jobID: "inv-1")
    private static let key = job.idempotencyKey().uuid
    private static let t0 = Date(timeIntervalSince1970: 1_795_000_000)
    private static let window: TimeInterval = 23 * 3600

    private static func ledger(_ entries: JobLedgerEntry...) -> JobLedger {
        var ledger = JobLedger()
        for entry in entries { ledger.record(entry) }
        return ledger
    }

    private static func entry(_ state: JobLedgerEntry.State, faxID: String? = nil, firstAttemptAt: Date? = t0) -> JobLedgerEntry {
        JobLedgerEntry(
            job: job,
            idempotencyKey: key,
            state: state,
            faxID: faxID,
            firstAttemptAt: firstAttemptAt,
            submittedAt: faxID == nil ? nil : t0,
            attempt: faxID == nil ? nil : 1,
            origin: .init(partition: 2, offset: 7)
        )
    }

    @Test func aJobWithoutAnEntryIsSentWhateverTheRecordsAge() {
        #expect(JobLedger().decide(Self.job, now: Self.t0.addingTimeInterval(30 * 86_400), keyWindow: Self.window) == .submit)
    }

    @Test func aSubmittedJobIsNeverSentAgainAtAnyAge() {
        let submitted = Self.entry(.submitted, faxID: "fax_1")
        for age: TimeInterval in [0, 3600, 25 * 3600, 400 * 86_400] {
            #expect(
                Self.ledger(submitted).decide(Self.job, now: Self.t0.addingTimeInterval(age), keyWindow: Self.window)
                    == .alreadySubmitted(submitted)
            )
        }
    }

    @Test func anAttemptInsideTheKeyWindowIsResentUnderTheSameKeyAndOneOutsideIsLookedUpFirst() {
        let attempting = Self.entry(.attempting)
        let ledger = Self.ledger(attempting)
        #expect(ledger.decide(Self.job, now: Self.t0.addingTimeInterval(22 * 3600), keyWindow: Self.window) == .resubmit(attempting))
        #expect(ledger.decide(Self.job, now: Self.t0.addingTimeInterval(23 * 3600), keyWindow: Self.window) == .lookUp(attempting))
    }

    @Test func anEntryThatCannotProveNoRequestWentOutIsLookedUp() {
        let withoutTime = Self.entry(.attempting, firstAttemptAt: nil)
        #expect(Self.ledger(withoutTime).decide(Self.job, now: Self.t0, keyWindow: Self.window) == .lookUp(withoutTime))
        // A state this build does not know reads as `attempting`: a request may have gone out.
        let unknownState = Self.entry(.init(rawValue: "archived"), firstAttemptAt: nil)
        #expect(
            Self.ledger(unknownState).decide(Self.job, now: Self.t0, keyWindow: Self.window)
                == .lookUp(Self.entry(.attempting, firstAttemptAt: nil))
        )
        let submittedWithoutFax = Self.entry(.submitted, firstAttemptAt: nil)
        #expect(Self.ledger(submittedWithoutFax).decide(Self.job, now: Self.t0, keyWindow: Self.window) == .lookUp(submittedWithoutFax))
    }

    @Test func aJobThatEndedWithoutAFaxMayBeSentAgain() {
        #expect(
            Self.ledger(Self.entry(.notSent)).decide(Self.job, now: Self.t0.addingTimeInterval(48 * 3600), keyWindow: Self.window)
                == .submit
        )
    }

    @Test(arguments: [TenantRetention.standard, .zeroFootprint])
    func lookupsFailClosed(retention: TenantRetention) {
        let failure = ErrorInfo(code: "http_503", message: "unavailable", retryable: true, httpStatus: 503)
        #expect(JobLedger.afterLookup(.found(faxID: "fax_9"), retention: retention) == .adopt(faxID: "fax_9"))
        #expect(JobLedger.afterLookup(.failed(failure), retention: retention) == .askAgain(failure))
        #expect(JobLedger.afterLookup(.nothing, retention: retention) == (retention == .standard ? .submit : .unknowable))
    }

    @Test func theLatestRecordOfAKeyWinsAndATombstoneRemovesIt() {
        var ledger = JobLedger()
        let key = Array(JobLedgerEntry.recordKey(Self.job).utf8)
        ledger.apply(key: key, value: Self.entry(.attempting).jsonBytes())
        ledger.apply(key: key, value: Self.entry(.submitted, faxID: "fax_1").jsonBytes())
        #expect(ledger.entry(Self.job)?.faxID == "fax_1")
        ledger.apply(key: key, value: [])
        #expect(ledger.entry(Self.job) == nil)
        ledger.apply(key: nil, value: Self.entry(.attempting).jsonBytes())
        #expect(ledger.count == 0)
    }

    @Test func everyFieldSurvivesTheCompactForm() {
        let entry = JobLedgerEntry(
            job: JobReference(tenantID: "t", jobID: "ü/日本"),
            idempotencyKey: JobReference(tenantID: "t", jobID: "ü/日本").idempotencyKey().uuid,
            state: .delivered,
            faxID: "fax_4kT9sLq2Zr8WbN1xYc7VmD",
            firstAttemptAt: Self.t0,
            submittedAt: Self.t0.addingTimeInterval(2),
            attempt: 3,
            pages: 12,
            origin: .init(partition: 5, offset: 1 << 40)
        )
        var ledger = Self.ledger(entry)
        #expect(ledger.entry(entry.job) == entry)
        var bare = entry
        bare.state = .attempting
        (bare.faxID, bare.submittedAt, bare.attempt, bare.pages, bare.origin) = (nil, nil, nil, nil, nil)
        ledger.record(bare)
        #expect(ledger.entry(entry.job) == bare)
        #expect(ledger.count == 1)
    }

    @Test func anEntryReadsBackAsItWasWritten() throws {
        let entry = JobLedgerEntry(
            job: JobReference(tenantID: "t", jobID: "ü/日本"),
            idempotencyKey: Self.key,
            state: .submitted,
            faxID: "fax_x",
            firstAttemptAt: Self.t0.addingTimeInterval(0.7),
            submittedAt: Self.t0,
            attempt: 2,
            pages: 3,
            origin: .init(partition: 5, offset: 1 << 40)
        )
        let bytes = entry.jsonBytes()
        #expect(JobLedgerEntry.parse(bytes) == entry)
        #expect(entry.firstAttemptAt == Self.t0, "times are kept in whole seconds")
        #expect(String(decoding: bytes, as: UTF8.self).hasPrefix("{\"attempt\":2,\"fax_id\":\"fax_x\",\"first_attempt_at\":1795000000,"))
        #expect(JobLedgerEntry.recordKey(entry.job) == "t/ü/日本")
    }

    @Test func bytesThatAreNotAnEntryOfThisVersionReadAsNone() {
        var other = String(decoding: Self.entry(.attempting).jsonBytes(), as: UTF8.self)
        other = other.replacingOccurrences(of: "\"v\":1", with: "\"v\":2")
        #expect(JobLedgerEntry.parse(Array(other.utf8)) == nil)
        #expect(JobLedgerEntry.parse(Array("not json".utf8)) == nil)
    }

    @Test func finishedJobsAreNeverSentAgainAndLeaveTheUnfinishedSet() {
        var ledger = Self.ledger(Self.entry(.submitted, faxID: "fax_1"))
        #expect(ledger.unfinished.map(\.faxID) == ["fax_1"])
        for state in [JobLedgerEntry.State.delivered, .failed] {
            ledger.record(Self.entry(state, faxID: "fax_1"))
            #expect(ledger.unfinished.isEmpty)
            #expect(ledger.entry(Self.job)?.state == state)
            #expect(
                ledger.decide(Self.job, now: Self.t0.addingTimeInterval(90 * 86_400), keyWindow: Self.window)
                    == .alreadySubmitted(Self.entry(state, faxID: "fax_1"))
            )
        }
    }

    @Test func anEntryUnderAnotherJobsKeyIsIgnored() {
        var ledger = JobLedger()
        ledger.apply(key: Array("acme/other".utf8), value: Self.entry(.submitted, faxID: "fax_1").jsonBytes())
        #expect(ledger.count == 0)
        #expect(ledger.entry(JobReference(tenantID: "acme", jobID: "other")) == nil)
    }

    /// The scanner that reads entries on restore and `JSONDecoder` read the same entries.
    @Test(arguments: ["inv-1", "ü/日本", "quote\"and\\backslash", "tab\there", String(repeating: "x", count: 128)])
    func theFastReaderAndJSONDecoderAgree(jobID: String) throws {
        let job = JobReference(tenantID: "t.1_a-b", jobID: jobID)
        let entries = [
            JobLedgerEntry(
                job: job,
                idempotencyKey: job.idempotencyKey().uuid,
                state: .attempting,
                firstAttemptAt: Self.t0,
                origin: .init(partition: 0, offset: 0)
            ),
            JobLedgerEntry(
                job: job,
                idempotencyKey: job.idempotencyKey().uuid,
                state: .submitted,
                faxID: "fax_4kT9sLq2Zr8WbN1xYc7VmD",
                firstAttemptAt: Self.t0,
                submittedAt: Self.t0,
                attempt: 2,
                pages: 0,
                origin: .init(partition: 127, offset: Int64.max)
            ),
            JobLedgerEntry(job: job, idempotencyKey: job.idempotencyKey().uuid, state: .init(rawValue: "later")),
        ]
        for entry in entries {
            let bytes = entry.jsonBytes()
            #expect(JobLedgerEntry.parse(bytes) == entry)
            #expect(try JSONDecoder().decode(JobLedgerEntry.self, from: Data(bytes)) == entry)
            // Pretty-printed by another tool: the fallback reads it the same.
            let object = try JSONSerialization.jsonObject(with: Data(bytes))
            let pretty = try JSONSerialization.data(withJSONObject: object, options: [.prettyPrinted])
            #expect(JobLedgerEntry.parse(Array(pretty)) == entry)
        }
    }

    @Test(arguments: [
        #"{"v":1}"#, #"{"v":1,"v":1}"#, #"[1]"#,
        #"{"attempt":1.5,"fax_id":null,"first_attempt_at":null,"idempotency_key":"c020cab0-5fa5-575d-8617-acd6fc49e2c0","job_id":"j","origin":null,"pages":null,"state":"attempting","submitted_at":null,"tenant_id":"t","v":1}"#,
        #"{"attempt":null,"fax_id":null,"first_attempt_at":null,"idempotency_key":"not-a-uuid","job_id":"j","origin":null,"pages":null,"state":"attempting","submitted_at":null,"tenant_id":"t","v":1}"#,
        #"{"attempt":null,"fax_id":null,"first_attempt_at":null,"idempotency_key":"c020cab0-5fa5-575d-8617-acd6fc49e2c0","job_id":"j","origin":{"partition":99999999999,"offset":1},"pages":null,"state":"attempting","submitted_at":null,"tenant_id":"t","v":1}"#,
        "", "{", #"{"v":99999999999999999999}"#,
    ])
    func bytesThatAreNoEntryAreRefusedByBothReaders(text: String) {
        #expect(JobLedgerEntry.parse(Array(text.utf8)) == nil)
    }
}

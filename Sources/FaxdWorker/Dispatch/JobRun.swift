import FaxdCore
import FaxdHTTP
import FaxdKafka
import FaxdMintfax
import Foundation
import Logging

/// One attempt of a job, from credentials to published outcome (DESIGN §6 steps 3–5): on the first,
/// ask the job ledger whether it may be sent; fetch the document, record the attempt, submit under the
/// job's idempotency key, and publish what happened together with the ledger's new entry. A transient
/// failure within the budget ends the attempt with `.retry`: the dispatcher runs the job again when
/// the retry is due, from the `Submission` returned.
///
/// Exactly one fax per job rests on the ledger (`JobLedger.decide`): a job with a fax is never sent
/// again, whatever its record's age; one whose earlier request may have reached mintfax is sent again
/// only under its key while mintfax still knows it, and otherwise only after mintfax's tag search
/// proves there is no fax. When neither can tell, the job is never sent.
struct JobRun: Sendable {
    /// Where a job's submission stands between attempts.
    struct Submission: Sendable {
        /// The ledger entry written before the first request (or an earlier run's).
        var entry: JobLedgerEntry
        /// Whether `entry` is durable in the ledger.
        var recorded: Bool
        /// Whether a request of this job may have created a fax that no answer named.
        var ambiguous: Bool
        /// Submission attempts made.
        var attempt = 0
    }

    let run: Dispatcher.Run
    let dependencies: Dispatcher.Dependencies
    let dispatcher: Dispatcher
    /// The job's idempotency key, derived once per attempt.
    private let key: IdempotencyKey

    init(run: Dispatcher.Run, dependencies: Dispatcher.Dependencies, dispatcher: Dispatcher) {
        self.run = run
        self.dependencies = dependencies
        self.dispatcher = dispatcher
        key = run.job.job.idempotencyKey(namespace: dependencies.events.namespace)
    }

    private var pending: Dispatcher.PendingJob { run.job }
    private var job: Job { pending.job }
    private var record: KafkaRecord { pending.record }
    private var events: EventFactory { dependencies.events }
    private var tenantKey: [UInt8] { Array(job.tenantID.utf8) }
    private var origin: JobLedgerEntry.Origin { .init(partition: record.partition, offset: record.offset) }

    typealias AttemptEnd = DispatchStateMachine<Dispatcher.PendingJob>.AttemptEnd

    /// One attempt of the job: on its first, the ledger decides whether it may be sent at all.
    /// - Returns: how the attempt ended (done, with whether its outcome is durable, or to be tried
    ///   again), and where the submission stands for the next attempt.
    func attempt() async -> (AttemptEnd, Submission?) {
        let logger = logger
        guard let tenant = dependencies.tenants.tenant(job.tenantID) else {
            let error = ErrorInfo(
                code: "unknown_tenant",
                message: "No credentials are configured for this tenant.",
                retryable: false,
                httpStatus: nil
            )
            logger.warning("Parking a job of an unknown tenant")
            return (.finished(published: await parkWithoutRequest(error)), nil)
        }
        let submission: Submission
        if let carried = pending.submission {
            submission = carried
        } else {
            let keyWindow = TimeInterval(dependencies.configuration.dispatch.lateReplayAfterHours * 3600)
            guard
                let decision = await dependencies.ledger.begin(
                    job.reference,
                    partition: record.partition,
                    now: { Date() },
                    keyWindow: keyWindow
                )
            else {
                return (.finished(published: false), nil)
            }
            switch decision {
            case .submit:
                submission = fresh
            case .resubmit(let entry):
                submission = Submission(entry: entry, recorded: true, ambiguous: true)
            case .lookUp(let entry):
                switch await lookUpFirst(tenant: tenant, entry: entry, logger: logger) {
                case .send(let fresh):
                    submission = fresh
                case .finished(let published):
                    await dependencies.ledger.end(job.reference)
                    return (.finished(published: published), nil)
                }
            case .alreadySubmitted(let entry):
                let done = await republish(entry, logger: logger)
                await dependencies.ledger.end(job.reference)
                return (.finished(published: done), nil)
            }
        }
        let (end, next) = await submit(tenant: tenant, submission, logger: logger)
        if case .finished = end { await dependencies.ledger.end(job.reference) }
        return (end, next)
    }

    private var logger: Logger {
        var logger = dependencies.logger
        logger[metadataKey: "tenant.id"] = .string(job.tenantID)
        logger[metadataKey: "fax.job_id"] = .string(job.jobID)
        logger[metadataKey: "fax.to"] = .string(RecipientMask.mask(job.to))
        return logger
    }

    /// A submission that has sent nothing yet.
    private var fresh: Submission {
        Submission(
            entry: JobLedgerEntry(job: job.reference, idempotencyKey: key.uuid, state: .attempting, origin: origin),
            recorded: false,
            ambiguous: false
        )
    }

    // MARK: Submitting

    /// One submission attempt under the job's key.
    private func submit(tenant: TenantDirectory.Tenant, _ carried: Submission, logger: Logger) async -> (AttemptEnd, Submission) {
        var submission = carried
        submission.attempt += 1
        let attempt = submission.attempt
        func ending() -> JobLedgerEntry? { submission.ambiguous || !submission.recorded ? nil : submission.entry }
        func finished(_ published: Bool) -> (AttemptEnd, Submission) { (.finished(published: published), submission) }
        if job.isExpired(at: Date()) {
            dependencies.metrics.count(.expired, tenant: job.tenantID)
            logger.notice("Job expired before it was sent", metadata: ["fax.attempt": "\(attempt)"])
            return finished(
                await publish(
                    ending: submission.ambiguous ? nil : submission.entry,
                    recorded: submission.recorded,
                    status: [events.expired(job.reference, attempt: attempt == 1 ? nil : attempt - 1, occurredAt: Date())]
                )
            )
        }
        let outcome: SubmissionOutcome
        switch await dependencies.documents.fetch(job.document) {
        case .failure(let failure):
            outcome = failure.permanent ? .rejected(failure.error) : .retry(failure.error, notBefore: nil)
        case .success(let document):
            if !submission.recorded {
                // The attempt is durable before any request goes out: whoever runs the job next
                // knows a fax may exist.
                submission.entry.firstAttemptAt = Date().wholeSeconds
                guard await dependencies.ledger.write(submission.entry, partition: record.partition) else { return finished(false) }
                submission.recorded = true
            }
            let (result, response) = await attemptOnce(document, tenant: tenant)
            submission.ambiguous = submission.ambiguous || (result.mayHaveCreatedFax && !result.namesFax)
            outcome = SubmissionClassifier.classify(result)
            // From here on the job holds no slot: what is left is Kafka's acknowledgement. A key whose
            // credentials or balance failed has its circuit opened in the same step, before the slot
            // can start another of its jobs.
            let circuit: ErrorInfo? = if case .park(let error, true) = outcome { error } else { nil }
            await dispatcher.requestEnded(run, answered: !result.isBroadFailure, response: response, openingCircuit: circuit)
        }
        switch outcome {
        case .submitted(let faxID, let replayed):
            dependencies.metrics.count(.submitted, tenant: job.tenantID)
            dependencies.metrics.submitted(recordTime: record.timestampMilliseconds, now: Date())
            logger.info("Fax submitted", metadata: ["fax.id": "\(faxID)", "fax.replayed": "\(replayed)", "fax.attempt": "\(attempt)"])
            var entry = submission.entry
            entry.state = .submitted
            entry.faxID = faxID
            entry.submittedAt = Date().wholeSeconds
            entry.attempt = attempt
            return finished(await republish(entry, logger: logger))
        case .rejected(let error):
            logger.warning("Job rejected", metadata: ["error.code": "\(error.code)"])
            dependencies.metrics.count(.rejected, tenant: job.tenantID)
            dependencies.metrics.deadLettered(code: error.code)
            return finished(
                await publish(
                    ending: submission.ambiguous ? nil : submission.entry,
                    recorded: submission.recorded,
                    status: [events.rejected(job.reference, error: error, attempt: attempt, occurredAt: Date())],
                    deadLetter: (record, .init(error: error, attempts: attempt))
                )
            )
        case .park(let error, let tenantCircuit):
            logger.warning("Job parked", metadata: ["error.code": "\(error.code)", "mintfax.circuit_opened": "\(tenantCircuit)"])
            return finished(await park(error, attempts: attempt, ending: ending()))
        case .retry(let error, let notBefore):
            switch await dispatcher.retryVerdict(run, notBefore: notBefore) {
            case .spent:
                let spent = ErrorInfo(
                    code: "retry_budget_exhausted",
                    message: "Retries stopped after \(attempt) attempts; last: \(error.message)",
                    retryable: false,
                    httpStatus: error.httpStatus
                )
                logger.warning("Retry budget spent", metadata: ["error.code": "\(error.code)", "fax.attempt": "\(attempt)"])
                return finished(await park(spent, attempts: attempt, ending: ending()))
            case .retry(let delay):
                dependencies.metrics.count(.retried, tenant: job.tenantID)
                logger.notice(
                    "Retrying",
                    metadata: ["error.code": "\(error.code)", "fax.attempt": "\(attempt)", "retry.delay": "\(delay)"]
                )
                let now = Date()
                let published = await dependencies.publisher.publish(
                    tenantKey: tenantKey,
                    status: [
                        events.retrying(
                            job.reference,
                            attempt: attempt,
                            error: error,
                            nextAttemptAt: now.addingTimeInterval(delay.seconds),
                            occurredAt: now
                        )
                    ]
                )
                return published ? (.retry(after: delay), submission) : finished(false)
            }
        }
    }

    /// One submission attempt: what it came to, and mintfax's answer when there was one.
    private func attemptOnce(
        _ document: DocumentFetcher.Document,
        tenant: TenantDirectory.Tenant
    ) async -> (SubmissionResult, MintfaxResponse?) {
        let submission = FaxSubmission(
            to: job.to,
            document: document.bytes,
            filename: document.filename,
            contentType: document.contentType,
            webhookURL: webhookURL,
            maxAttempts: job.maxAttempts,
            csid: job.csid,
            pageSize: job.pageSize?.rawValue,
            resolution: job.resolution?.rawValue,
            optimizeFor: job.optimizeFor?.rawValue,
            tags: job.submissionTags
        )
        do {
            let timeout = Duration.milliseconds(dependencies.configuration.mintfax.requestTimeoutMS)
            let started = ContinuousClock.now
            let response = try await dependencies.mintfax.submit(
                submission,
                key: tenant.apiKey,
                idempotencyKey: key.description,
                timeout: timeout
            )
            dependencies.metrics.submitted(after: ContinuousClock.now - started)
            let answer = SubmissionResponse(
                status: response.status,
                body: response.body,
                retryAfter: response.retryAfterSeconds.map(String.init),
                replayed: response.replayed
            )
            return (.response(answer), response)
        } catch let error as HTTPClientError {
            return (.transportFailure(Self.transportFailure(error)), nil)
        } catch {
            return (.transportFailure(.other), nil)
        }
    }

    // MARK: Looking up

    /// For a job whose earlier request may have reached mintfax before the key window: mintfax's tag
    /// search decides, asked again (never sending meanwhile) while it fails, within the retry budget.
    private func lookUpFirst(tenant: TenantDirectory.Tenant, entry: JobLedgerEntry, logger: Logger) async -> LookupEnd {
        let policy = RetryPolicy(budget: .seconds(dependencies.configuration.dispatch.retryBudgetSeconds))
        let started = ContinuousClock.now
        var random = SystemRandomNumberGenerator()
        var asked = 0
        while true {
            asked += 1
            switch JobLedger.afterLookup(await lookUp(tenant: tenant), retention: tenant.retention) {
            case .adopt(let faxID):
                dependencies.metrics.count("found_by_lookup")
                logger.notice("A late job already has a fax; not sending it again", metadata: ["fax.id": "\(faxID)"])
                var found = entry
                found.state = .submitted
                found.faxID = faxID
                found.submittedAt = found.submittedAt ?? Date().wholeSeconds
                found.attempt = found.attempt ?? 1
                return .finished(published: await republish(found, logger: logger))
            case .submit:
                // mintfax has no fax for the job: the earlier request never created one, and a new
                // key window starts with the next request.
                return .send(fresh)
            case .unknowable:
                logger.warning("Cannot tell whether a late job was sent (zero-footprint retention); parking it unsent")
                return .finished(
                    published: await park(Self.outcomeUnknown("the tenant's zero-footprint retention leaves no fax to find"), attempts: 0)
                )
            case .askAgain(let error):
                guard let delay = policy.delay(afterAttempt: asked, elapsed: ContinuousClock.now - started, notBefore: nil, random: &random)
                else {
                    logger.warning("Lookups kept failing; parking the job unsent", metadata: ["error.code": "\(error.code)"])
                    return .finished(
                        published: await park(Self.outcomeUnknown("looking it up kept failing, last: \(error.message)"), attempts: 0)
                    )
                }
                dependencies.metrics.count("lookup_retried")
                logger.notice("Lookup failed; asking again", metadata: ["error.code": "\(error.code)", "retry.delay": "\(delay)"])
                do { try await Task.sleep(for: delay) } catch { return .finished(published: false) }
            }
        }
    }

    /// How a lookup ended: the job is to be sent (mintfax has no fax for it), or it is done.
    private enum LookupEnd {
        case send(Submission)
        case finished(published: Bool)
    }

    /// The error of a job parked because nobody can say whether it was sent.
    private static func outcomeUnknown(_ why: String) -> ErrorInfo {
        ErrorInfo(
            code: "outcome_unknown",
            message:
                "A request for this job may have reached mintfax longer ago than it keeps idempotency keys, and \(why); it was not sent again. Check with mintfax before re-driving it.",
            retryable: false,
            httpStatus: nil
        )
    }

    /// mintfax's tag search for the job's fax.
    private func lookUp(tenant: TenantDirectory.Tenant) async -> JobLedger.LookupAnswer {
        let answer: MintfaxAnswer<FaxList>
        do {
            answer = try await dependencies.mintfax.faxes(
                taggedWith: ["faxd_tenant": job.tenantID, "faxd_job": job.jobID],
                key: tenant.apiKey
            )
        } catch let error as HTTPClientError {
            return .failed(Self.transportFailure(error).errorInfo)
        } catch {
            return .failed(TransportFailure.other.errorInfo)
        }
        await dispatcher.observe(tenant: job.tenantID, response: answer.response)
        switch answer.body {
        case .value(let list):
            return list.faxes.first.map { .found(faxID: $0.id) } ?? .nothing
        case .error(let envelope):
            return .failed(ErrorInfo(code: envelope.code, message: envelope.message, retryable: true, httpStatus: answer.response.status))
        }
    }

    // MARK: Publishing

    /// Publishes what `entry` (a submitted job) proves — `fax.submitted` and `usage.hold`, with the ids
    /// they had — and the entry itself. A record that is not the one that first ran the job (a
    /// producer's re-send, a redrive) also gets `fax.duplicate` saying why nothing was sent.
    private func republish(_ entry: JobLedgerEntry, logger: Logger) async -> Bool {
        guard let faxID = entry.faxID else { return false }
        let submittedAt = entry.submittedAt ?? Date()
        var status = [events.submitted(job.reference, faxID: faxID, attempt: entry.attempt ?? 1, occurredAt: submittedAt)]
        if entry.origin != origin {
            dependencies.metrics.count("duplicate")
            logger.notice("A record repeats a job that already has a fax; not sending it again", metadata: ["fax.id": "\(faxID)"])
            status.append(
                events.duplicate(
                    job.reference,
                    faxID: faxID,
                    submittedAt: entry.submittedAt,
                    partition: record.partition,
                    offset: record.offset,
                    occurredAt: Date()
                )
            )
        }
        let published = await dependencies.publisher.publish(
            tenantKey: tenantKey,
            ledger: ledgerMessage(entry),
            status: status,
            usage: [events.usageHold(job.reference, faxID: faxID, pages: nil, occurredAt: submittedAt)]
        )
        if published { await dependencies.ledger.record(entry, partition: record.partition) }
        return published
    }

    /// Publishes the end of a job without a fax; `ending`, when set and the attempt was recorded, is
    /// written as `not_sent` (no request can have created a fax, so a later record may be sent).
    private func publish(
        ending: JobLedgerEntry?,
        recorded: Bool,
        status: [StatusEvent],
        deadLetter: (record: KafkaRecord, reason: EventPublisher.DeadLetterReason)? = nil
    ) async -> Bool {
        var notSent = recorded ? ending : nil
        notSent?.state = .notSent
        let published = await dependencies.publisher.publish(
            tenantKey: tenantKey,
            ledger: notSent.map(ledgerMessage),
            status: status,
            deadLetter: deadLetter
        )
        if published, let notSent { await dependencies.ledger.record(notSent, partition: record.partition) }
        return published
    }

    private func ledgerMessage(_ entry: JobLedgerEntry) -> KafkaOutgoingMessage {
        dependencies.ledger.message(entry, partition: record.partition)
    }

    /// The job's own webhook URL, or the tenant's route under the configured public base URL.
    private var webhookURL: String? {
        if let own = job.webhookURL { return own.absoluteString }
        guard let base = dependencies.configuration.webhooks.publicBaseURL, !base.isEmpty else { return nil }
        return (base.hasSuffix("/") ? String(base.dropLast()) : base) + "/webhooks/mintfax/" + job.tenantID
    }

    /// Parks the job on the dead-letter topic with `error` and publishes `fax.dead_lettered`; writes
    /// `ending` to the ledger as `not_sent` when given.
    /// - Returns: whether Kafka acknowledged everything.
    func park(_ error: ErrorInfo, attempts: Int, ending: JobLedgerEntry? = nil) async -> Bool {
        dependencies.metrics.count(.deadLettered, tenant: job.tenantID)
        dependencies.metrics.deadLettered(code: error.code)
        return await publish(
            ending: ending,
            recorded: ending != nil,
            status: [events.deadLettered(job.reference, error: error, attempt: attempts == 0 ? nil : attempts, occurredAt: Date())],
            deadLetter: (record, .init(error: error, attempts: attempts))
        )
    }

    /// Parks the job without a request (its tenant's circuit is open, or the tenant is unknown). A
    /// run that began — a retry — ends its hold on the ledger, its attempt written as not sent when no
    /// request can have created a fax.
    func parkWithoutRequest(_ error: ErrorInfo) async -> Bool {
        guard let submission = pending.submission else { return await park(error, attempts: 0) }
        let published = await park(
            error,
            attempts: submission.attempt,
            ending: submission.ambiguous || !submission.recorded ? nil : submission.entry
        )
        await dependencies.ledger.end(job.reference)
        return published
    }

    private static func transportFailure(_ error: HTTPClientError) -> TransportFailure {
        switch error.code {
        case .connect: .connect
        case .timeout: .timeout
        case .tls: .tls
        case .transport: .droppedConnection
        default: .other
        }
    }
}

extension SubmissionResult {
    /// A 2xx naming a fax: the answer itself says what was created.
    fileprivate var namesFax: Bool {
        if case .submitted = SubmissionClassifier.classify(self) { return true }
        return false
    }
}

extension Duration {
    /// Seconds as a `TimeInterval`.
    var seconds: TimeInterval {
        let (whole, attoseconds) = components
        return TimeInterval(whole) + TimeInterval(attoseconds) / 1e18
    }
}

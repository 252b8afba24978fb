import FaxdCore
import FaxdHTTP
import FaxdKafka
import FaxdMintfax
import Foundation
import Logging

/// One job from credentials to published outcome (DESIGN §6 steps 3–5): fetch the document, look the
/// job up first when its record is older than mintfax's key window, submit under the job's
/// idempotency key, retry transient failures within the budget, and publish what happened.
struct JobRun: Sendable {
    let pending: Dispatcher.PendingJob
    let dependencies: Dispatcher.Dependencies
    let retryPolicy: RetryPolicy
    let dispatcher: Dispatcher

    private var job: Job { pending.job }
    private var events: EventFactory { dependencies.events }
    private var tenantKey: [UInt8] { Array(job.tenantID.utf8) }

    /// - Returns: whether the outcome's events are durable in Kafka (the job is done).
    func run() async -> Bool {
        var logger = dependencies.logger
        logger[metadataKey: "tenant.id"] = "\(job.tenantID)"
        logger[metadataKey: "fax.job_id"] = "\(job.jobID)"
        logger[metadataKey: "fax.to"] = "\(RecipientMask.mask(job.to))"
        guard let tenant = dependencies.tenants.tenant(job.tenantID) else {
            let error = ErrorInfo(code: "unknown_tenant", message: "No credentials are configured for this tenant.", retryable: false, httpStatus: nil)
            logger.warning("Parking a job of an unknown tenant")
            return await park(error, attempts: 0)
        }
        let key = job.idempotencyKey(namespace: events.namespace).description
        let started = ContinuousClock.now
        var random = SystemRandomNumberGenerator()
        var attempt = 0
        while true {
            attempt += 1
            let outcome = await attemptOnce(tenant: tenant, idempotencyKey: key, logger: logger)
            switch outcome {
            case .submitted(let faxID, let replayed):
                dependencies.metrics.count("submitted")
                logger.info("Fax submitted", metadata: ["fax.id": "\(faxID)", "fax.replayed": "\(replayed)", "fax.attempt": "\(attempt)"])
                let now = Date()
                return await dependencies.publisher.publish(
                    tenantKey: tenantKey,
                    status: [events.submitted(job.reference, faxID: faxID, attempt: attempt, occurredAt: now)],
                    usage: [events.usageHold(job.reference, faxID: faxID, pages: nil, occurredAt: now)])
            case .rejected(let error):
                logger.warning("Job rejected", metadata: ["error.code": "\(error.code)"])
                dependencies.metrics.count("rejected")
                dependencies.metrics.deadLettered()
                return await dependencies.publisher.publish(
                    tenantKey: tenantKey, status: [events.rejected(job.reference, error: error, attempt: attempt, occurredAt: Date())],
                    deadLetter: (pending.record, .init(error: error, attempts: attempt)))
            case .park(let error, let tenantCircuit):
                logger.warning("Job parked", metadata: ["error.code": "\(error.code)"])
                if tenantCircuit { await dispatcher.openCircuit(tenant: job.tenantID, error: error) }
                return await park(error, attempts: attempt)
            case .retry(let error, let notBefore):
                let elapsed = ContinuousClock.now - started
                guard let delay = retryPolicy.delay(afterAttempt: attempt, elapsed: elapsed, notBefore: notBefore, random: &random) else {
                    let spent = ErrorInfo(
                        code: "retry_budget_exhausted", message: "Retries stopped after \(attempt) attempts; last: \(error.message)",
                        retryable: false, httpStatus: error.httpStatus)
                    logger.warning("Retry budget spent", metadata: ["error.code": "\(error.code)", "fax.attempt": "\(attempt)"])
                    return await park(spent, attempts: attempt)
                }
                dependencies.metrics.count("retried")
                logger.notice("Retrying", metadata: ["error.code": "\(error.code)", "fax.attempt": "\(attempt)", "retry.delay": "\(delay)"])
                let now = Date()
                let published = await dependencies.publisher.publish(
                    tenantKey: tenantKey,
                    status: [events.retrying(job.reference, attempt: attempt, error: error, nextAttemptAt: now.addingTimeInterval(delay.seconds), occurredAt: now)])
                guard published else { return false }
                do { try await Task.sleep(for: delay) } catch { return false }
            }
        }
    }

    /// One submission attempt, classified.
    private func attemptOnce(tenant: TenantDirectory.Tenant, idempotencyKey: String, logger: Logger) async -> SubmissionOutcome {
        let document: DocumentFetcher.Document
        switch await dependencies.documents.fetch(job.document) {
        case .success(let fetched): document = fetched
        case .failure(let failure): return failure.permanent ? .rejected(failure.error) : .retry(failure.error, notBefore: nil)
        }
        if let existing = await lateReplayLookup(tenant: tenant) { return .submitted(faxID: existing, replayed: true) }
        let submission = FaxSubmission(
            to: job.to, document: document.bytes, filename: document.filename, contentType: document.contentType,
            webhookURL: webhookURL, maxAttempts: job.maxAttempts, csid: job.csid, pageSize: job.pageSize?.rawValue,
            resolution: job.resolution?.rawValue, optimizeFor: job.optimizeFor?.rawValue, tags: job.submissionTags)
        do {
            let timeout = Duration.milliseconds(dependencies.configuration.mintfax.requestTimeoutMS)
            let started = ContinuousClock.now
            let response = try await dependencies.mintfax.submit(submission, key: tenant.apiKey, idempotencyKey: idempotencyKey, timeout: timeout)
            dependencies.metrics.submitted(after: ContinuousClock.now - started)
            await dispatcher.observe(tenant: job.tenantID, response: response)
            return SubmissionClassifier.classify(.response(SubmissionResponse(
                status: response.status, body: response.body, retryAfter: response.retryAfterSeconds.map(String.init), replayed: response.replayed)))
        } catch let error as HTTPClientError {
            return SubmissionClassifier.classify(.transportFailure(Self.transportFailure(error)))
        } catch {
            return SubmissionClassifier.classify(.transportFailure(.other))
        }
    }

    /// For a record older than mintfax keeps idempotency keys, the fax the job already has, if any.
    private func lateReplayLookup(tenant: TenantDirectory.Tenant) async -> String? {
        guard let timestamp = pending.record.timestampMilliseconds else { return nil }
        let age = Date().timeIntervalSince1970 - Double(timestamp) / 1000
        guard age > Double(dependencies.configuration.dispatch.lateReplayAfterHours) * 3600 else { return nil }
        guard let response = try? await dependencies.mintfax.faxes(taggedWith: ["faxd_tenant": job.tenantID, "faxd_job": job.jobID], key: tenant.apiKey),
            response.status == 200,
            let list = try? JSONDecoder().decode(FaxList.self, from: Data(response.body))
        else { return nil }
        return list.data.first?.id
    }

    private struct FaxList: Decodable {
        struct Fax: Decodable { var id: String }
        var data: [Fax]
    }

    /// The job's own webhook URL, or the tenant's route under the configured public base URL.
    private var webhookURL: String? {
        if let own = job.webhookURL { return own.absoluteString }
        guard let base = dependencies.configuration.webhooks.publicBaseURL, !base.isEmpty else { return nil }
        return (base.hasSuffix("/") ? String(base.dropLast()) : base) + "/webhooks/mintfax/" + job.tenantID
    }

    /// Parks the job on the dead-letter topic with `error` and publishes `fax.dead_lettered`.
    /// - Returns: whether Kafka acknowledged both.
    func park(_ error: ErrorInfo, attempts: Int) async -> Bool {
        dependencies.metrics.count("dead_lettered")
        dependencies.metrics.deadLettered()
        return await dependencies.publisher.publish(
            tenantKey: tenantKey, status: [events.deadLettered(job.reference, error: error, attempt: attempts == 0 ? nil : attempts, occurredAt: Date())],
            deadLetter: (pending.record, .init(error: error, attempts: attempts)))
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

extension Duration {
    /// Seconds as a `TimeInterval`.
    var seconds: TimeInterval {
        let (whole, attoseconds) = components
        return TimeInterval(whole) + TimeInterval(attoseconds) / 1e18
    }
}

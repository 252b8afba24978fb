public import Foundation

/// Builds status and usage events with deterministic ids (DESIGN §4, §5), so a replay, a re-drive or
/// a second observer of the same fact emits a byte-identical event that consumers drop by `event_id`.
///
/// A status event's id is `key.eventID(type:discriminator:)` with the job's idempotency key and the
/// discriminator below; usage events of a fax use the same scheme.
///
/// | type | discriminator |
/// |---|---|
/// | `fax.submitted` | `1` (one per job) |
/// | `fax.retrying` | the attempt that failed, e.g. `2` |
/// | `fax.rejected`, `fax.dead_lettered`, `fax.expired` | `1` (each ends the job) |
/// | `fax.duplicate` | the repeating record, `<partition>/<offset>` of the jobs topic |
/// | `fax.queued`, `fax.delivered`, `fax.failed` | the fax id |
/// | `fax.sending` | fax id + `:` + mintfax's delivery attempt, e.g. `fax_4kT…:2` |
/// | `usage.hold`, `usage.capture`, `usage.release` | the fax id |
///
/// `usage.balance` belongs to a tenant, not a job: its id is
/// `UUIDv5(namespace, tenant_id + ":usage.balance:" + crossing id)`, the crossing id chosen by the caller
/// (e.g. the threshold and the balance snapshot that crossed it).
///
/// The factory reads no clock: every method takes the instant of the fact.
public struct EventFactory: Sendable, Hashable {
    /// The UUIDv5 namespace of idempotency keys and event ids; the deployment's setting.
    public var namespace: UUIDv5
    /// The `source` of status events built here.
    public var source: StatusEvent.Source
    /// The `environment` of usage events built here.
    public var environment: UsageEvent.Environment

    public init(
        namespace: UUIDv5 = IdempotencyKey.defaultNamespace,
        source: StatusEvent.Source,
        environment: UsageEvent.Environment
    ) {
        self.namespace = namespace
        self.source = source
        self.environment = environment
    }

    /// The `error` of `fax.expired`.
    public static let deadlinePassed = ErrorInfo(
        code: "deadline_passed",
        message: "The job's deadline passed before it was submitted.",
        retryable: false,
        httpStatus: nil
    )

    // MARK: Worker events

    /// `fax.submitted`: mintfax answered 201 (or replayed it) with `faxID` on submission `attempt`.
    public func submitted(_ job: JobReference, faxID: String, attempt: Int, occurredAt: Date) -> StatusEvent {
        status(.submitted, job, discriminator: "1", faxID: faxID, occurredAt: occurredAt, attempt: attempt)
    }

    /// `fax.retrying`: submission `attempt` failed with `error`; the next one is due at `nextAttemptAt`.
    public func retrying(
        _ job: JobReference,
        attempt: Int,
        error: ErrorInfo,
        nextAttemptAt: Date,
        occurredAt: Date
    ) -> StatusEvent {
        status(
            .retrying,
            job,
            discriminator: String(attempt),
            occurredAt: occurredAt,
            attempt: attempt,
            error: error,
            nextAttemptAt: nextAttemptAt
        )
    }

    /// `fax.rejected`: the job can never be sent (invalid, or a permanent mintfax answer). There is no
    /// fax; `attempt` is nil when the job was rejected before any submission.
    public func rejected(_ job: JobReference, error: ErrorInfo, attempt: Int?, occurredAt: Date) -> StatusEvent {
        status(.rejected, job, discriminator: "1", occurredAt: occurredAt, attempt: attempt, error: error)
    }

    /// `fax.dead_lettered`: the job was parked on the dead-letter topic because of `error`.
    public func deadLettered(
        _ job: JobReference,
        error: ErrorInfo,
        attempt: Int?,
        faxID: String? = nil,
        occurredAt: Date
    ) -> StatusEvent {
        status(
            .deadLettered,
            job,
            discriminator: "1",
            faxID: faxID,
            occurredAt: occurredAt,
            attempt: attempt,
            error: error
        )
    }

    /// `fax.expired`: the deadline passed before the job was submitted; `error` is `deadlinePassed`.
    public func expired(_ job: JobReference, attempt: Int?, occurredAt: Date) -> StatusEvent {
        status(.expired, job, discriminator: "1", occurredAt: occurredAt, attempt: attempt, error: Self.deadlinePassed)
    }

    /// `fax.duplicate`: a record of the jobs topic (`partition`, `offset`) repeats a job mintfax
    /// already has as `faxID` — a producer sent the job id again, or `faxd redrive` put it back — so
    /// it is not sent again. `error` says which fax and since when.
    public func duplicate(
        _ job: JobReference,
        faxID: String,
        submittedAt: Date?,
        partition: Int32,
        offset: Int64,
        occurredAt: Date
    ) -> StatusEvent {
        let since = submittedAt.map { " on \(RFC3339Timestamp.format(wholeSeconds: $0))" } ?? ""
        return status(
            .duplicate,
            job,
            discriminator: "\(partition)/\(offset)",
            faxID: faxID,
            occurredAt: occurredAt,
            error: ErrorInfo(
                code: Self.alreadySubmitted,
                message: "The job was already submitted as \(faxID)\(since); it is not sent again.",
                retryable: false,
                httpStatus: nil
            )
        )
    }

    /// The `error.code` of `fax.duplicate`.
    public static let alreadySubmitted = "already_submitted"

    // MARK: mintfax lifecycle events

    /// `fax.queued`: mintfax queued fax `faxID`.
    public func queued(_ job: JobReference, faxID: String, occurredAt: Date) -> StatusEvent {
        status(.queued, job, discriminator: faxID, faxID: faxID, occurredAt: occurredAt)
    }

    /// `fax.sending`: mintfax's delivery `attempt` (from 1) of fax `faxID` began.
    public func sending(_ job: JobReference, faxID: String, attempt: Int, occurredAt: Date) -> StatusEvent {
        status(
            .sending,
            job,
            discriminator: "\(faxID):\(attempt)",
            faxID: faxID,
            occurredAt: occurredAt,
            attempt: attempt
        )
    }

    /// `fax.delivered`: fax `faxID` was delivered with `pages` pages.
    public func delivered(
        _ job: JobReference,
        faxID: String,
        pages: Int?,
        attempt: Int? = nil,
        occurredAt: Date
    ) -> StatusEvent {
        status(
            .delivered,
            job,
            discriminator: faxID,
            faxID: faxID,
            occurredAt: occurredAt,
            attempt: attempt,
            pages: pages
        )
    }

    /// `fax.failed`: every delivery attempt of fax `faxID` failed; `error` carries mintfax's failure code.
    public func failed(
        _ job: JobReference,
        faxID: String,
        error: ErrorInfo,
        pages: Int? = nil,
        attempt: Int? = nil,
        occurredAt: Date
    ) -> StatusEvent {
        status(
            .failed,
            job,
            discriminator: faxID,
            faxID: faxID,
            occurredAt: occurredAt,
            attempt: attempt,
            pages: pages,
            error: error
        )
    }

    // MARK: Usage events

    /// `usage.hold`: mintfax holds credit for fax `faxID` (with `fax.submitted`).
    public func usageHold(_ job: JobReference, faxID: String, pages: Int?, occurredAt: Date) -> UsageEvent {
        usage(.hold, job, faxID: faxID, pages: pages, occurredAt: occurredAt)
    }

    /// `usage.capture`: the hold of fax `faxID` was captured for `pages` pages sent (with `fax.delivered`).
    public func usageCapture(_ job: JobReference, faxID: String, pages: Int, occurredAt: Date) -> UsageEvent {
        usage(.capture, job, faxID: faxID, pages: pages, occurredAt: occurredAt)
    }

    /// `usage.release`: the hold of fax `faxID` was released (with `fax.failed`).
    public func usageRelease(_ job: JobReference, faxID: String, pages: Int?, occurredAt: Date) -> UsageEvent {
        usage(.release, job, faxID: faxID, pages: pages, occurredAt: occurredAt)
    }

    /// `usage.balance`: `tenantID`'s balance crossed its threshold; `crossingID` names this crossing, so
    /// observing the same crossing twice yields the same event. Amounts are in cents.
    public func usageBalance(
        tenantID: String,
        crossingID: String,
        available: Int,
        held: Int,
        occurredAt: Date
    ) -> UsageEvent {
        let type = UsageEvent.Kind.balance
        return UsageEvent(
            eventID: UUIDv5(namespace: namespace, joining: tenantID, type.rawValue, crossingID),
            type: type,
            tenantID: tenantID,
            jobID: nil,
            faxID: nil,
            pages: nil,
            environment: environment,
            occurredAt: occurredAt,
            available: available,
            held: held
        )
    }

    // MARK: Building

    private func status(
        _ type: StatusEvent.Kind,
        _ job: JobReference,
        discriminator: String,
        faxID: String? = nil,
        occurredAt: Date,
        attempt: Int? = nil,
        pages: Int? = nil,
        error: ErrorInfo? = nil,
        nextAttemptAt: Date? = nil
    ) -> StatusEvent {
        let key = job.idempotencyKey(namespace: namespace)
        return StatusEvent(
            eventID: key.eventID(type: type.rawValue, discriminator: discriminator, namespace: namespace),
            type: type,
            tenantID: job.tenantID,
            jobID: job.jobID,
            idempotencyKey: key.uuid,
            faxID: faxID,
            occurredAt: occurredAt,
            attempt: attempt,
            pages: pages,
            error: error,
            nextAttemptAt: nextAttemptAt,
            source: source
        )
    }

    private func usage(
        _ type: UsageEvent.Kind,
        _ job: JobReference,
        faxID: String,
        pages: Int?,
        occurredAt: Date
    ) -> UsageEvent {
        let key = job.idempotencyKey(namespace: namespace)
        return UsageEvent(
            eventID: key.eventID(type: type.rawValue, discriminator: faxID, namespace: namespace),
            type: type,
            tenantID: job.tenantID,
            jobID: job.jobID,
            faxID: faxID,
            pages: pages,
            environment: environment,
            occurredAt: occurredAt
        )
    }
}

import Foundation

/// The status and usage events a mintfax fax snapshot proves, with the same event ids whoever
/// observes it: the webhook ingress (any `fax.*` delivery) or the reconciler (`GET /v1/faxes/{id}`).
///
/// A snapshot proves every fact up to its state, not only the event that carried it: `fax.queued`
/// (at `created_at`); one `fax.sending` per attempt that started (at its `started_at`); and when
/// terminal, `fax.delivered` with `usage.capture` (pages sent) or `fax.failed` with `usage.release`
/// (at `completed_at`). So a lost or late webhook is filled in by the next one, and every payload is
/// built from mintfax's own timestamps: the webhook and the reconciler build identical events, which
/// differ only in `source`. Whoever publishes drops the ids already on the topics (`DeliveryLedger`).
public struct DeliveryFacts: Sendable, Hashable {
    public var status: [StatusEvent]
    public var usage: [UsageEvent]

    public init(status: [StatusEvent] = [], usage: [UsageEvent] = []) {
        self.status = status
        self.usage = usage
    }

    public var isEmpty: Bool { status.isEmpty && usage.isEmpty }

    /// Every event id, status then usage.
    public var eventIDs: [UUIDv5] { status.map(\.eventID) + usage.map(\.eventID) }

    /// The facts `fax` proves about `job`, built by `factory` (whose `source` they carry).
    public static func of(_ fax: FaxSnapshot, job: JobReference, factory: EventFactory) -> DeliveryFacts {
        var facts = DeliveryFacts()
        facts.status.append(factory.queued(job, faxID: fax.id, occurredAt: fax.createdAt))
        for attempt in fax.attempts {
            guard let started = attempt.startedAt else { continue }
            facts.status.append(factory.sending(job, faxID: fax.id, attempt: attempt.number, occurredAt: started))
        }
        let finished = fax.completedAt ?? fax.attempts.last?.completedAt ?? fax.updatedAt ?? fax.createdAt
        let lastAttempt = fax.attempts.last?.number
        switch fax.status {
        case .delivered:
            let pages = fax.pages ?? 0
            facts.status.append(factory.delivered(job, faxID: fax.id, pages: pages, attempt: lastAttempt, occurredAt: finished))
            facts.usage.append(factory.usageCapture(job, faxID: fax.id, pages: pages, occurredAt: finished))
        case .failed:
            let code = fax.errorCode ?? fax.attempts.last?.errorCode ?? "failed"
            let error = ErrorInfo(
                code: code,
                message: fax.errorMessage ?? "mintfax could not deliver the fax (\(code)).",
                retryable: false,
                httpStatus: nil
            )
            facts.status.append(
                factory.failed(job, faxID: fax.id, error: error, pages: fax.pages, attempt: lastAttempt, occurredAt: finished)
            )
            facts.usage.append(factory.usageRelease(job, faxID: fax.id, pages: fax.pages, occurredAt: finished))
        default:
            break
        }
        return facts
    }

    /// These facts without the events whose ids `isPublished` knows.
    public func removing(where isPublished: (UUIDv5) -> Bool) -> DeliveryFacts {
        DeliveryFacts(status: status.filter { !isPublished($0.eventID) }, usage: usage.filter { !isPublished($0.eventID) })
    }
}

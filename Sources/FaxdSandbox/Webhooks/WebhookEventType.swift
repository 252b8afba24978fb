/// The webhook event types of mintfax Gen C (API.md §9.1).
enum WebhookEventType: String, Sendable, CaseIterable {
    /// Right after the 201: the fax was accepted and its hold placed.
    case queued = "fax.queued"
    /// At the start of each delivery attempt.
    case sending = "fax.sending"
    /// The carrier confirmed delivery; the hold was captured.
    case delivered = "fax.delivered"
    /// No further attempts; the hold was released.
    case failed = "fax.failed"

    /// Every name an endpoint may subscribe to: the four emitted types plus the documented
    /// `fax.retry_scheduled`, `balance.low` and `balance.topup`, which the sandbox (like mintfax
    /// Gen C) never emits.
    static let allowedNames: Set<String> = Set(allCases.map(\.rawValue)).union(["fax.retry_scheduled", "balance.low", "balance.topup"])
}

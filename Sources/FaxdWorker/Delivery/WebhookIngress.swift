import FaxdCore
import FaxdMintfax
import Foundation
import Logging

/// mintfax's webhook deliveries in, status and usage events out (issue #5, DESIGN §6).
///
/// A delivery to `/webhooks/mintfax/{tenant}` is verified with that tenant's secrets (the shared
/// workspace's for a tenant that sends with the shared key); one to `/webhooks/mintfax` with the shared workspace's.
/// The answers, which mintfax acts on (it retries anything but 2xx):
///
/// | answer | when | published |
/// |---|---|---|
/// | 401 | no secret for the route, missing headers, a timestamp more than `tolerance` away, no matching signature | nothing |
/// | 413 | a body over `maxBodyBytes` | nothing |
/// | 503 | the ledger is still reading the result topics, or Kafka did not acknowledge in time | maybe part (finished on retry) |
/// | 422 | signed, but not an event envelope faxd can read (kept by mintfax for a replay) | nothing |
/// | 200 | published and acknowledged; or a `webhook-id` already acknowledged; or not a fax faxd sent | what was missing |
///
/// The events are `DeliveryFacts` of the fax snapshot (source `webhook`), published through the
/// `DeliveryTracker`, so a redelivery, a second worker, or the reconciler never adds a second event
/// for the same fact.
struct WebhookIngress: Sendable {
    /// The HTTP answer: status and a one-line plain-text reason (never a secret or a number).
    struct Answer: Sendable, Equatable {
        var status: Int
        var reason: String
    }

    let tenants: TenantDirectory
    let tracker: DeliveryTracker
    /// Builds events with source `webhook`.
    let events: EventFactory
    let tolerance: Duration
    let maxBodyBytes: Int
    /// How long a delivery waits for Kafka's acknowledgement before answering 503.
    var acknowledgementTimeout: Duration = .seconds(10)
    let metrics: WorkerMetrics
    let logger: Logger

    /// Handles one delivery. `tenant` is the route's tenant, nil on the shared workspace's route.
    func handle(tenant routeTenant: String?, id: String?, timestamp: String?, signature: String?, body: [UInt8]) async -> Answer {
        var logger = logger
        logger[metadataKey: "webhook.id"] = "\(id ?? "-")"
        logger[metadataKey: "tenant.id"] = "\(routeTenant ?? "shared")"
        let secrets = routeTenant.map { tenants.tenant($0)?.webhookSecrets ?? [] } ?? tenants.sharedWebhookSecrets
        guard !secrets.isEmpty else {
            return refuse(401, "no webhook secret is configured for this route", logger: logger)
        }
        guard body.count <= maxBodyBytes else {
            return refuse(413, "the body is larger than \(maxBodyBytes) bytes", logger: logger)
        }
        do {
            try WebhookVerifier(secrets: secrets, tolerance: tolerance, maximumBodySize: maxBodyBytes).verify(
                id: id,
                timestamp: timestamp,
                signature: signature,
                body: body
            )
        } catch {
            return refuse(401, "webhook verification failed (\(error.code))", logger: logger)
        }
        guard let id, await tracker.isCaughtUp else {
            metrics.webhook("unavailable")
            return Answer(status: 503, reason: "catching up with the result topics; retry")
        }
        if await tracker.wasAcknowledged(webhookID: id) {
            metrics.webhook("duplicate")
            return Answer(status: 200, reason: "duplicate")
        }
        let event: MintfaxWebhookEvent
        do {
            event = try MintfaxWebhookEvent.parse(body)
        } catch {
            metrics.webhook("unreadable")
            logger.error("A signed webhook delivery cannot be read", metadata: ["error": "\(error)"])
            return Answer(status: 422, reason: "unreadable event: \(error)")
        }
        guard let fax = event.fax, let job = fax.jobReference, owns(job, routeTenant: routeTenant) else {
            await tracker.acknowledged(webhookID: id, at: Date())
            metrics.webhook("ignored")
            logger.notice(
                "Ignoring a webhook event that is not about a fax of this route's tenant",
                metadata: ["webhook.type": "\(event.type)"]
            )
            return Answer(status: 200, reason: "ignored")
        }
        let facts = DeliveryFacts.of(fax, job: job, factory: events)
        let tracker = tracker
        let published = await awaitResult(within: acknowledgementTimeout, fallback: false) {
            await tracker.publishOnce(facts, tenant: job.tenantID)
        }
        guard published else {
            metrics.webhook("unavailable")
            logger.warning("Kafka did not acknowledge a webhook's events in time; mintfax will retry", metadata: ["fax.id": "\(fax.id)"])
            return Answer(status: 503, reason: "events not yet acknowledged by Kafka; retry")
        }
        await tracker.acknowledged(webhookID: id, at: Date())
        metrics.webhook("published")
        logger.debug("Webhook published", metadata: ["fax.id": "\(fax.id)", "webhook.type": "\(event.type)"])
        return Answer(status: 200, reason: "ok")
    }

    /// The answer to a body that exceeded `maxBodyBytes` while it was read.
    func oversized() -> Answer {
        refuse(413, "the body is larger than \(maxBodyBytes) bytes", logger: logger)
    }

    /// A tenant's route speaks for that tenant only; the shared route for the tenants that send with the shared key.
    private func owns(_ job: JobReference, routeTenant: String?) -> Bool {
        if let routeTenant { return job.tenantID == routeTenant }
        return tenants.tenant(job.tenantID)?.shared ?? false
    }

    private func refuse(_ status: Int, _ reason: String, logger: Logger) -> Answer {
        metrics.webhook("refused")
        logger.warning("Webhook delivery refused", metadata: ["http.status": "\(status)", "reason": "\(reason)"])
        return Answer(status: status, reason: reason)
    }
}

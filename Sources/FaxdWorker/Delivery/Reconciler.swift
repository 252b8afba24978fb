import FaxdCore
import FaxdMintfax
import Foundation
import Logging

/// Fills in delivery events a lost webhook never brought (issue #5).
///
/// Every `reconcile_interval_seconds` it asks the `DeliveryTracker` for faxes with `fax.submitted`
/// and no final event `reconcile_after_seconds` after it, among the tenants that are this worker's
/// duty. Each is looked up with `GET /v1/faxes/{id}` — taking a token from the tenant's rate bucket,
/// so lookups and submissions share the tenant's limit — and the events its snapshot proves are
/// published with source `reconciler` and the ids a webhook would have produced (the job comes from
/// the fax's `faxd_tenant`/`faxd_job` tags). A fax is looked up
/// at most once per interval; what the webhook path already published is not published again.
struct Reconciler: Sendable {
    let tracker: DeliveryTracker
    let dispatcher: Dispatcher
    let duties: TenantDuties
    let mintfax: MintfaxClient
    let tenants: TenantDirectory
    /// Builds events with source `reconciler`.
    let events: EventFactory
    let configuration: WorkerConfiguration.Delivery
    let metrics: WorkerMetrics
    let logger: Logger

    /// Reconciles until the calling task is cancelled.
    func run() async {
        let interval = Duration.seconds(configuration.reconcileIntervalSeconds)
        while !Task.isCancelled {
            await reconcileOnce()
            try? await Task.sleep(for: interval)
        }
    }

    /// One round over the overdue faxes.
    func reconcileOnce() async {
        guard await tracker.isCaughtUp, let isOwned = await duties.current() else { return }
        let now = Date()
        let overdue = await tracker.overdue(
            now: now, after: TimeInterval(configuration.reconcileAfterSeconds),
            lookupInterval: TimeInterval(configuration.reconcileIntervalSeconds), isOwned: isOwned)
        for fax in overdue where !Task.isCancelled {
            guard let tenant = tenants.tenant(fax.tenantID), await dispatcher.takeToken(tenant: tenant.id) else { continue }
            await tracker.lookedUp(fax.faxID, at: now)
            await reconcile(fax, key: tenant.apiKey)
        }
    }

    private func reconcile(_ fax: DeliveryLedger.Fax, key: MintfaxAPIKey) async {
        var logger = logger
        logger[metadataKey: "tenant.id"] = "\(fax.tenantID)"
        logger[metadataKey: "fax.id"] = "\(fax.faxID)"
        let response: MintfaxResponse
        do {
            response = try await mintfax.fax(id: fax.faxID, key: key)
        } catch {
            metrics.reconcilerLookup("failed")
            logger.warning("Reconciler lookup failed", metadata: ["error": "\(error)"])
            return
        }
        await dispatcher.observe(tenant: fax.tenantID, response: response)
        guard response.status == 200, let snapshot = try? JSONDecoder().decode(FaxSnapshot.self, from: Data(response.body)),
            let job = snapshot.jobReference, job.tenantID == fax.tenantID
        else {
            metrics.reconcilerLookup("failed")
            logger.warning("Reconciler lookup answered unexpectedly", metadata: ["http.status": "\(response.status)"])
            return
        }
        let facts = DeliveryFacts.of(snapshot, job: job, factory: events)
        guard await tracker.publishOnce(facts, tenant: job.tenantID) else {
            metrics.reconcilerLookup("failed")
            return
        }
        metrics.reconcilerLookup(snapshot.status.isTerminal ? "finished" : "pending")
        if snapshot.status.isTerminal { logger.info("Reconciler found the fax finished", metadata: ["fax.status": "\(snapshot.status)"]) }
    }
}

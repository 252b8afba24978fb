import FaxdCore
import FaxdMintfax
import Foundation
import Logging

/// Fills in delivery events a lost webhook never brought (issues #5, #10).
///
/// Every `reconcile_interval_seconds` it asks the job ledger for the faxes of this worker's
/// partitions that were submitted `reconcile_after_seconds` ago or more and are not yet seen
/// finished — for a zero-footprint tenant from submission on, since mintfax keeps their pages only
/// until the fax finishes. Each is looked up with `GET /v1/faxes/{id}` — taking a token from the
/// tenant's rate bucket, so lookups and submissions share the tenant's limit — and the events its
/// snapshot proves are published with source `reconciler` and the ids a webhook would have produced.
/// The job comes from the ledger, not from the fax's tags (a zero-footprint fax has none left), and
/// so do the pages when the snapshot no longer has them. A finished fax is written to the ledger
/// as `delivered` or `failed` and not looked up again; pages seen on an unfinished fax are written
/// too. A fax is looked up at most once per interval; what the webhook path already published is
/// not published again.
struct Reconciler: Sendable {
    let tracker: DeliveryTracker
    let ledger: JobLedgerStore
    let dispatcher: Dispatcher
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
        guard await tracker.isCaughtUp else { return }
        let now = Date()
        let after = TimeInterval(configuration.reconcileAfterSeconds)
        let tenants = tenants
        let overdue = await ledger.overdue(
            now: now,
            after: { tenants.tenant($0.tenantID)?.retention == .zeroFootprint ? 0 : after },
            lookupInterval: TimeInterval(configuration.reconcileIntervalSeconds)
        )
        for fax in overdue where !Task.isCancelled {
            guard let tenant = tenants.tenant(fax.entry.tenantID), await dispatcher.takeToken(tenant: tenant.id) else { continue }
            await ledger.lookedUp(fax.entry.job, at: now)
            await reconcile(fax, key: tenant.apiKey)
        }
    }

    private func reconcile(_ fax: JobLedgerStore.Unfinished, key: MintfaxAPIKey) async {
        guard let faxID = fax.entry.faxID else { return }
        var logger = logger
        logger[metadataKey: "tenant.id"] = "\(fax.entry.tenantID)"
        logger[metadataKey: "fax.id"] = "\(faxID)"
        let answer: MintfaxAnswer<FaxSnapshot>
        do {
            answer = try await mintfax.fax(id: faxID, key: key)
        } catch {
            metrics.reconcilerLookup("failed")
            logger.warning("Reconciler lookup failed", metadata: ["error": "\(error)"])
            return
        }
        await dispatcher.observe(tenant: fax.entry.tenantID, response: answer.response)
        guard var snapshot = answer.value, snapshot.id == faxID else {
            metrics.reconcilerLookup("failed")
            logger.warning("Reconciler lookup answered unexpectedly", metadata: ["http.status": "\(answer.response.status)"])
            return
        }
        var entry = fax.entry
        if let pages = snapshot.pages, pages != entry.pages {
            entry.pages = pages
        } else if snapshot.pages == nil {
            snapshot.pages = entry.pages
        }
        if snapshot.status == .delivered, snapshot.pages == nil {
            logger.error(
                "A delivered fax's pages are unknown (zero-footprint retention removed them before they were seen); capturing 0 pages"
            )
        }
        guard await tracker.publishOnce(DeliveryFacts.of(snapshot, job: entry.job, factory: events), tenant: entry.tenantID) else {
            metrics.reconcilerLookup("failed")
            return
        }
        if snapshot.status.isTerminal { entry.state = snapshot.status == .delivered ? .delivered : .failed }
        if entry != fax.entry { _ = await ledger.write(entry, partition: fax.partition) }
        metrics.reconcilerLookup(snapshot.status.isTerminal ? "finished" : "pending")
        if snapshot.status.isTerminal { logger.info("Reconciler found the fax finished", metadata: ["fax.status": "\(snapshot.status)"]) }
    }
}

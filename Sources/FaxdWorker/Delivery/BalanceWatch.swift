import FaxdCore
import FaxdMintfax
import Foundation
import Logging

/// Reads each listed tenant's `GET /v1/environment/balance` every `balance.interval_seconds`
/// (mintfax does not send `balance.low` yet), exports it as `faxd_tenant_balance_cents`, and
/// publishes `usage.balance` when the available amount crossed the tenant's threshold since the
/// latest `usage.balance` on `fax.usage` (`BalanceCrossing`). Only the tenants that are this worker's
/// duty are read, each taking a token from the tenant's rate bucket.
struct BalanceWatch: Sendable {
    let tracker: DeliveryTracker
    let dispatcher: Dispatcher
    let duties: TenantDuties
    let mintfax: MintfaxClient
    let tenants: TenantDirectory
    let events: EventFactory
    let configuration: WorkerConfiguration.Balance
    let metrics: WorkerMetrics
    let logger: Logger

    /// Watches until the calling task is cancelled; returns at once when the interval is 0.
    func run() async {
        guard configuration.intervalSeconds > 0 else { return }
        while !Task.isCancelled {
            await checkOnce()
            try? await Task.sleep(for: .seconds(configuration.intervalSeconds))
        }
    }

    /// One reading of every owned tenant's balance.
    func checkOnce() async {
        guard await tracker.isCaughtUp, let isOwned = await duties.current() else { return }
        for id in tenants.listedTenantIDs where isOwned(id) && !Task.isCancelled {
            guard let tenant = tenants.tenant(id), await dispatcher.takeToken(tenant: id) else { continue }
            await check(tenant)
        }
    }

    private func check(_ tenant: TenantDirectory.Tenant) async {
        let answer: MintfaxAnswer<MintfaxBalance>
        do {
            answer = try await mintfax.balance(key: tenant.apiKey)
        } catch {
            logger.warning("Balance lookup failed", metadata: ["tenant.id": "\(tenant.id)", "error": "\(error)"])
            return
        }
        await dispatcher.observe(tenant: tenant.id, response: answer.response)
        guard let balance = answer.value else {
            logger.warning(
                "Balance lookup answered unexpectedly",
                metadata: ["tenant.id": "\(tenant.id)", "http.status": "\(answer.response.status)"]
            )
            return
        }
        metrics.balance(tenant: tenant.id, available: balance.available, held: balance.held)
        let threshold = tenant.balanceThresholdCents ?? configuration.thresholdCents
        guard BalanceCrossing.crossed(latest: await tracker.balance(tenant: tenant.id), available: balance.available, threshold: threshold)
        else { return }
        let event = events.usageBalance(
            tenantID: tenant.id,
            crossingID: BalanceCrossing.crossingID(threshold: threshold, available: balance.available, held: balance.held),
            available: balance.available,
            held: balance.held,
            occurredAt: Date()
        )
        if await tracker.publish(balance: event) {
            logger.notice(
                "Tenant balance crossed its threshold",
                metadata: [
                    "tenant.id": "\(tenant.id)", "balance.available_cents": "\(balance.available)",
                    "balance.threshold_cents": "\(threshold)",
                ]
            )
        }
    }
}

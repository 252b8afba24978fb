import FaxdCore
import Foundation
import Logging

/// The delivery side shared by `faxd worker` and `faxd webhooks`: the tracker, the reader that feeds
/// it from the result topics, and the webhook ingress (nil when `webhooks.enabled` is false).
struct DeliveryTracking: Sendable {
    let tracker: DeliveryTracker
    let ingress: WebhookIngress?
    private let reader: ResultTopicsReader
    private let logger: Logger

    /// - Parameters:
    ///   - events: the deployment's factory; the ingress's copy says `source: webhook`.
    ///   - jobLedger: the worker's job ledger, told of every final status event; nil in `faxd webhooks`.
    init(
        configuration: WorkerConfiguration,
        tenants: TenantDirectory,
        publisher: EventPublisher,
        events: EventFactory,
        jobLedger: JobLedgerStore?,
        metrics: WorkerMetrics,
        logger: Logger
    ) {
        self.logger = logger
        // What the tracker remembers is the window the reader reads at start-up.
        let forgetAfter = TimeInterval(configuration.delivery.forgetAfterMinutes * 60)
        tracker = DeliveryTracker(publisher: publisher, forgetAfter: forgetAfter, logger: logger)
        reader = ResultTopicsReader(kafka: configuration.kafka, tracker: tracker, jobLedger: jobLedger, window: forgetAfter, logger: logger)
        var webhookEvents = events
        webhookEvents.source = .webhook
        ingress =
            configuration.webhooks.enabled
            ? WebhookIngress(
                tenants: tenants,
                tracker: tracker,
                events: webhookEvents,
                tolerance: .seconds(configuration.webhooks.toleranceSeconds),
                maxBodyBytes: configuration.webhooks.maxBodyBytes,
                metrics: metrics,
                logger: logger
            )
            : nil
    }

    /// Follows the result topics until cancelled, starting again (from the window) after a failure.
    func followResultTopics() async {
        while !Task.isCancelled {
            do {
                try await reader.run()
            } catch {
                if Task.isCancelled { return }
                logger.error("Reading the result topics failed; starting again in 5 s", metadata: ["error": "\(error)"])
                try? await Task.sleep(for: .seconds(5))
            }
        }
    }
}

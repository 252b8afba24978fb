import FaxdHTTP
import FaxdMintfax
import Foundation
import Logging
import ServiceLifecycle

/// Delivers webhook events with our ``HTTPClient``, one child task per event and target, signed
/// per Standard Webhooks.
///
/// Each delivery is tried up to four times on mintfax's schedule — at once, then 10 s, 100 s
/// and 17 min after the previous failure, each multiplied by the time scale — until the receiver
/// answers 2xx within 30 s. Every attempt carries the same body and `webhook-id` (the event id)
/// with a fresh `webhook-timestamp` and signature, and is recorded for
/// `GET /_sandbox/webhook-deliveries`. A reset stops pending retries.
struct WebhookDispatcher: Service {
    /// Seconds to wait before each attempt, at time scale 1.
    static let schedule: [Double] = [0, 10, 100, 17 * 60]
    /// How long a receiver has to answer.
    static let timeout: Duration = .seconds(30)

    let store: SandboxStore
    let jobs: AsyncStream<WebhookDeliveryJob>
    let timeScale: Double
    let logger: Logger

    func run() async throws {
        let client = try HTTPClient(
            configuration: HTTPClientConfiguration(totalTimeout: Self.timeout, userAgent: "mintfax-sandbox-webhooks")
        )
        defer { client.shutdown() }
        await cancelWhenGracefulShutdown {
            await withDiscardingTaskGroup { group in
                for await job in jobs {
                    group.addTask { await deliver(job, client: client) }
                }
            }
        }
    }

    /// Tries one delivery on the schedule until it succeeds, the schedule ends, a reset makes it
    /// stale or the service stops.
    private func deliver(_ job: WebhookDeliveryJob, client: HTTPClient) async {
        let signer = WebhookSigner(secret: job.secret)
        for (index, delay) in Self.schedule.enumerated() {
            if delay > 0 {
                do { try await Task.sleep(for: .seconds(delay * timeScale)) } catch { return }
            }
            guard store.isCurrent(generation: job.generation) else { return }
            let sentAt = store.clock.now()
            let timestamp = Int(sentAt.timeIntervalSince1970)
            let request = HTTPRequest(
                method: .POST,
                url: job.url,
                headers: HTTPHeaders([
                    ("Content-Type", "application/json"),
                    ("webhook-id", job.eventID),
                    ("webhook-timestamp", String(timestamp)),
                    ("webhook-signature", signer.sign(id: job.eventID, timestamp: timestamp, body: job.body)),
                ]),
                body: job.body
            )
            let started = ContinuousClock.now
            var status: Int?
            var failure: String?
            do {
                status = try await client.execute(request).status
            } catch let error as HTTPClientError {
                if error.code == .cancelled || error.code == .shutdown { return }
                failure = error.code.description
            } catch {
                return
            }
            let elapsed = ContinuousClock.now - started
            let succeeded = status.map { (200..<300).contains($0) } ?? false
            store.recordDelivery(
                WebhookDeliveryRecord(
                    eventID: job.eventID,
                    eventType: job.eventType.rawValue,
                    faxID: job.faxID,
                    environment: job.environment,
                    endpointID: job.endpointID,
                    url: job.url,
                    attempt: index + 1,
                    webhookTimestamp: timestamp,
                    sentAt: sentAt,
                    responseStatus: status,
                    error: failure,
                    outcome: succeeded ? "succeeded" : "failed",
                    durationMilliseconds: Int(elapsed.components.seconds * 1000 + elapsed.components.attoseconds / 1_000_000_000_000_000)
                ),
                generation: job.generation
            )
            if succeeded { return }
        }
        logger.info(
            "Webhook delivery permanently failed",
            metadata: [
                "webhook.event_id": "\(job.eventID)", "webhook.event_type": "\(job.eventType.rawValue)",
                "sandbox.environment": "\(job.environment)",
            ]
        )
    }
}

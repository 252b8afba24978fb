import FaxdHTTP
import FaxdMintfax
import Foundation
import Logging
import ServiceLifecycle

/// Delivers webhook events with our ``HTTPClient``, signed per Standard Webhooks.
///
/// Each delivery is tried up to four times on mintfax's schedule — at once, then 10 s, 100 s
/// and 17 min after the previous failure, each multiplied by the time scale — until the receiver
/// answers 2xx within 30 s. Every attempt carries the same body and `webhook-id` (the event id)
/// with a fresh `webhook-timestamp` and signature, and is recorded for
/// `GET /_sandbox/webhook-deliveries`. A reset stops pending retries.
///
/// Deliveries wait for their attempts in one ``DueQueue``; at most ``concurrentAttempts`` attempts
/// run at once, each in a child task, so a receiver that is slow or down backs deliveries up in
/// the queue rather than in tens of thousands of waiting tasks.
struct WebhookDispatcher: Service {
    /// Seconds to wait before each attempt, at time scale 1.
    static let schedule: [Double] = [0, 10, 100, 17 * 60]
    /// How long a receiver has to answer.
    static let timeout: Duration = .seconds(30)
    /// Attempts in flight at most, over every receiver.
    static let concurrentAttempts = 256

    let store: SandboxStore
    let jobs: AsyncStream<WebhookDeliveryJob>
    let timeScale: Double
    let logger: Logger

    /// A delivery waiting for its attempt `attempt` (0-based index into ``schedule``).
    private struct Due: Sendable {
        var job: WebhookDeliveryJob
        var attempt: Int
    }

    func run() async throws {
        let client = try HTTPClient(
            configuration: HTTPClientConfiguration(totalTimeout: Self.timeout, userAgent: "mintfax-sandbox-webhooks")
        )
        defer { client.shutdown() }
        let due = DueQueue<Due>()
        await cancelWhenGracefulShutdown {
            await withTaskGroup(of: Void.self) { group in
                group.addTask {
                    for await job in jobs { due.schedule(Due(job: job, attempt: 0), at: .now) }
                }
                var attempting = 0
                while let delivery = await due.next() {
                    // The feeder never ends first, so what ends here is an attempt.
                    if attempting == Self.concurrentAttempts {
                        await group.next()
                        attempting -= 1
                    }
                    attempting += 1
                    group.addTask {
                        guard let retry = await attempt(delivery, client: client) else { return }
                        due.schedule(retry, at: .now + .seconds(Self.schedule[retry.attempt] * timeScale))
                    }
                }
                group.cancelAll()
            }
        }
    }

    /// Makes one attempt of a delivery, unless a reset made it stale.
    ///
    /// - Returns: the delivery's next attempt after a failure, or nil when it succeeded, its schedule
    ///   ended, it is stale or the service stops.
    private func attempt(_ delivery: Due, client: HTTPClient) async -> Due? {
        let (job, index) = (delivery.job, delivery.attempt)
        guard store.isCurrent(generation: job.generation) else { return nil }
        let signer = WebhookSigner(secret: job.secret)
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
            if error.code == .cancelled || error.code == .shutdown { return nil }
            failure = error.code.description
        } catch {
            return nil
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
        if succeeded { return nil }
        if index + 1 < Self.schedule.count { return Due(job: job, attempt: index + 1) }
        logger.info(
            "Webhook delivery permanently failed",
            metadata: [
                "webhook.event_id": "\(job.eventID)", "webhook.event_type": "\(job.eventType.rawValue)",
                "sandbox.environment": "\(job.environment)",
            ]
        )
        return nil
    }
}

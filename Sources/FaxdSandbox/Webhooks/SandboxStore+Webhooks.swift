import FaxdMintfax
import Foundation

extension SandboxStore {
    /// Registers an endpoint with a fresh signing secret.
    ///
    /// - Returns: the endpoint; its secret is shown once, in the creation answer.
    func addEndpoint(environment: EnvironmentHandle, url: String, events: [String]?, description: String?) -> WebhookEndpoint {
        var generator = SystemRandomNumberGenerator()
        let endpoint = WebhookEndpoint(
            id: Identifier.webhookEndpoint(),
            url: url,
            secret: WebhookSecret.random(using: &generator),
            events: events,
            description: description,
            createdAt: clock.now()
        )
        withState { $0.environments[environment.index].endpoints.append(endpoint) }
        return endpoint
    }

    /// Where an event of `type` about `fax` goes in `environment` (call with the state locked).
    ///
    /// A fax's own `webhook_url` is signed with the environment's webhook secret and receives
    /// every type; it replaces the registered endpoints, or joins them when the configuration
    /// says ``SandboxConfiguration/FaxWebhookURLMode/supplement``.
    static func targets(
        for fax: FaxRecord,
        type: WebhookEventType,
        in environment: SandboxEnvironment,
        mode: SandboxConfiguration.FaxWebhookURLMode
    ) -> [WebhookTarget] {
        var targets: [WebhookTarget] = []
        if let url = fax.options.webhookURL {
            targets.append(WebhookTarget(url: url, secret: environment.configuration.webhookSecret, endpointID: nil))
            if mode == .override { return targets }
        }
        for endpoint in environment.endpoints where endpoint.isSubscribed(to: type) {
            targets.append(WebhookTarget(url: endpoint.url, secret: endpoint.secret, endpointID: endpoint.id))
        }
        return targets
    }

    /// Builds the event for `fax` and enqueues one delivery per target (call without the lock).
    func emit(_ type: WebhookEventType, fax: FaxRecord, environment: String, targets: [WebhookTarget], generation: Int) {
        guard !targets.isEmpty else { return }
        let event = WebhookEvent(id: Identifier.event(), type: type, created: clock.now(), object: fax)
        let body: [UInt8]
        do {
            body = try JSONBody.encode(event)
        } catch {
            logger.error("Cannot encode a webhook event", metadata: ["webhook.event_type": "\(type.rawValue)", "error": "\(error)"])
            return
        }
        enqueueDeliveries(
            targets.map { target in
                WebhookDeliveryJob(
                    generation: generation,
                    eventID: event.id,
                    eventType: type,
                    faxID: fax.id,
                    environment: environment,
                    endpointID: target.endpointID,
                    url: target.url,
                    secret: target.secret,
                    body: body
                )
            }
        )
    }

    /// Whether work of `generation` is still current (no reset since).
    func isCurrent(generation: Int) -> Bool {
        withState { $0.generation == generation }
    }

    /// Records one delivery attempt, unless a reset made it stale.
    func recordDelivery(_ record: WebhookDeliveryRecord, generation: Int) {
        withState { state in
            if state.generation == generation { state.deliveries.append(record) }
        }
    }
}

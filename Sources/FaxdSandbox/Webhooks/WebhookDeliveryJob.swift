import FaxdMintfax

/// One event to deliver to one URL, with everything the dispatcher needs.
struct WebhookDeliveryJob: Sendable {
    /// The sandbox generation the event belongs to; a reset stops its retries.
    let generation: Int
    let eventID: String
    let eventType: WebhookEventType
    let faxID: String
    let environment: String
    let endpointID: String?
    let url: String
    let secret: WebhookSecret
    /// The envelope, identical on every attempt.
    let body: [UInt8]
}

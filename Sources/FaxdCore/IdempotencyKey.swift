/// The deterministic idempotency key of a job (DESIGN §4):
/// `UUIDv5(namespace, tenant_id + ":" + job_id)`, sent as mintfax's `Idempotency-Key`.
///
/// The same job, enqueued twice, replayed, re-driven or redone after a crash, always has the same key.
public struct IdempotencyKey: Sendable, Hashable, CustomStringConvertible {
    /// `a58da8f1-16c4-5398-a21a-bff26ae388c4` = UUIDv5(DNS namespace, "idempotency.faxd").
    public static let defaultNamespace = UUIDv5(namespace: .dnsNamespace, name: "idempotency.faxd")

    public let uuid: UUIDv5

    public init(tenantID: String, jobID: String, namespace: UUIDv5 = Self.defaultNamespace) {
        uuid = UUIDv5(namespace: namespace, joining: tenantID, jobID)
    }

    /// The id of the event of `type` for this key; `discriminator` separates events of one type
    /// (an attempt number, a webhook's state). Replays derive the same id, so consumers drop them.
    public func eventID(type: String, discriminator: String, namespace: UUIDv5 = Self.defaultNamespace) -> UUIDv5 {
        UUIDv5(namespace: namespace, joining: uuid, type, discriminator)
    }

    /// The lower-case canonical form sent on the wire.
    public var description: String { uuid.description }
}

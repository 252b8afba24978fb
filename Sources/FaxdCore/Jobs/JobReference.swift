/// Which job something is about: the tenant and the producer's job id. Enough to derive the
/// idempotency key and every event id of the job.
public struct JobReference: Sendable, Hashable {
    public var tenantID: String
    public var jobID: String

    public init(tenantID: String, jobID: String) {
        self.tenantID = tenantID
        self.jobID = jobID
    }

    /// The job's idempotency key (DESIGN §4) in `namespace`.
    public func idempotencyKey(namespace: UUIDv5 = IdempotencyKey.defaultNamespace) -> IdempotencyKey {
        IdempotencyKey(tenantID: tenantID, jobID: jobID, namespace: namespace)
    }
}

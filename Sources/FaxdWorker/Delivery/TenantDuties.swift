import FaxdCore
import FaxdKafka

/// Which tenants' balance watch is this worker's: those whose `DutyPartition` of the jobs topic is
/// assigned to it now. One owner per tenant across the group, moving with rebalances. (Reconciling
/// follows the job ledger's partitions instead.)
struct TenantDuties: Sendable {
    let consumer: KafkaConsumer
    let admin: KafkaAdmin
    let jobsTopic: String

    /// Whether a tenant is this worker's duty, as of now; nil while nothing is assigned.
    func current() async -> (@Sendable (String) -> Bool)? {
        guard let assignment = try? consumer.assignment() else { return nil }
        let owned = Set(assignment.filter { $0.topic == jobsTopic }.map(\.partition))
        guard !owned.isEmpty, let count = try? await admin.partitionCount(topic: jobsTopic), count > 0 else { return nil }
        return { owned.contains(DutyPartition.of(tenant: $0, partitionCount: count)) }
    }
}

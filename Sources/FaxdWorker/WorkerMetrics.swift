import FaxdKafka
public import Prometheus
import Synchronization

/// The worker's Prometheus metrics, registered in an injected registry (the executable owns it).
public struct WorkerMetrics: Sendable {
    public let registry: PrometheusCollectorRegistry
    private let outcomes: [String: Counter]
    private let deadLetters: Counter
    private let inFlight: Gauge
    private let submitLatency: DurationHistogram
    private let providerBreaker: Gauge
    private let keyBreakers: Gauge
    private let listedTenants: Gauge
    private let deadLettersTruncated: Counter
    private let misplacedTenants: Gauge
    private let assignedPartitions: Gauge
    /// The lag gauges of the partitions last reported, so that a partition that left loses its gauge.
    private let lagGauges = LagGauges()

    private final class LagGauges: Sendable {
        let gauges = Mutex<[KafkaTopicPartition: Gauge]>([:])
    }

    /// Job outcomes counted by `faxd_jobs_total{outcome}`.
    public static let outcomeNames = ["submitted", "rejected", "dead_lettered", "expired", "malformed", "retried"]

    public init(registry: PrometheusCollectorRegistry) {
        self.registry = registry
        var outcomes: [String: Counter] = [:]
        for outcome in Self.outcomeNames {
            outcomes[outcome] = registry.makeCounter(
                descriptor: Self.name("jobs", "total", "Jobs by outcome (retried counts attempts that will be retried)."),
                labels: [("outcome", outcome)]
            )
        }
        self.outcomes = outcomes
        deadLetters = registry.makeCounter(descriptor: Self.name("dead_letters", "total", "Records written to the dead-letter topic."))
        inFlight = registry.makeGauge(descriptor: Self.name("jobs_in_flight", "count", "Jobs holding a scheduler slot."))
        providerBreaker = registry.makeGauge(
            descriptor: Self.name(
                "mintfax_breaker_open",
                "state",
                "1 while mintfax fails broadly for several tenants and submissions are stopped."
            )
        )
        keyBreakers = registry.makeGauge(
            descriptor: Self.name("key_breakers_open", "count", "mintfax keys that fail broadly, the submissions of their tenants stopped.")
        )
        listedTenants = registry.makeGauge(
            descriptor: Self.name("tenants_listed", "count", "Tenants listed in the tenants file and directory, as last read.")
        )
        misplacedTenants = registry.makeGauge(
            descriptor: Self.name(
                "tenants_misplaced",
                "count",
                "Tenants whose jobs arrived on a partition their key does not hash to (a producer with another partitioner)."
            )
        )
        assignedPartitions = registry.makeGauge(
            descriptor: Self.name(
                "partitions_assigned",
                "count",
                "Partitions of the jobs topic this worker owns (0 between a revoke and an assignment)."
            )
        )
        deadLettersTruncated = registry.makeCounter(
            descriptor: Self.name(
                "dead_letters_truncated",
                "total",
                "Dead letters written as a bounded reference because the record was too large."
            )
        )
        submitLatency = registry.makeDurationHistogram(
            descriptor: Self.name("submit_duration", "seconds", "Time of one POST /v1/faxes, including the upload."),
            buckets: [
                .milliseconds(10), .milliseconds(50), .milliseconds(100), .milliseconds(250), .milliseconds(500), .seconds(1),
                .seconds(2.5), .seconds(5), .seconds(10), .seconds(30),
            ]
        )
    }

    private static func name(_ metric: String, _ unit: String, _ help: String) -> MetricNameDescriptor {
        MetricNameDescriptor(namespace: "faxd", metricName: metric, unitName: unit, helpText: help)
    }

    func count(_ outcome: String) { outcomes[outcome]?.increment() }
    func deadLettered() { deadLetters.increment() }
    func setInFlight(_ value: Int) { inFlight.set(Double(value)) }
    func setBreakers(providerOpen: Bool, keysOpen: Int) {
        providerBreaker.set(Double(providerOpen ? 1 : 0))
        keyBreakers.set(Double(keysOpen))
    }
    func deadLetterTruncated() { deadLettersTruncated.increment() }
    func setMisplacedTenants(_ count: Int) { misplacedTenants.set(Double(count)) }
    func setListedTenants(_ count: Int) { listedTenants.set(Double(count)) }
    func setAssignedPartitions(_ count: Int) { assignedPartitions.set(Double(count)) }
    func submitted(after duration: Duration) { submitLatency.record(duration) }

    /// `faxd_consumer_lag_records{topic,partition}`, refreshed from the consumer before each scrape:
    /// records not yet finished per owned partition. A partition no longer owned loses its gauge, so
    /// a sum over the pool counts each partition once.
    func recordLag(_ lag: [KafkaTopicPartition: Int64]) {
        let left = lagGauges.gauges.withLock { gauges in
            for (partition, value) in lag {
                let gauge =
                    gauges[partition]
                    ?? registry.makeGauge(
                        descriptor: Self.name(
                            "consumer_lag",
                            "records",
                            "Records not yet finished (read ahead, in flight or unread), per owned partition."
                        ),
                        labels: [("topic", partition.topic), ("partition", String(partition.partition))]
                    )
                gauge.set(Double(value))
                gauges[partition] = gauge
            }
            let left = gauges.filter { lag[$0.key] == nil }
            for partition in left.keys { gauges[partition] = nil }
            return left.values
        }
        for gauge in left { registry.unregisterGauge(gauge) }
    }

    /// `faxd_webhooks_total{outcome}`: webhook deliveries by how they were answered: `published`,
    /// `duplicate`, `ignored` (not a fax of ours), `refused` (401/413), `unreadable` (422),
    /// `unavailable` (503: catching up or Kafka did not acknowledge).
    func webhook(_ outcome: String) {
        registry.makeCounter(descriptor: Self.name("webhooks", "total", "Webhook deliveries by outcome."), labels: [("outcome", outcome)])
            .increment()
    }

    /// `faxd_reconciler_lookups_total{outcome}`: `GET /v1/faxes/{id}` by the reconciler: `finished`
    /// (the fax had ended; its missing events are published), `pending` (still under way), `failed`.
    func reconcilerLookup(_ outcome: String) {
        registry.makeCounter(
            descriptor: Self.name("reconciler_lookups", "total", "Reconciler lookups by outcome."),
            labels: [("outcome", outcome)]
        )
        .increment()
    }

    /// `faxd_tenant_balance_cents{tenant,kind}` (`available`, `held`), from the balance watch.
    func balance(tenant: String, available: Int, held: Int) {
        for (kind, value) in [("available", available), ("held", held)] {
            registry.makeGauge(
                descriptor: Self.name("tenant_balance", "cents", "A tenant's mintfax balance."),
                labels: [("tenant", tenant), ("kind", kind)]
            )
            .set(Double(value))
        }
    }

    /// The Prometheus text exposition.
    public func render() -> [UInt8] {
        var buffer: [UInt8] = []
        registry.emit(into: &buffer)
        return buffer
    }
}

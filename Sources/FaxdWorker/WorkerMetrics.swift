import FaxdCore
import FaxdKafka
import Foundation
public import Prometheus
import Synchronization

/// The worker's Prometheus metrics, registered in an injected registry (the executable owns it).
/// A class: every job run counts through it, and a copy of a struct retained each of its metrics.
public final class WorkerMetrics: Sendable {
    public let registry: PrometheusCollectorRegistry
    /// Each tenant's outcomes of the last minutes, for the console.
    let recent = RecentOutcomes()
    private let outcomes: [String: Counter]
    private let inFlight: Gauge
    private let ledgerRestoring: Gauge
    private let resultTopicsCaughtUp: Gauge
    private let submitLatency: DurationHistogram
    private let enqueueToSubmitted: DurationHistogram
    private let providerBreaker: Gauge
    private let keyBreakers: Gauge
    private let listedTenants: Gauge
    private let deadLettersTruncated: Counter
    private let misplacedTenants: Gauge
    private let assignedPartitions: Gauge
    /// Whether the per-tenant families are filled (`metrics.tenant_labels`).
    private let tenantLabels: Bool
    private let lag: GaugeFamily
    private let oldestUnfinished: GaugeFamily
    private let tenantJobs: GaugeFamily
    private let tenantThrottled: GaugeFamily
    private let tenantCircuitOpen: GaugeFamily
    private let tenantOldestQueued: GaugeFamily
    private let tenantsByState: GaugeFamily

    /// The gauges of one metric over label values that come and go (partitions, tenants): `update`
    /// sets the ones given and unregisters the others, so a partition or tenant that left is not
    /// reported by two workers, nor kept at its last value.
    private final class GaugeFamily: Sendable {
        let registry: PrometheusCollectorRegistry
        let name: (metric: String, unit: String, help: String)
        let labelNames: [String]
        let gauges = Mutex<[[String]: Gauge]>([:])

        init(_ registry: PrometheusCollectorRegistry, _ metric: String, _ unit: String, _ help: String, labels: [String]) {
            self.registry = registry
            self.name = (metric, unit, help)
            self.labelNames = labels
        }

        /// - Parameter values: by label values, in the order of `labelNames`.
        func update(_ values: [[String]: Double]) {
            // Unregistered under the lock too: a scrape at the same time must not take a gauge from
            // the registry that this one is about to unregister.
            gauges.withLock { gauges in
                for (labels, value) in values {
                    let gauge =
                        gauges[labels]
                        ?? registry.makeGauge(
                            descriptor: WorkerMetrics.name(name.metric, name.unit, name.help),
                            labels: Array(zip(labelNames, labels))
                        )
                    gauge.set(value)
                    gauges[labels] = gauge
                }
                for (labels, gauge) in gauges where values[labels] == nil {
                    registry.unregisterGauge(gauge)
                    gauges[labels] = nil
                }
            }
        }
    }

    /// Job outcomes counted by `faxd_jobs_total{outcome}`.
    public static let outcomeNames = ["submitted", "rejected", "dead_lettered", "expired", "malformed", "retried"]

    /// - Parameter tenantLabels: whether per-tenant series are reported (`metrics.tenant_labels`).
    public init(registry: PrometheusCollectorRegistry, tenantLabels: Bool = true) {
        self.registry = registry
        self.tenantLabels = tenantLabels
        var outcomes: [String: Counter] = [:]
        for outcome in Self.outcomeNames {
            outcomes[outcome] = registry.makeCounter(
                descriptor: Self.name("jobs", "total", "Jobs by outcome (retried counts attempts that will be retried)."),
                labels: [("outcome", outcome)]
            )
        }
        self.outcomes = outcomes
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
        ledgerRestoring = registry.makeGauge(
            descriptor: Self.name(
                "ledger_partitions_restoring",
                "count",
                "Owned partitions whose job ledger is still being read; their jobs wait for it."
            )
        )
        resultTopicsCaughtUp = registry.makeGauge(
            descriptor: Self.name(
                "result_topics_caught_up",
                "state",
                "1 once the recent window of the status and usage topics is read (webhooks answer 503 before)."
            )
        )
        lag = GaugeFamily(
            registry,
            "consumer_lag",
            "records",
            "Records not yet finished (read ahead, in flight or unread), per owned partition.",
            labels: ["topic", "partition"]
        )
        oldestUnfinished = GaugeFamily(
            registry,
            "partition_oldest_unfinished_age",
            "seconds",
            "Age (from its record's timestamp) of the lowest unfinished job per owned partition; 0 when none.",
            labels: ["topic", "partition"]
        )
        tenantJobs = GaugeFamily(
            registry,
            "tenant_jobs",
            "count",
            "A tenant's jobs by state: queued, in_flight, retrying (waiting for a retry's delay).",
            labels: ["tenant", "state"]
        )
        tenantThrottled = GaugeFamily(
            registry,
            "tenant_throttled",
            "state",
            "1 while a tenant has jobs queued and its rate budget or mintfax's feedback holds them.",
            labels: ["tenant"]
        )
        tenantCircuitOpen = GaugeFamily(
            registry,
            "tenant_circuit_open",
            "state",
            "1 while a tenant's key is stopped: its breaker is open, or its credentials or balance failed.",
            labels: ["tenant"]
        )
        tenantOldestQueued = GaugeFamily(
            registry,
            "tenant_oldest_queued_age",
            "seconds",
            "Age (from its record's timestamp) of a tenant's first queued job.",
            labels: ["tenant"]
        )
        tenantsByState = GaugeFamily(
            registry,
            "tenants",
            "count",
            "Tenants with jobs (with_work), and of those the throttled and those with an open circuit.",
            labels: ["state"]
        )
        submitLatency = registry.makeDurationHistogram(
            descriptor: Self.name("submit_duration", "seconds", "Time of one POST /v1/faxes, including the upload."),
            buckets: [
                .milliseconds(10), .milliseconds(50), .milliseconds(100), .milliseconds(250), .milliseconds(500), .seconds(1),
                .seconds(2.5), .seconds(5), .seconds(10), .seconds(30),
            ]
        )
        enqueueToSubmitted = registry.makeDurationHistogram(
            descriptor: Self.name(
                "enqueue_to_submitted",
                "seconds",
                "Time from a job's record timestamp (its producer's enqueue) to mintfax accepting its fax: what a producer waits."
            ),
            buckets: [
                .milliseconds(5), .milliseconds(10), .milliseconds(25), .milliseconds(50), .milliseconds(100), .milliseconds(250),
                .milliseconds(500), .seconds(1), .seconds(2.5), .seconds(5), .seconds(10), .seconds(30), .seconds(60), .seconds(300),
                .seconds(900), .seconds(3600),
            ]
        )
    }

    fileprivate static func name(_ metric: String, _ unit: String, _ help: String) -> MetricNameDescriptor {
        MetricNameDescriptor(namespace: "faxd", metricName: metric, unitName: unit, helpText: help)
    }

    func count(_ outcome: String) { outcomes[outcome]?.increment() }

    /// Counts `outcome` of a job of `tenant`, also for the console's per-tenant throughput and failures.
    func count(_ outcome: RecentOutcomes.Outcome, tenant: String) {
        outcomes[outcome.rawValue]?.increment()
        recent.record(outcome, tenant: tenant)
    }
    /// `faxd_dead_letters_total{code}`: a record written to the dead-letter topic, by its
    /// `faxd.error.code` (a bounded set: faxd's own codes and mintfax's).
    func deadLettered(code: String) {
        registry.makeCounter(
            descriptor: Self.name("dead_letters", "total", "Records written to the dead-letter topic, by error code."),
            labels: [("code", code)]
        )
        .increment()
    }

    /// `faxd_rebalances_total{kind}`: partitions of the jobs topic `assigned`, `revoked`, or `lost`
    /// (revoked without a chance to finish: the session ended), once per rebalance callback.
    func rebalanced(_ kind: String) {
        registry.makeCounter(
            descriptor: Self.name("rebalances", "total", "Rebalance callbacks of the jobs consumer: assigned, revoked, lost."),
            labels: [("kind", kind)]
        )
        .increment()
    }

    func setLedgerRestoring(_ partitions: Int) { ledgerRestoring.set(Double(partitions)) }
    func setResultTopicsCaughtUp(_ caughtUp: Bool) { resultTopicsCaughtUp.set(Double(caughtUp ? 1 : 0)) }
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
    /// A job's fax was accepted at `now`, its record written at `recordTime` (milliseconds since the
    /// epoch, its producer's clock); a record without a timestamp, or stamped ahead of now, is not counted.
    func submitted(recordTime: Int64?, now: Date) {
        guard let recordTime else { return }
        let waited = Int64(now.timeIntervalSince1970 * 1000) - recordTime
        if waited >= 0 { enqueueToSubmitted.record(.milliseconds(waited)) }
    }

    /// `faxd_consumer_lag_records{topic,partition}`, refreshed from the consumer before each scrape:
    /// records not yet finished per owned partition. A partition no longer owned loses its gauge, so
    /// a sum over the pool counts each partition once.
    func recordLag(_ lag: [KafkaTopicPartition: Int64]) {
        self.lag.update(Dictionary(uniqueKeysWithValues: lag.map { ([$0.key.topic, String($0.key.partition)], Double($0.value)) }))
    }

    /// The dispatch's view at `now`, before each scrape: per owned partition of `topic` the age of
    /// its oldest unfinished job; per tenant with work (when `tenantLabels`) its jobs by state,
    /// whether it is throttled or its circuit open, and the age of its first queued job; and the
    /// counts of such tenants. Tenants and partitions without work lose their series.
    func recordDispatch(_ view: DispatchStateMachine<Dispatcher.PendingJob>.View, topic: String, now: Date) {
        let nowMS = Int64(now.timeIntervalSince1970 * 1000)
        func age(_ time: Int64?) -> Double { time.map { Double(max(0, nowMS - $0)) / 1000 } ?? 0 }
        oldestUnfinished.update(
            Dictionary(uniqueKeysWithValues: view.partitions.map { ([topic, String($0.key)], age($0.value.oldestUnfinishedTime)) })
        )
        let tenants = view.tenants
        tenantsByState.update([
            ["with_work"]: Double(tenants.count),
            ["throttled"]: Double(tenants.values.filter(\.activity.throttled).count),
            ["circuit_open"]: Double(tenants.values.filter(\.activity.circuitOpen).count),
        ])
        guard tenantLabels else { return }
        var jobs: [[String]: Double] = [:]
        var throttled: [[String]: Double] = [:]
        var circuitOpen: [[String]: Double] = [:]
        var oldestQueued: [[String]: Double] = [:]
        for (tenant, row) in tenants {
            jobs[[tenant, "queued"]] = Double(row.activity.queued)
            jobs[[tenant, "in_flight"]] = Double(row.activity.inFlight)
            jobs[[tenant, "retrying"]] = Double(row.retrying)
            throttled[[tenant]] = row.activity.throttled ? 1 : 0
            circuitOpen[[tenant]] = row.activity.circuitOpen ? 1 : 0
            oldestQueued[[tenant]] = age(row.oldestQueuedTime)
        }
        tenantJobs.update(jobs)
        tenantThrottled.update(throttled)
        tenantCircuitOpen.update(circuitOpen)
        tenantOldestQueued.update(oldestQueued)
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

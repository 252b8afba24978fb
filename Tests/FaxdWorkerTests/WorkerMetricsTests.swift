import FaxdCore
import FaxdKafka
import Foundation
import Prometheus
import Testing

@testable import FaxdWorker

/// What `/metrics` says about partitions as the assignment changes.
@Suite struct WorkerMetricsTests {
    static func lagLines(_ metrics: WorkerMetrics) -> [String] {
        String(decoding: metrics.render(), as: UTF8.self).split(separator: "\n").map(String.init).filter {
            $0.hasPrefix("faxd_consumer_lag_records{")
        }.sorted()
    }

    @Test func aPartitionThatLeftLosesItsLagGaugeSoThePoolCountsEachOnce() {
        let metrics = WorkerMetrics(registry: PrometheusCollectorRegistry())
        let (zero, one) = (KafkaTopicPartition(topic: "fax.jobs", partition: 0), KafkaTopicPartition(topic: "fax.jobs", partition: 1))
        metrics.recordLag([zero: 20_000, one: 3])
        #expect(
            Self.lagLines(metrics) == [
                #"faxd_consumer_lag_records{topic="fax.jobs",partition="0"} 20000.0"#,
                #"faxd_consumer_lag_records{topic="fax.jobs",partition="1"} 3.0"#,
            ]
        )
        // Partition 0 revoked: its gauge goes, partition 1's follows its value.
        metrics.recordLag([one: 2])
        #expect(Self.lagLines(metrics) == [#"faxd_consumer_lag_records{topic="fax.jobs",partition="1"} 2.0"#])
        // Assigned again later: a gauge again.
        metrics.recordLag([zero: 5, one: 2])
        #expect(Self.lagLines(metrics).count == 2)
    }
}

/// What `/metrics` says about tenants, partitions' oldest jobs, dead letters and rebalances (issue #15).
@Suite struct DispatchMetricsTests {
    typealias View = DispatchStateMachine<Dispatcher.PendingJob>.View
    static let now = Date(timeIntervalSince1970: 1_800_000_100)

    static func lines(_ metrics: WorkerMetrics, _ prefix: String) -> [String] {
        String(decoding: metrics.render(), as: UTF8.self).split(separator: "\n").map(String.init).filter { $0.hasPrefix(prefix) }.sorted()
    }

    static func view(tenants: [String: View.Tenant], partitions: [Int32: View.Partition]) -> View {
        View(tenants: tenants, partitions: partitions)
    }

    static func tenant(queued: Int, inFlight: Int, throttled: Bool = false, circuitOpen: Bool = false, oldest: Int64?) -> View.Tenant {
        var row = View.Tenant()
        row.activity = TenantActivity(queued: queued, inFlight: inFlight, throttled: throttled, circuitOpen: circuitOpen)
        row.oldestQueuedTime = oldest
        return row
    }

    @Test func tenantsAndPartitionsReportTheirJobsAndAgesAndLoseTheirSeriesWhenTheirWorkIsDone() {
        let metrics = WorkerMetrics(registry: PrometheusCollectorRegistry())
        let written: Int64 = 1_800_000_000_000
        metrics.recordDispatch(
            Self.view(
                tenants: [
                    "acme": Self.tenant(queued: 40, inFlight: 2, throttled: true, oldest: written),
                    "globex": Self.tenant(queued: 1, inFlight: 0, circuitOpen: true, oldest: written + 70_000),
                ],
                partitions: [
                    0: .init(unfinished: 42, held: 0, oldestUnfinishedTime: written),
                    3: .init(unfinished: 0, held: 0, oldestUnfinishedTime: nil),
                ]
            ),
            topic: "fax.jobs",
            now: Self.now
        )
        #expect(
            Self.lines(metrics, "faxd_partition_oldest_unfinished_age_seconds{") == [
                #"faxd_partition_oldest_unfinished_age_seconds{topic="fax.jobs",partition="0"} 100.0"#,
                #"faxd_partition_oldest_unfinished_age_seconds{topic="fax.jobs",partition="3"} 0.0"#,
            ]
        )
        #expect(Self.lines(metrics, "faxd_tenant_jobs_count{tenant=\"acme\"").count == 3)
        #expect(
            Self.lines(metrics, "faxd_tenant_jobs_count{tenant=\"acme\",state=\"queued\"}") == [
                #"faxd_tenant_jobs_count{tenant="acme",state="queued"} 40.0"#
            ]
        )
        #expect(
            Self.lines(metrics, "faxd_tenant_throttled_state{") == [
                #"faxd_tenant_throttled_state{tenant="acme"} 1.0"#, #"faxd_tenant_throttled_state{tenant="globex"} 0.0"#,
            ]
        )
        #expect(
            Self.lines(metrics, "faxd_tenant_circuit_open_state{tenant=\"globex\"}") == [
                #"faxd_tenant_circuit_open_state{tenant="globex"} 1.0"#
            ]
        )
        #expect(
            Self.lines(metrics, "faxd_tenant_oldest_queued_age_seconds{") == [
                #"faxd_tenant_oldest_queued_age_seconds{tenant="acme"} 100.0"#,
                #"faxd_tenant_oldest_queued_age_seconds{tenant="globex"} 30.0"#,
            ]
        )
        #expect(
            Self.lines(metrics, "faxd_tenants_count{") == [
                #"faxd_tenants_count{state="circuit_open"} 1.0"#, #"faxd_tenants_count{state="throttled"} 1.0"#,
                #"faxd_tenants_count{state="with_work"} 2.0"#,
            ]
        )

        // acme's work is done and partition 3 left: their series go.
        metrics.recordDispatch(
            Self.view(
                tenants: ["globex": Self.tenant(queued: 1, inFlight: 0, circuitOpen: true, oldest: written + 70_000)],
                partitions: [0: .init(unfinished: 1, held: 0, oldestUnfinishedTime: written + 70_000)]
            ),
            topic: "fax.jobs",
            now: Self.now
        )
        #expect(Self.lines(metrics, "faxd_tenant_jobs_count{tenant=\"acme\"").isEmpty)
        #expect(Self.lines(metrics, "faxd_tenant_throttled_state{") == [#"faxd_tenant_throttled_state{tenant="globex"} 0.0"#])
        #expect(
            Self.lines(metrics, "faxd_partition_oldest_unfinished_age_seconds{")
                == [#"faxd_partition_oldest_unfinished_age_seconds{topic="fax.jobs",partition="0"} 30.0"#]
        )
        #expect(Self.lines(metrics, "faxd_tenants_count{state=\"with_work\"}") == [#"faxd_tenants_count{state="with_work"} 1.0"#])
    }

    @Test func withoutTenantLabelsOnlyTheCountsOverAllTenantsAreReported() {
        let metrics = WorkerMetrics(registry: PrometheusCollectorRegistry(), tenantLabels: false)
        metrics.recordDispatch(
            Self.view(tenants: ["acme": Self.tenant(queued: 3, inFlight: 1, throttled: true, oldest: nil)], partitions: [:]),
            topic: "fax.jobs",
            now: Self.now
        )
        let text = String(decoding: metrics.render(), as: UTF8.self)
        #expect(!text.contains("tenant=\""), "no series names a tenant")
        #expect(Self.lines(metrics, "faxd_tenants_count{state=\"throttled\"}") == [#"faxd_tenants_count{state="throttled"} 1.0"#])
    }

    @Test func deadLettersAreCountedByCodeAndRebalancesByKind() {
        let metrics = WorkerMetrics(registry: PrometheusCollectorRegistry())
        metrics.deadLettered(code: "unauthenticated")
        metrics.deadLettered(code: "unauthenticated")
        metrics.deadLettered(code: "not_json")
        metrics.rebalanced("assigned")
        metrics.rebalanced("revoked")
        metrics.rebalanced("assigned")
        #expect(
            Self.lines(metrics, "faxd_dead_letters_total{") == [
                #"faxd_dead_letters_total{code="not_json"} 1"#, #"faxd_dead_letters_total{code="unauthenticated"} 2"#,
            ]
        )
        #expect(
            Self.lines(metrics, "faxd_rebalances_total{") == [
                #"faxd_rebalances_total{kind="assigned"} 2"#, #"faxd_rebalances_total{kind="revoked"} 1"#,
            ]
        )
    }
}

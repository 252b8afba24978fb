import FaxdKafka
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

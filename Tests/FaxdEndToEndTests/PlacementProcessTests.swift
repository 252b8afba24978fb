import FaxdCore
import FaxdHTTP
import FaxdKafka
import FaxdTestSupport
import Foundation
import Testing

/// A producer that does not partition like Kafka's Java client is noticed by the worker.
@Suite struct PlacementProcessTests {
    @Test func aTenantOnAPartitionItsKeyDoesNotHashToIsCountedAndItsJobStillDone() async throws {
        let harness = try await PipelineHarness(partitions: 4)
        let producer = try KafkaProducer(configuration: .init(bootstrapServers: harness.bootstrap), logger: KafkaFixtures.logger("test.e2e.producer"))
        func message(_ tenant: String, _ id: String, partition: Int32? = nil) -> KafkaOutgoingMessage {
            let line = PipelineHarness.job(tenant: tenant, id: id).split(separator: "\t", maxSplits: 1)
            return KafkaOutgoingMessage(topic: "fax.jobs", partition: partition, key: Array(line[0].utf8), value: Array(line[1].utf8))
        }
        // t1 as faxd's producers place it (murmur2); t2 once there and once a partition off.
        let t2Home = Murmur2Partitioner.partition(key: Array("t2".utf8), partitions: 4)
        for record in [message("t1", "placed"), message("t2", "home"), message("t2", "away", partition: (t2Home + 1) % 4)] {
            _ = try await producer.send(record)
        }
        await producer.close()
        let port = freeLocalPort()
        let worker = try await harness.startWorker(environment: ["FAXD_METRICS_LISTEN": "127.0.0.1:\(port)"])

        let jobs = [(tenant: "t1", id: "placed"), (tenant: "t2", id: "home"), (tenant: "t2", id: "away")]
        let tally = try await harness.tallyUntilSubmitted(jobs)
        #expect(tally.submitted.count == 3)
        let client = try HTTPClient()
        let metrics = try await client.execute(HTTPRequest(method: .GET, url: "http://127.0.0.1:\(port)/metrics"))
        client.shutdown()
        #expect(String(decoding: metrics.body, as: UTF8.self).contains("faxd_tenants_misplaced_count 1.0"))
        #expect(try await worker.stop() == 0)
        await harness.stop()
    }
}

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
        let producer = try KafkaProducer(
            configuration: .init(bootstrapServers: harness.bootstrap),
            logger: KafkaFixtures.logger("test.e2e.producer")
        )
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

    /// kcat with librdkafka's default partitioner (CRC32 of the key) as a careless producer would
    /// run it: the worker names each tenant it finds off its murmur2 partition in one warning, counts
    /// them, and sends every job anyway.
    @Test func aProducerWithLibrdkafkasDefaultPartitionerIsNamedOncePerTenantItMisplaces() async throws {
        let harness = try await PipelineHarness(partitions: 4)
        let jobs = (0..<40).map { (tenant: "t\($0 % 20 + 1)", id: "crc-\($0)") }
        try await harness.produce(jobs.map { PipelineHarness.job(tenant: $0.tenant, id: $0.id) }, partitioner: nil)
        let misplaced = Set(
            try await harness.readAll("fax.jobs").filter { $0.partition != Murmur2Partitioner.partition(key: $0.key ?? [], partitions: 4) }
                .map { String(decoding: $0.key ?? [], as: UTF8.self) }
        )
        #expect(misplaced.count >= 5, "CRC32 and murmur2 agreed on too many of 20 tenants for the test to mean anything")
        let port = freeLocalPort()
        let worker = try await harness.startWorker(
            tenants: 20,
            environment: ["FAXD_METRICS_LISTEN": "127.0.0.1:\(port)", "FAXD_LOG_LEVEL": "warning"]
        )

        let tally = try await harness.tallyUntilSubmitted(jobs)
        #expect(tally.submitted.count == jobs.count)
        let client = try HTTPClient()
        let metrics = try await client.execute(HTTPRequest(method: .GET, url: "http://127.0.0.1:\(port)/metrics"))
        client.shutdown()
        #expect(String(decoding: metrics.body, as: UTF8.self).contains("faxd_tenants_misplaced_count \(misplaced.count).0"))
        let warned = worker.standardError.split(separator: "\n").filter { $0.contains("does not hash to") }.compactMap { line in
            line.firstRange(of: #/"tenant.id":"([^"]+)"/#).map { String(line[$0].dropFirst(13).dropLast()) }
        }
        #expect(
            warned.count == misplaced.count && Set(warned) == misplaced,
            "warned about \(warned.sorted()), misplaced \(misplaced.sorted())"
        )
        #expect(try await worker.stop() == 0)
        await harness.stop()
    }
}

import FaxdCore
import FaxdKafka
import FaxdTestSupport
import Foundation
import Testing

/// Records no producer should write, among ordinary jobs: whatever their bytes, every one finishes
/// (its offset is committed) and no ordinary job waits behind them.
@Suite struct BadInputProcessTests {
    @Test func aNearMegabyteRecordAndTenThousandFuzzedRecordsAllFinishAndEveryJobIsFaxed() async throws {
        let harness = try await PipelineHarness(partitions: 3)
        let jobs = (0..<30).map { (tenant: "t\($0 % 5 + 1)", id: "ordinary-\($0)") }
        var random = SeededRandomNumberGenerator(seed: 11)
        let fuzzed = (0..<10_000).map { FuzzedRecord.make($0, random: &random) }
        // 999,950 bytes that are not JSON: with faxd's headers its dead letter is more than Kafka takes.
        // On a partition of its own key's (t3: no other tenant's keys hash there), so that no partition
        // holds more than the mock cluster keeps.
        let big = KafkaOutgoingMessage(
            topic: "fax.jobs",
            partition: Murmur2Partitioner.partition(key: Array("t3".utf8), partitions: 3),
            key: Array("t3".utf8),
            value: Array(repeating: UInt8(ascii: "x"), count: 999_950)
        )
        var messages = [big]
        for (index, job) in jobs.enumerated() {
            let line = PipelineHarness.job(tenant: job.tenant, id: job.id).split(separator: "\t", maxSplits: 1)
            messages.append(KafkaOutgoingMessage(topic: "fax.jobs", key: Array(line[0].utf8), value: Array(line[1].utf8)))
            messages += fuzzed[(index * 10_000 / jobs.count)..<((index + 1) * 10_000 / jobs.count)]
        }
        let producer = try KafkaProducer(
            configuration: .init(bootstrapServers: harness.bootstrap),
            logger: KafkaFixtures.logger("test.e2e.producer")
        )
        try await withThrowingTaskGroup(of: Void.self) { group in
            for message in messages { group.addTask { _ = try await producer.send(message) } }
            try await group.waitForAll()
        }
        await producer.close()
        let worker = try await harness.startWorker()

        let tally = try await harness.tallyUntilSubmitted(jobs)
        #expect(tally.submitted.isSuperset(of: Set(jobs.map { "\($0.tenant)/\($0.id)" })), "an ordinary job was not faxed")
        // Every record finished: the group committed the end of every partition.
        let admin = try KafkaAdmin(
            configuration: .init(bootstrapServers: harness.bootstrap),
            logger: KafkaFixtures.logger("test.e2e.admin")
        )
        let marks = try await admin.watermarks(ofTopic: "fax.jobs")
        #expect(marks.values.allSatisfy { $0.low == 0 }, "the mock cluster dropped records of a partition too full: \(marks)")
        let ends = marks.mapValues(\.high)
        try await Eventually.wait(for: "every offset committed", timeout: .seconds(120), interval: .milliseconds(500)) {
            try await admin.committedOffsets(group: harness.groupID, partitions: Array(ends.keys)).allSatisfy { $0.value == ends[$0.key] }
        }
        await admin.close()
        let dead = try await harness.readAll("fax.jobs.dlq")
        let reference = try #require(dead.first { $0.header("faxd.truncated") != nil }, "the near-megabyte record has no dead letter")
        #expect(reference.header("faxd.original.size") == Array("999950".utf8))
        #expect(reference.value == Array(repeating: UInt8(ascii: "x"), count: 1024))
        #expect(reference.header("faxd.error.code") == Array("not_json".utf8))
        let keys = try await harness.sandboxFaxes().map(\.key)
        #expect(Set(keys).count == keys.count, "a job got a second fax")
        #expect(Set(jobs.map { IdempotencyKey(tenantID: $0.tenant, jobID: $0.id).description }).isSubset(of: Set(keys)))
        #expect(try await worker.stop() == 0)
        await harness.stop()
    }

    @Test func aTenantWithMaxInFlightZeroStopsStartUpNamingTheKey() async throws {
        let harness = try await PipelineHarness(partitions: 1)
        let worker = try await harness.startWorker(tenants: 2, tenantExtras: ["t2": "max_in_flight: 0"])
        #expect(try await worker.waitForExit() != 0)
        #expect(
            worker.standardError.contains("tenants.yaml: tenants.1.max_in_flight: must be at least 1, got 0"),
            "\(worker.standardError)"
        )
        await harness.stop()
    }
}

/// Records a careless or hostile producer writes: random bytes, cut-off and mistyped jobs, deep
/// nesting, huge numbers, odd keys. Small enough in all (about 2 MB) that the mock cluster, which keeps
/// only the last few MB of a partition, keeps every one.
enum FuzzedRecord {
    static func make(_ index: Int, random: inout SeededRandomNumberGenerator) -> KafkaOutgoingMessage {
        let tenant = "t\(Int.random(in: 1...6, using: &random))"
        let valid =
            #"{"job_id":"fuzz-\#(index)","tenant_id":"\#(tenant)","to":"+12125550100","document":{"url":"https://x.example/a.pdf"}}"#
        let value: [UInt8]
        switch Int.random(in: 0..<9, using: &random) {
        case 0: value = (0..<Int.random(in: 0...300, using: &random)).map { _ in UInt8.random(in: 0...255, using: &random) }
        case 1: value = Array(valid.utf8.prefix(Int.random(in: 0..<valid.utf8.count, using: &random)))
        case 2: value = Array(valid.replacingOccurrences(of: #""+12125550100""#, with: "12125550100e99999").utf8)
        case 3:
            let depth = Int.random(in: 20...300, using: &random)
            value = Array((String(repeating: "[", count: depth) + String(repeating: "]", count: depth)).utf8)
        case 4:
            let depth = Int.random(in: 20...300, using: &random)
            value = Array((String(repeating: #"{"a":"#, count: depth) + "1" + String(repeating: "}", count: depth)).utf8)
        case 5: value = Array(valid.replacingOccurrences(of: "\"document\"", with: "\"document\\u0000\"").utf8)
        case 6: value = Array(#"{"job_id":\#(Int.random(in: Int.min...Int.max, using: &random)),"tenant_id":null}"#.utf8)
        case 7: value = Array(valid.utf8) + [0xC3, 0x28, 0xFF]
        default: value = []
        }
        let key: [UInt8]? =
            switch Int.random(in: 0..<4, using: &random) {
            case 0: nil
            case 1: (0..<Int.random(in: 0...40, using: &random)).map { _ in UInt8.random(in: 0...255, using: &random) }
            default: Array(tenant.utf8)
            }
        return KafkaOutgoingMessage(topic: "fax.jobs", key: key, value: value)
    }
}

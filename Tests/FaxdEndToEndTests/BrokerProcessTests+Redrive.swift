import FaxdKafka
import FaxdTestSupport
import Foundation
import Testing

/// `faxd redrive` as a process against `faxd broker`, with dead letters written as the worker writes them.
extension BrokerProcessTests {
    /// A dead letter as `EventPublisher.deadLetter` writes it: the job's bytes, the producer's
    /// headers, then the reason headers.
    private struct DeadLetter {
        var tenant: String?
        var errorCode: String
        var jobID: String
        var foreignHeader: KafkaHeader?
        /// Written as a reference: the job was too large for Kafka with the reason headers.
        var truncated = false

        /// Job bytes that are not all UTF-8, so a re-encoding anywhere would show.
        var value: [UInt8] { Array(#"{"job_id":"\#(jobID)","tenant_id":"\#(tenant ?? "")"}"#.utf8) + [0xFF, 0x00, 0xFE] }

        func message(topic: String, offset: Int) -> KafkaOutgoingMessage {
            KafkaOutgoingMessage(
                topic: topic,
                key: tenant.map { Array($0.utf8) },
                value: value,
                headers: (foreignHeader.map { [$0] } ?? []) + [
                    KafkaHeader(name: "faxd.origin.topic", string: "fax.jobs"),
                    KafkaHeader(name: "faxd.origin.partition", string: "0"),
                    KafkaHeader(name: "faxd.origin.offset", string: String(offset)),
                    KafkaHeader(name: "faxd.error.code", string: errorCode),
                    KafkaHeader(name: "faxd.error.message", string: "Parked for the test."),
                    KafkaHeader(name: "faxd.attempts", string: "1"),
                ] + (truncated ? [KafkaHeader(name: "faxd.truncated", string: "MSG_SIZE_TOO_LARGE")] : [])
            )
        }
    }

    private static let traceparent = KafkaHeader(name: "traceparent", string: "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01")

    private static let deadLetters = [
        DeadLetter(tenant: "acme", errorCode: "insufficient_balance", jobID: "a1", foreignHeader: traceparent),
        DeadLetter(tenant: "acme", errorCode: "insufficient_balance", jobID: "a2"),
        DeadLetter(tenant: "acme", errorCode: "unauthenticated", jobID: "a3"),
        DeadLetter(tenant: "globex", errorCode: "insufficient_balance", jobID: "g1", foreignHeader: KafkaHeader(name: "empty", value: nil)),
        DeadLetter(tenant: "globex", errorCode: "retry_budget_exhausted", jobID: "g2"),
        DeadLetter(tenant: "initech", errorCode: "unknown_tenant", jobID: "i1"),
        DeadLetter(tenant: "acme", errorCode: "validation_failed", jobID: "a4"),
        DeadLetter(tenant: nil, errorCode: "not_json", jobID: "x1"),
        DeadLetter(tenant: "acme", errorCode: "insufficient_balance", jobID: "a5", truncated: true),
    ]

    /// Runs `faxd redrive` with `arguments` to its end. - Returns: its stdout lines, each run of
    /// spaces (the table's padding) made one.
    private func redrive(_ bootstrap: String, _ arguments: [String]) async throws -> [String] {
        let process = try ManagedProcess(ManagedProcess.faxdExecutable, ["redrive", "--brokers", bootstrap] + arguments)
        #expect(try await process.waitForExit() == 0, "\(process.standardError)")
        return process.outputLines.map { $0.split(separator: " ").joined(separator: " ") }
    }

    private func recordCount(_ topic: String, partitions: Int, _ admin: KafkaAdmin) async throws -> Int64 {
        var count: Int64 = 0
        for index in 0..<partitions {
            let marks = try await admin.watermarks(KafkaTopicPartition(topic: topic, partition: Int32(index)))
            count += marks.high - marks.low
        }
        return count
    }

    @Test func redriveCountsOnADryRunThenRepublishesExactlyTheSelectedDeadLettersUnchanged() async throws {
        let broker = try ManagedProcess(ManagedProcess.faxdExecutable, ["broker", "--brokers", "1", "--partitions", "3"])
        let bootstrap = try await broker.firstLines(1)[0]
        let producer = try KafkaProducer(configuration: .init(bootstrapServers: bootstrap), logger: logger)
        var whereWritten: [String: KafkaDeliveryReport] = [:]
        for (index, deadLetter) in Self.deadLetters.enumerated() {
            whereWritten[deadLetter.jobID] = try await producer.send(deadLetter.message(topic: "fax.jobs.dlq", offset: index))
        }
        await producer.close()
        let admin = try KafkaAdmin(configuration: .init(bootstrapServers: bootstrap), logger: logger)

        let dryRun = try await redrive(bootstrap, ["--dry-run"])
        let expected: [String] = [
            "tenant error code dead letters",
            "acme insufficient_balance 2",
            "acme unauthenticated 1",
            "globex insufficient_balance 1",
            "globex retry_budget_exhausted 1",
            "initech unknown_tenant 1",
            "total 6",
            "skipped 1 dead letters kept only as a reference (faxd.truncated): the original is on the jobs topic at faxd.origin.offset",
            "skipped 2 rejected jobs, which would be rejected again (--include-rejected re-drives them too)",
            "dry run: 6 of 9 dead letters on fax.jobs.dlq would be re-published to fax.jobs; nothing published",
        ]
        #expect(dryRun == expected)
        let withRejected = try await redrive(bootstrap, ["--dry-run", "--include-rejected"])
        #expect(withRejected.contains("acme validation_failed 1") && withRejected.contains("- not_json 1"))
        #expect(withRejected.contains("total 8"))
        let beforeAnyDeadLetter = try await redrive(bootstrap, ["--dry-run", "--until", "2020-01-01T00:00:00Z"])
        #expect(beforeAnyDeadLetter.contains("total 0"))
        #expect(try await recordCount("fax.jobs", partitions: 3, admin) == 0)

        let run = try await redrive(bootstrap, ["--tenant", "acme", "--tenant", "globex", "--error-code", "insufficient_balance"])
        let expectedRun: [String] = [
            "tenant error code dead letters",
            "acme insufficient_balance 2",
            "globex insufficient_balance 1",
            "total 3",
            "skipped 1 dead letters kept only as a reference (faxd.truncated): the original is on the jobs topic at faxd.origin.offset",
            "published 3 of 9 dead letters from fax.jobs.dlq to fax.jobs (same job ids and idempotency keys: no fax is sent twice)",
        ]
        #expect(run == expectedRun)
        #expect(try await recordCount("fax.jobs", partitions: 3, admin) == 3)

        let consumer = try KafkaConsumer(
            configuration: .init(bootstrapServers: bootstrap, groupID: UniqueName.make("check")),
            logger: logger
        )
        try consumer.assign(
            Dictionary(uniqueKeysWithValues: (0..<3).map { (KafkaTopicPartition(topic: "fax.jobs", partition: Int32($0)), Int64(0)) })
        )
        var redriven: [KafkaRecord] = []
        for try await record in consumer.records {
            redriven.append(record)
            if redriven.count == 3 { break }
        }
        try await consumer.close()
        let selected = Self.deadLetters.filter { ["a1", "a2", "g1"].contains($0.jobID) }
        #expect(Set(redriven.map(\.value)) == Set(selected.map(\.value)))
        for deadLetter in selected {
            let record = try #require(redriven.first { $0.value == deadLetter.value })
            let dlq = try #require(whereWritten[deadLetter.jobID])
            #expect(record.key == deadLetter.tenant.map { Array($0.utf8) })
            #expect(
                record.headers == (deadLetter.foreignHeader.map { [$0] } ?? []) + [
                    KafkaHeader(name: "faxd.redriven-from", string: "fax.jobs.dlq/\(dlq.partition)/\(dlq.offset)")
                ]
            )
        }
        // The dead letters stay where they were.
        #expect(try await recordCount("fax.jobs.dlq", partitions: 3, admin) == Int64(Self.deadLetters.count))
        await admin.close()
        #expect(try await broker.stop() == 0)
    }

    @Test func redriveFailsWithOneLineWhenTheClusterCannotBeReached() async throws {
        let brokers = "127.0.0.1:\(closedLocalPort())"
        let process = try ManagedProcess(ManagedProcess.faxdExecutable, ["redrive", "--brokers", brokers, "--dry-run"])
        #expect(try await process.waitForExit() != 0)
        #expect(process.outputLines.isEmpty)
        let lines = process.standardError.split(separator: "\n")
        #expect(lines.count == 1, "stderr: \(process.standardError)")
        #expect(
            lines.first?.hasPrefix("Error: cannot read the partitions of fax.jobs.dlq at \(brokers): ") == true,
            "stderr: \(process.standardError)"
        )
    }
}

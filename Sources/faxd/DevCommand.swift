import ArgumentParser
import FaxdCore
import FaxdKafka
import Foundation
import Logging
import UnixSignals

/// `faxd dev`: the embedded default. So far: an in-process Kafka cluster with faxd's topics, sample
/// jobs for every mintfax magic number on `fax.jobs`, and a consumer group member that shows each job
/// as it arrives with its idempotency key. It stays up for the user's own jobs until Ctrl-C.
struct DevCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "dev",
        abstract: "Run faxd's embedded default: in-process Kafka, sample jobs, a live view."
    )

    @Option(help: "Partitions of each topic (1–64).") var partitions: Int = 6

    func validate() throws {
        guard (1...64).contains(partitions) else { throw ValidationError("--partitions must be between 1 and 64, got \(partitions)") }
    }

    /// The sandbox's magic numbers (mintfax API.md), one sample job each.
    static let sampleRecipients = (1...8).map { "+1500555000\($0)" } + ["+15005550099"]

    func run() async throws {
        var logger = CommandLogging.bootstrap(label: "faxd.dev")
        logger.logLevel = .warning
        let topics = TopicNames()
        let cluster = try MockKafkaCluster(brokers: 1, logger: logger)
        for topic in topics.all { try cluster.createTopic(topic, partitions: partitions) }
        CommandLogging.printLine(
            """
            faxd dev — embedded Kafka at \(cluster.bootstrapServers)
            topics: \(topics.all.joined(separator: ", ")) (\(partitions) partitions each)
            enqueue your own job, for example:
              echo 'acme\t{"job_id":"mine-1","tenant_id":"acme","to":"+12125551234","document":{"url":"https://example.com/a.pdf"}}' | kcat -P -b \(cluster.bootstrapServers) -t \(topics.jobs) -K '\\t'
            Ctrl-C stops.

            """)

        let producer = try KafkaProducer(configuration: .init(bootstrapServers: cluster.bootstrapServers), logger: logger)
        for (index, recipient) in Self.sampleRecipients.enumerated() {
            let tenant = index % 2 == 0 ? "acme" : "globex"
            let job: [String: Any] = [
                "job_id": "sample-\(index + 1)", "tenant_id": tenant, "to": recipient,
                "document": ["url": "https://files.example.com/sample.pdf"],
            ]
            let value = try JSONSerialization.data(withJSONObject: job, options: [.sortedKeys])
            _ = try await producer.send(KafkaOutgoingMessage(topic: topics.jobs, key: Array(tenant.utf8), value: Array(value)))
        }

        let consumer = try KafkaConsumer(
            configuration: .init(bootstrapServers: cluster.bootstrapServers, groupID: "faxd-dev"), logger: logger)
        try consumer.subscribe(topics: [topics.jobs])
        let view = Task {
            for try await record in consumer.records {
                CommandLogging.printLine(Self.describe(record))
                try? consumer.storeOffset(record.topicPartition, nextOffset: record.offset + 1)
            }
        }
        for await _ in await UnixSignalsSequence(trapping: .sigint, .sigterm) { break }
        try await consumer.close(timeout: .seconds(10))
        _ = await view.result
        await producer.close()
        await cluster.shutdown()
    }

    /// One line per job: where it sits, whose it is, the masked recipient and its idempotency key.
    static func describe(_ record: KafkaRecord) -> String {
        let place = "\(record.topic)[\(record.partition)]@\(record.offset)"
        guard let object = try? JSONSerialization.jsonObject(with: Data(record.value)) as? [String: Any],
            let tenant = object["tenant_id"] as? String, let job = object["job_id"] as? String
        else { return "\(place)  not a job (\(record.value.count) bytes)" }
        let recipient = (object["to"] as? String).map(RecipientMask.mask) ?? "?"
        return "\(place)  tenant=\(tenant) job=\(job) to=\(recipient) key=\(IdempotencyKey(tenantID: tenant, jobID: job))"
    }
}

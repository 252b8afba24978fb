import ArgumentParser
import FaxdCore
import FaxdKafka
import Foundation
import Logging
import UnixSignals

/// `faxd broker`: a standalone in-memory Kafka cluster (librdkafka's mock cluster) with faxd's topics,
/// for local multi-process runs and end-to-end tests.
struct BrokerCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "broker",
        abstract: "Run an in-memory Kafka cluster with faxd's topics until SIGINT or SIGTERM.",
        discussion: "The first line of standard output is the cluster's bootstrap servers."
    )

    @Option(help: "Number of brokers (1–16).") var brokers: Int = 3
    @Option(help: "Partitions of each topic (1–1024).") var partitions: Int = 6
    @Option(name: .customLong("topic"), help: "A topic to create (repeatable); default: faxd's topics.")
    var topics: [String] = TopicNames().all

    func validate() throws {
        guard (1...16).contains(brokers) else { throw ValidationError("--brokers must be between 1 and 16, got \(brokers)") }
        guard (1...1024).contains(partitions) else { throw ValidationError("--partitions must be between 1 and 1024, got \(partitions)") }
    }

    func run() async throws {
        let logger = CommandLogging.bootstrap(label: "faxd.broker")
        let cluster = try MockKafkaCluster(brokers: brokers, logger: logger)
        for topic in topics {
            try cluster.createTopic(topic, partitions: partitions, replicationFactor: min(brokers, 3))
        }
        CommandLogging.printLine(cluster.bootstrapServers)
        logger.info(
            "Kafka mock cluster ready",
            metadata: ["kafka.bootstrap_servers": "\(cluster.bootstrapServers)", "kafka.topics": "\(topics)"])
        for await signal in await UnixSignalsSequence(trapping: .sigint, .sigterm) {
            logger.info("Stopping on \(signal)")
            break
        }
        await cluster.shutdown()
    }
}

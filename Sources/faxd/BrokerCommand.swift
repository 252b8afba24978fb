import ArgumentParser
import FaxdCore
import FaxdKafka
import Foundation
import Logging
import Synchronization
import UnixSignals

/// `faxd broker`: a standalone in-memory Kafka cluster (librdkafka's mock cluster) with faxd's topics,
/// for local multi-process runs and end-to-end tests.
struct BrokerCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "broker",
        abstract: "Run an in-memory Kafka cluster with faxd's topics until SIGINT or SIGTERM.",
        discussion: """
            The first line of standard output is the cluster's bootstrap servers. Lines on standard input \
            control the brokers, for outage drills and soaks: `down ID` takes broker ID (1…N) down (its \
            connections closed, new ones refused), `up ID` brings it back; each is answered on standard \
            output with `ok down ID`, `ok up ID` or `error: …`.
            """
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
            metadata: ["kafka.bootstrap_servers": "\(cluster.bootstrapServers)", "kafka.topics": "\(topics)"]
        )
        let control = BrokerControl(cluster)
        control.readStandardInput(logger: logger)
        for await signal in await UnixSignalsSequence(trapping: .sigint, .sigterm) {
            logger.info("Stopping on \(signal)")
            break
        }
        control.close()
        await cluster.shutdown()
    }
}

/// `faxd broker`'s standard input: `down ID` and `up ID` lines applied to the cluster until it stops.
final class BrokerControl: Sendable {
    /// Nil once the cluster is stopping: a line that comes later is not applied to it.
    private let cluster: Mutex<MockKafkaCluster?>

    init(_ cluster: MockKafkaCluster) {
        self.cluster = Mutex(cluster)
    }

    /// Reads standard input on a thread of its own until it ends or the cluster stops, printing each answer.
    func readStandardInput(logger: Logger) {
        let thread = Thread { [self] in
            while let line = readLine() {
                guard let answer = apply(line) else { return }
                logger.notice("Broker control", metadata: ["command": "\(line)", "answer": "\(answer)"])
                CommandLogging.printLine(answer)
            }
        }
        thread.name = "faxd.broker.control"
        thread.start()
    }

    /// Stops applying lines; returns once a line being applied is done.
    func close() {
        cluster.withLock { $0 = nil }
    }

    /// One line's answer (`ok down 2`, `error: …`); nil once closed.
    func apply(_ line: String) -> String? {
        cluster.withLock { cluster in
            guard let cluster else { return nil }
            let words = line.split(separator: " ")
            guard words.count == 2, let id = Int32(words[1]), cluster.brokerIDs.contains(id) else {
                return "error: expected `down ID` or `up ID` with ID in 1…\(cluster.brokerIDs.count), got \(line.debugDescription)"
            }
            do {
                switch words[0] {
                case "down": try cluster.setBrokerDown(id)
                case "up": try cluster.setBrokerUp(id)
                default: return "error: expected `down ID` or `up ID`, got \(line.debugDescription)"
                }
            } catch {
                return "error: \(error)"
            }
            return "ok \(words[0]) \(id)"
        }
    }
}

public import FaxdKafka
import Foundation
public import Logging

/// Shared set-up for tests against librdkafka's mock cluster.
public enum KafkaFixtures {
    /// A logger that shows warnings and errors only (set `FAXD_TEST_LOG=debug` for more).
    public static func logger(_ label: String) -> Logger {
        var logger = Logger(label: label) { label in
            var handler = StreamLogHandler.standardError(label: label)
            handler.logLevel = .warning
            return handler
        }
        if let level = ProcessInfo.processInfo.environment["FAXD_TEST_LOG"].flatMap(Logger.Level.init(rawValue:)) {
            logger.logLevel = level
        } else {
            logger.logLevel = .warning
        }
        return logger
    }

    /// Consumer settings for group tests on the mock cluster, whose rebalances complete only when the
    /// rebalance timeout (`max.poll.interval.ms`) runs out: keep it and the session timeout short.
    public static func consumerConfiguration(
        bootstrapServers: String,
        groupID: String,
        properties: [String: String] = [:]
    ) -> KafkaConsumerConfiguration {
        var configuration = KafkaConsumerConfiguration(
            bootstrapServers: bootstrapServers,
            groupID: groupID,
            properties: [
                "max.poll.interval.ms": "6000",
                "session.timeout.ms": "6000",
                "heartbeat.interval.ms": "500",
                "topic.metadata.refresh.interval.ms": "1000",
            ].merging(properties) { _, new in new }
        )
        configuration.revokeTimeout = .seconds(10)
        configuration.commitInterval = .milliseconds(200)
        return configuration
    }

    /// Sends `count` records (key `k<i % keys>`, value `v<i>`) and waits for every acknowledgement.
    public static func produce(
        _ producer: KafkaProducer,
        topic: String,
        count: Int,
        keys: Int = 100,
        startingAt start: Int = 0
    ) async throws {
        try await withThrowingTaskGroup(of: Void.self) { group in
            var inFlight = 0
            for i in start..<(start + count) {
                if inFlight >= 2_000 {
                    try await group.next()
                    inFlight -= 1
                }
                let message = KafkaOutgoingMessage(topic: topic, key: Array("k\(i % keys)".utf8), value: Array("v\(i)".utf8))
                group.addTask { _ = try await producer.send(message) }
                inFlight += 1
            }
            try await group.waitForAll()
        }
    }
}

import FaxdCore
import FaxdKafka
import Foundation
import Logging

/// The status and usage events of one job, read from the result topics for the console: only the
/// partition its tenant's events are keyed to, from ``window`` ago to the end it has now.
struct JobEventsLookup: Sendable {
    /// How far back a lookup reads.
    static let window: Duration = .seconds(24 * 60 * 60)

    /// One event as it is on its topic.
    struct Found: Sendable {
        var topic: String
        var partition: Int32
        var offset: Int64
        var timestamp: Int64?
        /// The record's value, a JSON object.
        var value: [UInt8]
    }

    let cluster: KafkaClientConfiguration
    let topics: [String]
    let logger: Logger

    /// Every event of `tenant`'s job `jobID` in the window, oldest first per topic, status before usage.
    ///
    /// - Throws: `KafkaError` when a topic cannot be read.
    func events(tenant: String, jobID: String, now: Date = Date()) async throws -> [Found] {
        let key = Array(tenant.utf8)
        let since = Int64(now.timeIntervalSince1970 * 1000) - Int64(Self.window.components.seconds) * 1000
        var found: [Found] = []
        for topic in topics {
            let whole = try await KafkaTopicSnapshotReader(topic: topic, configuration: cluster, idleTimeout: .seconds(10), logger: logger)
            let partition = Murmur2Partitioner.partition(key: key, partitions: whole.watermarks.count)
            let one = try await KafkaTopicSnapshotReader(
                topic: topic,
                partitions: [partition],
                configuration: cluster,
                idleTimeout: .seconds(10),
                logger: logger
            )
            let starts = try await KafkaTimeSearch(configuration: cluster, logger: logger).firstOffsets(
                atOrAfter: since,
                in: one.watermarks
            )
            try await one.starting(at: starts).read { record in
                guard record.key == key, Self.jobID(of: record.value) == jobID else { return }
                found.append(
                    Found(
                        topic: topic,
                        partition: record.partition,
                        offset: record.offset,
                        timestamp: record.timestampMilliseconds,
                        value: record.value
                    )
                )
            }
        }
        return found
    }

    private struct JobReference: Decodable {
        var jobID: String?
        enum CodingKeys: String, CodingKey { case jobID = "job_id" }
    }

    /// The `job_id` of an event, nil for a value that is not an event.
    static func jobID(of value: [UInt8]) -> String? {
        (try? JSONDecoder().decode(JobReference.self, from: Data(value)))?.jobID
    }
}

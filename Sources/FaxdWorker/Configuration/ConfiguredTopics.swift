import FaxdKafka
import Logging

/// The start-up check that the configured topics exist. faxd never creates topics, and a cluster that
/// creates them on first use would turn a mistyped name into a new, empty topic: a jobs topic no
/// producer writes to, or result topics that billing and dashboards never read.
enum ConfiguredTopics {
    /// How long the check waits for the cluster before it lets the worker start anyway.
    static let timeout: Duration = .seconds(5)

    /// Checks that the cluster lists each topic, with one metadata request.
    ///
    /// - Parameters:
    ///   - topics: the configuration key (e.g. `kafka.topics.status`) and topic name of each.
    ///   - partitionedLike: a jobs topic and its ledger (both among `topics`), which must have as many
    ///     partitions: a job's ledger entry sits on the partition number of its record.
    /// - Returns: each topic's partition count; empty when the cluster did not answer.
    /// - Throws: `ConfigurationError` naming the key of the first topic the cluster does not list, or
    ///   the ledger's key when its partition count differs. Any other failure (the cluster
    ///   unreachable, a timeout, a topic's own error) is logged and ends the check without an error:
    ///   the clients wait for the cluster then, as they do in an outage later.
    @discardableResult
    static func requireExisting(
        _ topics: [(key: String, name: String)],
        partitionedLike pair: (jobs: (key: String, name: String), ledger: (key: String, name: String))? = nil,
        admin: KafkaAdmin,
        bootstrapServers: String,
        logger: Logger
    ) async throws(ConfigurationError) -> [String: Int] {
        let counts: [String: Int]
        do {
            counts = try await admin.partitionCounts(of: topics.map(\.name), timeout: timeout)
        } catch {
            logger.warning("Could not check that the configured topics exist; starting anyway", metadata: ["error": "\(error)"])
            return [:]
        }
        if let missing = topics.first(where: { counts[$0.name] == nil }) {
            throw ConfigurationError(
                source: "configuration",
                path: missing.key,
                reason: "topic \(missing.name) does not exist at \(bootstrapServers) (faxd creates no topics)"
            )
        }
        if let (jobs, ledger) = pair, let jobsCount = counts[jobs.name], let ledgerCount = counts[ledger.name], jobsCount != ledgerCount {
            throw ConfigurationError(
                source: "configuration",
                path: ledger.key,
                reason:
                    "topic \(ledger.name) has \(ledgerCount) partitions and \(jobs.key) \(jobs.name) has \(jobsCount): the ledger needs as many as the jobs topic"
            )
        }
        return counts
    }
}

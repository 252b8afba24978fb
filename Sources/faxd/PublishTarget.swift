import FaxdKafka
import Logging

/// The topic a command publishes to. faxd creates no topics, and a cluster that creates them on first
/// use would turn a mistyped `--topic` into a new topic that no worker reads.
enum PublishTarget {
    /// Returns once the cluster lists `topic`.
    ///
    /// - Throws: `CommandFailure`, one line: the topic does not exist, or the cluster could not be
    ///   asked within 10 s.
    static func requireExisting(_ topic: String, brokers: String, logger: Logger) async throws {
        let admin: KafkaAdmin
        do {
            admin = try KafkaAdmin(configuration: .init(bootstrapServers: brokers), logger: logger)
        } catch {
            throw CommandFailure("\(error)")
        }
        do {
            _ = try await admin.partitionCount(topic: topic)
        } catch  where error.code == .unknownTopicOrPartition {
            await admin.close()
            throw CommandFailure("topic \(topic) does not exist at \(brokers) (faxd creates no topics)")
        } catch {
            await admin.close()
            throw CommandFailure("cannot check topic \(topic) at \(brokers): \(error)")
        }
        await admin.close()
    }
}

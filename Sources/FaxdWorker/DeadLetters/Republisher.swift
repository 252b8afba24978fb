public import FaxdKafka
public import Logging

/// Hands records to a producer in order and collects their delivery reports: how a redrive (`faxd
/// redrive`, the console) and a tenant replay re-publish jobs. A dry run's republisher has no producer
/// and publishes nothing.
public struct Republisher {
    private let producer: KafkaProducer?
    private let reports: AsyncStream<Result<KafkaDeliveryReport, KafkaError>>
    private let reportSink: AsyncStream<Result<KafkaDeliveryReport, KafkaError>>.Continuation
    /// Records handed to the producer: as many delivery reports follow.
    public private(set) var produced = 0

    /// - Throws: `KafkaError` when the producer cannot be made.
    public init(cluster: KafkaClientConfiguration, dryRun: Bool, logger: Logger) throws(KafkaError) {
        (reports, reportSink) = AsyncStream.makeStream(of: Result<KafkaDeliveryReport, KafkaError>.self)
        producer =
            dryRun
            ? nil
            : try KafkaProducer(
                configuration: .init(bootstrapServers: cluster.bootstrapServers, properties: cluster.properties),
                logger: logger
            )
    }

    /// Hands `message` to the producer (waiting while its queue is full); nothing on a dry run.
    public mutating func publish(_ message: KafkaOutgoingMessage) async throws {
        guard let producer else { return }
        while true {
            do {
                try producer.produce(message) { [reportSink] in reportSink.yield($0) }
                produced += 1
                return
            } catch  where error.code == .queueFull {
                try await Task.sleep(for: .milliseconds(1))
            }
        }
    }

    /// Waits for every delivery report and closes the producer. After a read that stopped early
    /// (`cut`: the cluster may be gone) what was handed over gets a short while, the rest fails.
    /// - Returns: how many records Kafka acknowledged, and the first failure.
    public func finish(cut: Bool) async -> (published: Int, failure: KafkaError?) {
        if cut { await producer?.close(timeout: .seconds(10)) }
        var published = 0
        var failure: KafkaError?
        for await report in reports.prefix(produced) {
            switch report {
            case .success: published += 1
            case .failure(let error): failure = failure ?? error
            }
        }
        if !cut { await producer?.close() }
        return (published, failure)
    }
}

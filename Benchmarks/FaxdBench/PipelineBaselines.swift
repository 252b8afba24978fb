import FaxdCore
import FaxdHTTP
import FaxdKafka
import FaxdMintfax
import FaxdSandbox
import FaxdTestSupport
import FaxdWorker
import Foundation
import Logging

/// The pipeline's two halves, each without the other: what the end-to-end rate is quoted against
/// (issue #4: at least 0.5 of the smaller). The same jobs, in-flight cap, topics and sandbox
/// configuration as `PipelineBenchmarks.pipeline`, and like it a fresh cluster or sandbox each run.
enum PipelineBaselines {
    /// HTTP only: `MintfaxClient.submit` of the pipeline's jobs — the same inline PDF, tags
    /// (`faxd_tenant`, `faxd_job`) and idempotency keys, 5 tenants — to the zero-latency sandbox in
    /// process, `maxInFlight` at once, each answer classified as the worker does. The jobs are parsed
    /// before the clock starts.
    static func httpOnly(jobs: Int, maxInFlight: Int, logger: Logger) -> Benchmark {
        Benchmark(
            name: "HTTP only: the pipeline's submissions, \(maxInFlight) in flight, zero-latency sandbox (\(jobs) jobs, 5 tenants)",
            unit: "jobs/s"
        ) {
            let submissions = try (0..<jobs).map { try submission(PipelineBenchmarks.job($0).value) }
            guard let key = MintfaxAPIKey(PipelineBenchmarks.apiKey) else { throw BenchmarkFailure(description: "bad API key") }
            let worker = WorkerConfiguration()
            let timeout = Duration.milliseconds(worker.mintfax.requestTimeoutMS)
            return try await SandboxApplication.withRunning(
                configuration: PipelineBenchmarks.sandboxConfiguration(latencyMS: 0),
                logger: logger
            ) { port in
                // The worker's HTTP client settings (Worker.init).
                let http = try HTTPClient(
                    configuration: HTTPClientConfiguration(
                        connectTimeout: .milliseconds(worker.mintfax.connectTimeoutMS),
                        totalTimeout: .milliseconds(worker.mintfax.requestTimeoutMS),
                        maxResponseBodyBytes: worker.dispatch.documents.maxBytes + 1
                    ),
                    logger: logger
                )
                defer { http.shutdown() }
                let mintfax = MintfaxClient(baseURL: "http://127.0.0.1:\(port)/v1", http: http, logger: logger)
                return try await rate(count: jobs) {
                    try await withThrowingTaskGroup(of: Void.self) { group in
                        var started = 0
                        func startOne() {
                            let (submission, idempotencyKey) = submissions[started]
                            group.addTask {
                                try await submit(submission, key: key, idempotencyKey: idempotencyKey, timeout: timeout, mintfax: mintfax)
                            }
                            started += 1
                        }
                        while started < min(maxInFlight, jobs) { startOne() }
                        while try await group.next() != nil {
                            if started < jobs { startOne() }
                        }
                    }
                }
            }
        }
    }

    /// Kafka only: one consumer-group member reads the pipeline's job records from the mock cluster
    /// (reading ahead as far as the worker does), parses each and publishes its `fax.submitted` and
    /// `usage.hold` events — built by the worker's `EventFactory` with a fax id as long as mintfax's,
    /// keyed by tenant — through the worker's `EventPublisher`, which returns once Kafka acknowledged
    /// both. `maxInFlight` jobs publish at once; offsets are stored as jobs finish. Timed from the
    /// first record on (the group join is not part of the rate). Left out: the worker's own reader of
    /// the result topics (its delivery ledger), which the pipeline runs too.
    static func kafkaOnly(jobs: Int, maxInFlight: Int, logger: Logger) -> Benchmark {
        Benchmark(
            name: "Kafka only: the pipeline's records read, events published, \(maxInFlight) in flight (\(jobs) jobs, 5 tenants)",
            unit: "jobs/s"
        ) {
            let cluster = try MockKafkaCluster(brokers: 1, logger: logger)
            let topics = try PipelineBenchmarks.createTopics(on: cluster, prefix: UniqueName.make("bench"))
            try await PipelineBenchmarks.produceJobs(jobs, topic: topics.jobs, bootstrap: cluster.bootstrapServers, logger: logger)
            var configuration = KafkaConsumerConfiguration(bootstrapServers: cluster.bootstrapServers, groupID: UniqueName.make("bench"))
            // The worker's read-ahead: its consumer's 1,000 records and the dispatcher's queued jobs. A
            // reader held to 1,000 would pause and resume fetching all the time (half the rate, measured).
            configuration.maxBufferedRecords = 1_000 + WorkerConfiguration().dispatch.maxBufferedJobs
            let consumer = try KafkaConsumer(configuration: configuration, logger: logger)
            let producer = try KafkaProducer(configuration: .init(bootstrapServers: cluster.bootstrapServers), logger: logger)
            let publisher = EventPublisher(producer: producer, topics: topics, logger: logger)
            try consumer.subscribe(topics: [topics.jobs])
            var records = consumer.records.makeAsyncIterator()
            guard let first = try await records.next() else { throw BenchmarkFailure(description: "no job records") }
            let result = try await rate(count: jobs) {
                try await withThrowingTaskGroup(of: KafkaRecord.self) { group in
                    var trackers: [KafkaTopicPartition: OffsetTracker] = [:]
                    func finish(_ record: KafkaRecord) throws {
                        _ = trackers[record.topicPartition]?.finish(record.offset)
                        if let offset = trackers[record.topicPartition]?.committableOffset {
                            try consumer.storeOffset(record.topicPartition, nextOffset: offset)
                        }
                    }
                    for started in 0..<jobs {
                        if started >= maxInFlight, let done = try await group.next() { try finish(done) }
                        var record = first
                        if started > 0 {
                            guard let next = try await records.next() else {
                                throw BenchmarkFailure(description: "the records ended after \(started)")
                            }
                            record = next
                        }
                        trackers[record.topicPartition, default: OffsetTracker()].start(record.offset)
                        group.addTask { [record] in
                            try await publishEvents(of: record, publisher: publisher)
                            return record
                        }
                    }
                    while let done = try await group.next() { try finish(done) }
                }
            }
            try await consumer.close()
            await producer.close()
            await cluster.shutdown()
            return result
        }
    }

    /// The worker's `FaxSubmission` of a job record, and its idempotency key.
    private static func submission(_ value: [UInt8]) throws -> (FaxSubmission, idempotencyKey: String) {
        guard case .success(let job) = Job.parse(value: value, key: nil),
            case .inline(let bytes, let filename, let contentType) = job.document
        else {
            throw BenchmarkFailure(description: "not a job with an inline document")
        }
        let submission = FaxSubmission(to: job.to, document: bytes, filename: filename, contentType: contentType, tags: job.submissionTags)
        return (submission, job.idempotencyKey().description)
    }

    private static func submit(
        _ submission: FaxSubmission,
        key: MintfaxAPIKey,
        idempotencyKey: String,
        timeout: Duration,
        mintfax: MintfaxClient
    ) async throws {
        let response = try await mintfax.submit(submission, key: key, idempotencyKey: idempotencyKey, timeout: timeout)
        let answer = SubmissionResponse(
            status: response.status,
            body: response.body,
            retryAfter: response.retryAfterSeconds.map(String.init),
            replayed: response.replayed
        )
        guard case .submitted = SubmissionClassifier.classify(.response(answer)) else {
            throw BenchmarkFailure(description: "status \(response.status): \(String(decoding: response.body, as: UTF8.self))")
        }
    }

    private static let events = EventFactory(source: .worker, environment: .sandbox)

    /// What the worker publishes for a submitted job (`JobRun`), with a made-up fax id of mintfax's
    /// length (`fax_` and 22 characters).
    private static func publishEvents(of record: KafkaRecord, publisher: EventPublisher) async throws {
        guard case .success(let job) = Job.parse(value: record.value, key: record.key) else {
            throw BenchmarkFailure(description: "not a job")
        }
        let faxID = "fax_" + String(repeating: "0", count: max(0, 22 - job.jobID.count)) + job.jobID
        let now = Date()
        let published = await publisher.publish(
            tenantKey: Array(job.tenantID.utf8),
            status: [events.submitted(job.reference, faxID: faxID, attempt: 1, occurredAt: now)],
            usage: [events.usageHold(job.reference, faxID: faxID, pages: nil, occurredAt: now)]
        )
        guard published else { throw BenchmarkFailure(description: "events of \(job.jobID) not acknowledged") }
    }
}

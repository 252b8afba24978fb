import ArgumentParser
import FaxdCore
import FaxdKafka
import Foundation
import Logging

/// `faxd enqueue`: a producer of job v1 records, from flags or from JSON lines on stdin.
struct EnqueueCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "enqueue",
        abstract: "Validate and send fax jobs to the jobs topic.",
        discussion:
            "Without --job, reads one job JSON per line from standard input. Each job is checked before it is sent; a bad one is reported with its line and skipped."
    )

    @Option(help: "Kafka bootstrap servers.") var brokers: String =
        ProcessInfo.processInfo.environment["FAXD_KAFKA_BOOTSTRAP_SERVERS"] ?? "localhost:9092"
    @Option(help: "The jobs topic.") var topic: String = TopicNames().jobs
    @Option(help: "The tenant id.") var tenant: String?
    @Option(help: "The job id (unique per tenant).") var job: String?
    @Option(help: "The recipient, E.164 (+12125551234).") var to: String?
    @Option(help: "A document file to send inline (base64).") var file: String?
    @Option(help: "A document URL the worker downloads.") var url: String?
    @Option(help: "The document's MIME type, when its name does not tell.") var contentType: String?

    func validate() throws {
        if job != nil {
            guard tenant != nil, to != nil else { throw ValidationError("--job needs --tenant and --to") }
            guard (file == nil) != (url == nil) else { throw ValidationError("--job needs exactly one of --file or --url") }
        } else if tenant != nil || to != nil || file != nil || url != nil {
            throw ValidationError("--tenant, --to, --file and --url describe one job: give --job too, or send JSON lines on stdin")
        }
    }

    func run() async throws {
        var logger = CommandLogging.bootstrap(label: "faxd.enqueue")
        logger.logLevel = .warning
        try await PublishTarget.requireExisting(topic, brokers: brokers, logger: logger)
        let lines: [(String, [UInt8])]
        if let job, let tenant, let to {
            lines = [("--job \(job)", try jobJSON(job: job, tenant: tenant, to: to))]
        } else {
            var read: [(String, [UInt8])] = []
            var number = 0
            while let line = readLine() {
                number += 1
                if line.trimmingCharacters(in: .whitespaces).isEmpty { continue }
                read.append(("line \(number)", Array(line.utf8)))
            }
            lines = read
        }
        let producer = try KafkaProducer(configuration: KafkaProducerConfiguration(bootstrapServers: brokers), logger: logger)
        var sent = 0
        var rejected = 0
        for (label, value) in lines {
            switch Job.parse(value: value, key: nil) {
            case .failure(let rejection):
                rejected += 1
                BatchedLineWriter.standardError.writeNow(Array("\(label): not sent: \(rejection.reason)\n".utf8))
            case .success(let parsed):
                let report = try await producer.send(KafkaOutgoingMessage(topic: topic, key: Array(parsed.tenantID.utf8), value: value))
                sent += 1
                CommandLogging.printLine(
                    "\(parsed.tenantID)/\(parsed.jobID) → \(report.topic)[\(report.partition)]@\(report.offset) key=\(parsed.idempotencyKey())"
                )
            }
        }
        await producer.close()
        if rejected > 0 { throw CommandFailure("\(sent) sent, \(rejected) rejected") }
    }

    private func jobJSON(job: String, tenant: String, to: String) throws -> [UInt8] {
        var document: [String: String] = [:]
        if let file {
            guard let data = FileManager.default.contents(atPath: file) else { throw CommandFailure("cannot read \(file)") }
            document = ["content_base64": data.base64EncodedString(), "filename": (file as NSString).lastPathComponent]
        } else if let url {
            document = ["url": url]
        }
        if let contentType { document["content_type"] = contentType }
        let object: [String: Any] = ["job_id": job, "tenant_id": tenant, "to": to, "document": document]
        return Array(try JSONSerialization.data(withJSONObject: object, options: [.sortedKeys]))
    }
}

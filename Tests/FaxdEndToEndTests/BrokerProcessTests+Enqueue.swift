import FaxdCore
import FaxdKafka
import FaxdTestSupport
import Foundation
import Testing

/// `faxd enqueue` as a process against `faxd broker`: what it sends is what a worker reads.
extension BrokerProcessTests {
    /// Every record of `fax.jobs`, parsed as the worker parses it, with its key.
    private func jobsOnTheTopic(_ bootstrap: String) async throws -> [(key: String?, job: Job)] {
        let reader = try await KafkaTopicSnapshotReader(
            topic: "fax.jobs",
            configuration: .init(bootstrapServers: bootstrap),
            logger: logger
        )
        var jobs: [(key: String?, job: Job)] = []
        try await reader.read { record in
            let job = try Job.parse(value: record.value, key: record.key).get()
            jobs.append((record.key.map { String(decoding: $0, as: UTF8.self) }, job))
        }
        return jobs
    }

    @Test func enqueueSendsAJobFromFlagsAndJobLinesFromStdinAndRefusesTheMalformedByLine() async throws {
        let broker = try ManagedProcess(ManagedProcess.faxdExecutable, ["broker", "--brokers", "1", "--partitions", "3"])
        let bootstrap = try await broker.firstLines(1)[0]
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent(UniqueName.make("faxd-enqueue"))
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let pdf = directory.appendingPathComponent("inv-1.pdf")
        let pdfBytes = Array("%PDF-1.4\n%\u{e2}\u{e3}\n1 0 obj << >> endobj\n%%EOF\n".utf8)
        try Data(pdfBytes).write(to: pdf)

        // One job from flags, its document inline.
        let one = try ManagedProcess(
            ManagedProcess.faxdExecutable,
            ["enqueue", "--brokers", bootstrap, "--tenant", "acme", "--job", "inv-1", "--to", "+12125551234", "--file", pdf.path]
        )
        #expect(try await one.waitForExit() == 0, "\(one.standardError)")
        let key = IdempotencyKey(tenantID: "acme", jobID: "inv-1")
        #expect(one.outputLines.count == 1)
        #expect(one.outputLines.first?.hasPrefix("acme/inv-1 → fax.jobs[") == true, "\(one.outputLines)")
        #expect(one.outputLines.first?.hasSuffix(" key=\(key)") == true, "\(one.outputLines)")

        // Job lines on stdin: blank lines are skipped, a malformed line is refused by its number, the
        // others are sent.
        let lines = [
            #"{"job_id":"inv-2","tenant_id":"globex","to":"+442071234567","document":{"url":"https://files.example.com/inv-2.pdf"}}"#,
            "",
            #"{"job_id":"inv-3","tenant_id":"globex","to":"12345","document":{"url":"https://files.example.com/inv-3.pdf"}}"#,
            #"{"job_id":"inv-4","tenant_id":"acme","to":"+12125550000","document":{"url":"https://files.example.com/inv-4.pdf"}}"#,
        ]
        let many = try ManagedProcess(ManagedProcess.faxdExecutable, ["enqueue", "--brokers", bootstrap])
        try many.send(stdin: Data((lines.joined(separator: "\n") + "\n").utf8))
        #expect(try await many.waitForExit() != 0)
        #expect(many.outputLines.count == 2 && many.outputLines.allSatisfy { $0.contains(" → fax.jobs[") }, "\(many.outputLines)")
        let refusals = many.standardError.split(separator: "\n").map(String.init)
        #expect(refusals.contains { $0.hasPrefix("line 3: not sent: ") && $0.contains("to") }, "\(many.standardError)")
        #expect(refusals.last == "Error: 2 sent, 1 rejected", "\(many.standardError)")

        let sent = try await jobsOnTheTopic(bootstrap)
        #expect(sent.map { "\($0.key ?? "-")/\($0.job.jobID)" }.sorted() == ["acme/inv-1", "acme/inv-4", "globex/inv-2"])
        let first = try #require(sent.first { $0.job.jobID == "inv-1" }?.job)
        #expect(first.to == "+12125551234")
        #expect(first.document == .inline(bytes: pdfBytes, filename: "inv-1.pdf", contentType: "application/pdf"))
        #expect(first.idempotencyKey() == key)
        #expect(try await broker.stop() == 0)
    }
}

import FaxdCore
import FaxdHTTP
import FaxdKafka
import FaxdTestSupport
import Foundation
import Testing

/// Traces across the pipeline (issue #15): a job produced with a W3C `traceparent` header yields a
/// `faxd job` span and a mintfax request span of the producer's trace, exported over OTLP/HTTP to a
/// stand-in collector (Tests/Tracing/otlp_receiver.py); the request and the job's status events carry
/// the trace on.
@Suite struct TracingProcessTests {
    static let receiverScript = ExampleProcessTests.root.appendingPathComponent("Tests/Tracing/otlp_receiver.py")
    static let traceID = "4bf92f3577b34da6a3ce929d0e0e4736"
    static let producerSpanID = "00f067aa0ba902b7"

    /// One exported span, its ids as hex.
    struct ExportedSpan: Equatable {
        var name: String
        var traceID: String
        var spanID: String
        var parentSpanID: String
        var kind: Int
        /// String and integer attributes, integers as their decimal text.
        var attributes: [String: String] = [:]
    }

    @Test(.enabled(if: ExampleProcessTests.hasVenv, "make test-venv first"))
    func aJobsTraceparentYieldsSpansOfItsTraceForTheJobAndItsMintfaxRequestAndTheRequestCarriesIt() async throws {
        let receiver = try ManagedProcess(ExampleProcessTests.python, [Self.receiverScript.path])
        let port = try #require(try await receiver.firstLines(1).first?.split(separator: " ").last.flatMap { Int($0) })
        let harness = try await PipelineHarness(partitions: 2)
        let worker = try await harness.startWorker(
            tenants: 1,
            extraConfiguration: """
                tracing:
                  otlp_traces_endpoint: http://127.0.0.1:\(port)/v1/traces
                  otlp_protocol: http/json
                  service_name: faxd-test
                """
        )
        try await harness.produce(
            [PipelineHarness.job(tenant: "t1", id: "traced-1")],
            headers: [("traceparent", "00-\(Self.traceID)-\(Self.producerSpanID)-01")]
        )
        try await harness.produce([PipelineHarness.job(tenant: "t1", id: "plain-1")])

        var spans: [ExportedSpan] = []
        try await Eventually.wait(for: "both jobs' spans at the collector", timeout: .seconds(60), interval: .milliseconds(200)) {
            spans = receiver.outputLines.dropFirst().flatMap(Self.spans)
            return spans.filter { $0.name == "POST /faxes" }.count >= 2
        }
        let job = try #require(spans.first { $0.name == "faxd job" && $0.traceID == Self.traceID }, "\(spans)")
        #expect(job.parentSpanID == Self.producerSpanID, "the job's span is a child of the producer's")
        #expect(job.kind == 5, "SPAN_KIND_CONSUMER")
        #expect(job.attributes["faxd.job_id"] == "traced-1" && job.attributes["faxd.tenant_id"] == "t1", "\(job.attributes)")
        #expect(job.attributes["messaging.destination.name"] == "fax.jobs" && job.attributes["messaging.kafka.offset"] != nil)
        let request = try #require(spans.first { $0.name == "POST /faxes" && $0.traceID == Self.traceID })
        #expect(request.parentSpanID == job.spanID, "the request's span is a child of the job's")
        #expect(request.kind == 3, "SPAN_KIND_CLIENT")
        #expect(
            request.attributes["http.request.method"] == "POST" && request.attributes["server.address"] == "127.0.0.1",
            "\(request.attributes)"
        )
        #expect(request.attributes["http.response.status_code"] == "201" || request.attributes["http.response.status_code"] == "200")
        let plain = try #require(spans.first { $0.name == "faxd job" && $0.traceID != Self.traceID })
        #expect(plain.parentSpanID.isEmpty, "a job without a traceparent starts a trace of its own")

        // mintfax got the request span's context; the status events carry the job span's.
        let submissions = try await Self.submissionTraceparents(harness)
        #expect(submissions["traced-1"] == "00-\(Self.traceID)-\(request.spanID)-01")
        #expect(submissions["plain-1"]?.contains(Self.traceID) == false)
        let status = try await harness.readAll("fax.status").filter { record in
            (try? JSONDecoder().decode(StatusEvent.self, from: Data(record.value)))?.jobID == "traced-1"
        }
        #expect(!status.isEmpty)
        for record in status where record.header("traceparent") != nil {
            #expect(String(decoding: record.header("traceparent") ?? [], as: UTF8.self) == "00-\(Self.traceID)-\(job.spanID)-01")
        }
        #expect(status.contains { $0.header("traceparent") != nil }, "the worker's status events carry the trace")

        _ = try await worker.stop()
        _ = try await receiver.stop(signal: SIGKILL)
        await harness.stop()
    }

    /// The spans of one OTLP/JSON export request. Ids are hex by the OTLP JSON mapping; base64 (the
    /// generic protobuf JSON mapping) is read too.
    static func spans(_ line: String) -> [ExportedSpan] {
        guard let export = try? JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any] else { return [] }
        func hex(_ value: Any?) -> String {
            guard let text = value as? String, !text.isEmpty else { return "" }
            if text.allSatisfy(\.isHexDigit), text.count == 16 || text.count == 32 { return text.lowercased() }
            return Data(base64Encoded: text).map { $0.map { String(format: "%02x", $0) }.joined() } ?? text
        }
        var found: [ExportedSpan] = []
        for resource in export["resourceSpans"] as? [[String: Any]] ?? [] {
            for scope in resource["scopeSpans"] as? [[String: Any]] ?? [] {
                for span in scope["spans"] as? [[String: Any]] ?? [] {
                    let kind = (span["kind"] as? Int) ?? Self.kinds[span["kind"] as? String ?? ""] ?? 0
                    var attributes: [String: String] = [:]
                    for attribute in span["attributes"] as? [[String: Any]] ?? [] {
                        guard let key = attribute["key"] as? String, let value = attribute["value"] as? [String: Any] else { continue }
                        // OTLP JSON: a string as stringValue; an int64 as intValue, a string or a number.
                        attributes[key] = (value["stringValue"] as? String) ?? (value["intValue"].map { "\($0)" })
                    }
                    found.append(
                        ExportedSpan(
                            name: span["name"] as? String ?? "",
                            traceID: hex(span["traceId"]),
                            spanID: hex(span["spanId"]),
                            parentSpanID: hex(span["parentSpanId"]),
                            kind: kind,
                            attributes: attributes
                        )
                    )
                }
            }
        }
        return found
    }

    static let kinds = [
        "SPAN_KIND_INTERNAL": 1, "SPAN_KIND_SERVER": 2, "SPAN_KIND_CLIENT": 3, "SPAN_KIND_PRODUCER": 4, "SPAN_KIND_CONSUMER": 5,
    ]

    /// The `traceparent` of each job's first submission, by job id (the `faxd_job` tag).
    static func submissionTraceparents(_ harness: PipelineHarness) async throws -> [String: String] {
        let client = try HTTPClient()
        defer { client.shutdown() }
        let response = try await client.execute(HTTPRequest(method: .GET, url: harness.sandboxURL + "/_sandbox/submissions"))
        struct Entry: Decodable {
            var tags: [String: String]?
            var traceparent: String?
        }
        struct List: Decodable { var data: [Entry] }
        var found: [String: String] = [:]
        for entry in try JSONDecoder().decode(List.self, from: Data(response.body)).data {
            if let job = entry.tags?["faxd_job"], let traceparent = entry.traceparent, found[job] == nil { found[job] = traceparent }
        }
        return found
    }
}

import FaxdKafka
import Tracing

/// Reads trace context (W3C `traceparent`, `tracestate`) from a job record's headers.
struct KafkaHeadersExtractor: Extractor {
    func extract(key: String, from headers: [KafkaHeader]) -> String? {
        headers.last { $0.name.lowercased() == key }.flatMap { $0.value.map { String(decoding: $0, as: UTF8.self) } }
    }
}

/// Writes trace context into the headers of a record faxd publishes.
struct KafkaHeadersInjector: Injector {
    func inject(_ value: String, forKey key: String, into headers: inout [KafkaHeader]) {
        headers.append(KafkaHeader(name: key, string: value))
    }
}

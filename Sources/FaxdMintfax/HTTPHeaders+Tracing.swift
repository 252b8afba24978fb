import FaxdHTTP
import Tracing

/// Writes trace context (W3C `traceparent`, `tracestate`) into a mintfax request's headers.
struct HTTPHeadersInjector: Injector {
    func inject(_ value: String, forKey key: String, into headers: inout HTTPHeaders) {
        headers.add(name: key, value: value)
    }
}

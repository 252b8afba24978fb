import FaxdCore
import Foundation

/// Shared values of the event tests: job acme / inv-1 (key c020cab0-…), one fax, one instant.
enum EventFixtures {
    static let job = JobReference(tenantID: "acme", jobID: "inv-1")
    static let faxID = "fax_4kT9sLq2Zr8WbN1xYc7VmD"
    /// 2026-11-27T10:30:05.75Z; events keep whole seconds.
    static let occurredAt = Date(timeIntervalSince1970: 1_795_775_405.75)
    static let worker = EventFactory(source: .worker, environment: .live)
    static let webhook = EventFactory(source: .webhook, environment: .live)
}

extension Array where Element == UInt8 {
    var utf8String: String { String(decoding: self, as: UTF8.self) }
}

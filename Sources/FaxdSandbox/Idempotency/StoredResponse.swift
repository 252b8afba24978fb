/// A successful answer kept for idempotent replay: status and body exactly as first sent.
struct StoredResponse: Sendable, Equatable {
    /// The HTTP status, 2xx.
    var status: Int
    /// The JSON body bytes.
    var body: [UInt8]
}

/// A fax whose lifecycle the ``FaxLifecycleService`` should run.
struct FaxLifecycleJob: Sendable {
    /// The sandbox generation the fax belongs to; a reset ends its lifecycle.
    let generation: Int
    let environmentIndex: Int
    let faxID: String
}

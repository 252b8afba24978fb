/// The result of asking the store to create a fax.
enum FaxCreation: Sendable {
    /// Created, hold placed, lifecycle started.
    case created(FaxRecord)
    /// Nothing created: the available balance cannot cover the hold.
    case insufficientBalance(available: Int, required: Int)
}

/// An environment's credit, in cents, with the hold → capture → release lifecycle of API.md §5.
struct Balance: Sendable, Equatable {
    /// Spendable cents. A capture larger than its hold takes the difference from here, which
    /// may leave it below zero (a multi-page fax on a nearly empty balance).
    private(set) var available: Int
    /// Cents reserved by faxes that are not yet terminal.
    private(set) var held: Int

    init(available: Int, held: Int = 0) {
        self.available = available
        self.held = held
    }

    /// Moves `amount` from available to held.
    ///
    /// - Returns: `false`, changing nothing, when available is less than `amount`.
    mutating func hold(_ amount: Int) -> Bool {
        guard available >= amount else { return false }
        available -= amount
        held += amount
        return true
    }

    /// Ends a hold with a charge: the hold leaves `held`, and a `charge` above the hold is taken
    /// from available (one below it gives the rest back).
    mutating func capture(hold: Int, charge: Int) {
        held -= hold
        available -= charge - hold
    }

    /// Ends a hold without a charge: the amount goes back to available.
    mutating func release(hold: Int) {
        held -= hold
        available += hold
    }
}

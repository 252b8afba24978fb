/// When a tenant's balance becomes a `usage.balance` event: when its available amount is on the
/// other side of the tenant's threshold than the latest `usage.balance` on the topic said (no event
/// yet counts as above). A crossing downwards warns; a crossing back up (a top-up) re-arms.
public enum BalanceCrossing {
    /// Whether `available` (cents) crossed `threshold` since `latest`.
    public static func crossed(latest: DeliveryLedger.Balance?, available: Int, threshold: Int) -> Bool {
        let wasBelow = latest.map { $0.available < threshold } ?? false
        return wasBelow != (available < threshold)
    }

    /// The crossing's discriminator for `EventFactory.usageBalance`: the same observation, made by
    /// any worker, gives the same event id.
    public static func crossingID(threshold: Int, available: Int, held: Int) -> String {
        "\(threshold):\(available < threshold ? "below" : "above"):\(available):\(held)"
    }
}

/// The answer of `GET /v1/environment/balance` (API.md §2.7):
/// `{type, available, held, auto_top_up: {enabled, threshold_amount, package_id}}`.
///
/// The sandbox has no auto top-up: it reports `enabled: false`, `threshold_amount: 0` and
/// `package_id: null`.
struct BalanceResource: Sendable, Encodable {
    let type: String
    let balance: Balance

    enum CodingKeys: String, CodingKey {
        case type, available, held
        case autoTopUp = "auto_top_up"
    }

    enum AutoTopUpKeys: String, CodingKey {
        case enabled
        case thresholdAmount = "threshold_amount"
        case packageID = "package_id"
    }

    func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(type, forKey: .type)
        try container.encode(balance.available, forKey: .available)
        try container.encode(balance.held, forKey: .held)
        var autoTopUp = container.nestedContainer(keyedBy: AutoTopUpKeys.self, forKey: .autoTopUp)
        try autoTopUp.encode(false, forKey: .enabled)
        try autoTopUp.encode(0, forKey: .thresholdAmount)
        try autoTopUp.encodeNil(forKey: .packageID)
    }
}

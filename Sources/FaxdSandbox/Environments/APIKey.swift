/// The shape of mintfax environment keys (API.md §1.2): `mfx_test_` or `mfx_live_` followed by
/// 24 ASCII letters or digits.
enum APIKey {
    /// Which kind of environment a key reaches.
    enum Kind: Sendable {
        case test
        case live
    }

    /// The kind of a well-formed key, or `nil` when `key` has another shape.
    static func kind(of key: String) -> Kind? {
        let kind: Kind
        if key.hasPrefix("mfx_test_") {
            kind = .test
        } else if key.hasPrefix("mfx_live_") {
            kind = .live
        } else {
            return nil
        }
        let rest = key.utf8.dropFirst(9)
        guard rest.count == 24, rest.allSatisfy({ ($0 >= 0x30 && $0 <= 0x39) || ($0 >= 0x41 && $0 <= 0x5A) || ($0 >= 0x61 && $0 <= 0x7A) })
        else {
            return nil
        }
        return kind
    }
}

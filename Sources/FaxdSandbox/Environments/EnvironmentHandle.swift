/// The environment an authenticated request belongs to: its position in the sandbox's list,
/// its name and the last four characters of its key (never the key itself).
struct EnvironmentHandle: Sendable, Equatable {
    let index: Int
    let name: String
    let keySuffix: String
}

/// A fax's status (API.md §4.1): `queued → submitted → in_progress → delivered | failed`.
///
/// Between two attempts the sandbox shows `submitted` (handed to the carrier, waiting for the
/// next attempt); the docs leave this open.
enum FaxStatus: String, Sendable, CaseIterable, Encodable {
    case queued
    case submitted
    case inProgress = "in_progress"
    case delivered
    case failed

    /// Whether the status never changes again.
    var isTerminal: Bool { self == .delivered || self == .failed }
}

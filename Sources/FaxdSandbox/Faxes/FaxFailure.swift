/// A delivery-attempt failure with its mintfax Gen C `error_code` (API.md §4.4).
struct FaxFailure: Sendable, Equatable {
    /// The lower-case, stable `error_code`.
    let code: String
    /// The `error_message` shown on the attempt.
    let message: String
    /// Whether the failure ends the fax at once, whatever attempts remain.
    let isTerminal: Bool

    static let busy = FaxFailure(code: "busy", message: "The destination line was busy.", isTerminal: false)
    static let noAnswer = FaxFailure(code: "no_answer", message: "The destination did not answer.", isTerminal: false)
    static let lineQuality = FaxFailure(
        code: "line_quality",
        message: "The call connected but the transmission failed.",
        isTerminal: false
    )
    static let invalidNumber = FaxFailure(
        code: "invalid_number",
        message: "The number is well-formed but is not a fax line.",
        isTerminal: true
    )
}

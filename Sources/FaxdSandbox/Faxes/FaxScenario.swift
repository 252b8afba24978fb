/// What the sandbox carrier does with a recipient: the magic numbers of API.md §8.2, and plain
/// one-page delivery for every other valid number.
enum FaxScenario: Sendable, Equatable {
    /// Delivered on attempt 1 with this many pages (`+15005550001`: 1, `+15005550007`: 3, any
    /// other number: 1).
    case delivered(pages: Int)
    /// Every attempt fails with the failure (`0002` busy, `0003` no_answer, `0005` line_quality).
    case failsEveryAttempt(FaxFailure)
    /// Attempt 1 fails with the failure, attempt 2 delivers one page (`0004`, no_answer).
    case failsFirstAttempt(FaxFailure)
    /// Attempt 1 fails terminally, no retries (`0008`, invalid_number).
    case terminalFailure(FaxFailure)
    /// Rejected with 402 before anything is created (`0006`).
    case insufficientBalance
    /// Rejected with 422 on `to` before anything is created (`0099`).
    case validationFailure

    /// The scenario for an E.164 recipient.
    init(recipient: String) {
        switch recipient {
        case "+15005550001": self = .delivered(pages: 1)
        case "+15005550002": self = .failsEveryAttempt(.busy)
        case "+15005550003": self = .failsEveryAttempt(.noAnswer)
        case "+15005550004": self = .failsFirstAttempt(.noAnswer)
        case "+15005550005": self = .failsEveryAttempt(.lineQuality)
        case "+15005550006": self = .insufficientBalance
        case "+15005550007": self = .delivered(pages: 3)
        case "+15005550008": self = .terminalFailure(.invalidNumber)
        case "+15005550099": self = .validationFailure
        default: self = .delivered(pages: 1)
        }
    }

    /// The document's page count as the carrier sees it.
    var pageCount: Int {
        if case .delivered(let pages) = self { return pages }
        return 1
    }

    /// What attempt `attemptNumber` (1-based) does.
    func outcome(ofAttempt attemptNumber: Int) -> AttemptOutcome {
        switch self {
        case .delivered(let pages):
            return .delivered(pages: pages)
        case .failsEveryAttempt(let failure), .terminalFailure(let failure):
            return .failed(failure)
        case .failsFirstAttempt(let failure):
            return attemptNumber == 1 ? .failed(failure) : .delivered(pages: pageCount)
        case .insufficientBalance, .validationFailure:
            // Rejection scenarios never reach the carrier; should one get here, it fails terminally.
            return .failed(.invalidNumber)
        }
    }

    /// The result of one simulated attempt.
    enum AttemptOutcome: Sendable, Equatable {
        case delivered(pages: Int)
        case failed(FaxFailure)
    }
}

import Foundation

extension FaxRecord {
    /// What finishing an attempt led to.
    enum AttemptResult: Sendable, Equatable {
        /// The attempt failed and attempts remain: the fax waits in `submitted`.
        case willRetry
        /// The fax is `delivered` with this many pages.
        case delivered(pages: Int)
        /// The fax is `failed`.
        case failed
    }

    /// `queued → submitted`: handed to the (simulated) carrier; `pages` becomes known.
    ///
    /// - Returns: `false`, changing nothing, unless the fax is `queued`.
    mutating func markSubmitted(at now: Date) -> Bool {
        guard status == .queued else { return false }
        status = .submitted
        submittedAt = now
        pages = scenario.pageCount
        updatedAt = now
        return true
    }

    /// `submitted → in_progress`: a new attempt starts (the moment of `fax.sending`).
    ///
    /// - Returns: `false`, changing nothing, unless the fax is `submitted` with attempts left.
    mutating func startAttempt(at now: Date) -> Bool {
        guard status == .submitted, attempts.count < options.maxAttempts else { return false }
        status = .inProgress
        attempts.append(FaxAttempt(attemptNumber: attempts.count + 1, startedAt: now))
        updatedAt = now
        return true
    }

    /// Ends the running attempt with the scenario's outcome for it.
    ///
    /// A delivery makes the fax `delivered` with the transmitted pages; a failure retries while
    /// attempts remain and the failure is not terminal, else makes the fax `failed` with the
    /// failure as its `error_code`.
    ///
    /// - Returns: what happened, or `nil`, changing nothing, unless the fax is `in_progress`.
    mutating func finishAttempt(at now: Date) -> AttemptResult? {
        guard status == .inProgress, let index = attempts.indices.last else { return nil }
        attempts[index].completedAt = now
        updatedAt = now
        switch scenario.outcome(ofAttempt: attempts[index].attemptNumber) {
        case .delivered(let transmitted):
            status = .delivered
            pages = transmitted
            completedAt = now
            return .delivered(pages: transmitted)
        case .failed(let failure):
            attempts[index].errorCode = failure.code
            attempts[index].errorMessage = failure.message
            if !failure.isTerminal && attempts.count < options.maxAttempts {
                status = .submitted
                return .willRetry
            }
            status = .failed
            errorCode = failure.code
            errorMessage = attempts.count > 1 ? "\(failure.message) (\(attempts.count) attempts)" : failure.message
            completedAt = now
            return .failed
        }
    }
}

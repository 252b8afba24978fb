import FaxdSandbox
import Foundation
import Synchronization

/// A clock the test moves: it starts at the real time and only changes through ``advance(by:)``.
final class TestClock: Sendable {
    private let current = Mutex(Date())

    /// The current test time.
    var now: Date { current.withLock { $0 } }

    /// Moves the clock forward.
    func advance(by seconds: TimeInterval) {
        current.withLock { $0 = $0.addingTimeInterval(seconds) }
    }

    /// The clock as the sandbox takes it.
    var sandboxClock: SandboxClock {
        SandboxClock { [self] in now }
    }
}

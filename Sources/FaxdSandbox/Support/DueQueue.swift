import HeapModule
import Synchronization

/// Work that falls due at instants of the continuous clock, taken in due order by one consumer task:
/// the sandbox's fax lifecycle steps and webhook retries wait here rather than each in a sleeping
/// child task.
///
/// Why not a child task each: Swift 6.3's task groups keep their children in a singly linked list,
/// and a child that finishes walks it to unlink itself, under the group's lock (swiftlang/swift#87887
/// made it a doubly linked list after 6.3). With tens of thousands of children waiting on retry
/// schedules, every completion walked them all and the sandbox stopped answering (soak run 10,
/// docs/reliability.md).
final class DueQueue<Element: Sendable>: Sendable {
    private struct Entry: Comparable, Sendable {
        var due: ContinuousClock.Instant
        /// Ties keep the order of scheduling.
        var order: Int
        var element: Element

        static func < (lhs: Entry, rhs: Entry) -> Bool { (lhs.due, lhs.order) < (rhs.due, rhs.order) }
        static func == (lhs: Entry, rhs: Entry) -> Bool { lhs.order == rhs.order }
    }

    private struct State: Sendable {
        var entries = Heap<Entry>()
        var scheduled = 0
        /// The consumer waiting for an entry due before `deadline` (nil: any entry).
        var waiter: (continuation: CheckedContinuation<Void, Never>, deadline: ContinuousClock.Instant?)?
        /// The consumer's wait was cancelled before it began.
        var waitCancelled = false
    }

    private let state = Mutex(State())

    init() {}

    /// Entries not yet taken.
    var count: Int { state.withLock { $0.entries.count } }

    /// Adds `element`, due at `due` (now or in the past: at once).
    func schedule(_ element: Element, at due: ContinuousClock.Instant) {
        let waiter = state.withLock { state -> CheckedContinuation<Void, Never>? in
            state.entries.insert(Entry(due: due, order: state.scheduled, element: element))
            state.scheduled += 1
            guard let waiter = state.waiter, waiter.deadline.map({ due < $0 }) ?? true else { return nil }
            state.waiter = nil
            return waiter.continuation
        }
        waiter?.resume()
    }

    /// The next element once it is due, or nil when the calling task is cancelled. One consumer only.
    func next() async -> Element? {
        while !Task.isCancelled {
            let now = ContinuousClock.now
            let (element, deadline) = state.withLock { state -> (Element?, ContinuousClock.Instant?) in
                guard let first = state.entries.min else { return (nil, nil) }
                return first.due <= now ? (state.entries.removeMin().element, nil) : (nil, first.due)
            }
            if let element { return element }
            await waitForEntry(dueBefore: deadline)
        }
        return nil
    }

    /// Returns at `deadline`, when an entry due before it is scheduled, or when cancelled.
    private func waitForEntry(dueBefore deadline: ContinuousClock.Instant?) async {
        await withTaskGroup(of: Void.self) { group in
            if let deadline {
                group.addTask { try? await Task.sleep(until: deadline, clock: .continuous) }
            }
            group.addTask { await self.waitForSchedule(dueBefore: deadline) }
            await group.next()
            group.cancelAll()
        }
    }

    private func waitForSchedule(dueBefore deadline: ContinuousClock.Instant?) async {
        await withTaskCancellationHandler {
            await withCheckedContinuation { continuation in
                let resumeNow = state.withLock { state -> Bool in
                    // Cancelled already, or an entry due before the deadline came in meanwhile.
                    let arrived = state.entries.min.map { entry in deadline.map { entry.due < $0 } ?? true } ?? false
                    if state.waitCancelled || arrived {
                        state.waitCancelled = false
                        return true
                    }
                    state.waiter = (continuation, deadline)
                    return false
                }
                if resumeNow { continuation.resume() }
            }
        } onCancel: {
            let waiter = state.withLock { state -> CheckedContinuation<Void, Never>? in
                guard let waiter = state.waiter else {
                    state.waitCancelled = true
                    return nil
                }
                state.waiter = nil
                return waiter.continuation
            }
            waiter?.resume()
        }
    }
}

import DequeModule

/// Which transfers may run now: at most ``limit`` per origin, the rest waiting in arrival order.
///
/// The HTTP client keeps the queue itself instead of adding every transfer to the curl multi
/// handle and letting `CURLMOPT_MAX_HOST_CONNECTIONS` hold the excess back: libcurl 7.88
/// (Debian 12's) keeps those handles on a pending list that `curl_multi_remove_handle` walks
/// (later releases keep it apart, curl/curl#10801), so with thousands queued every finished
/// transfer cost time proportional to the queue — the sandbox's webhook dispatcher spent 90 % of a
/// core there with a few thousand deliveries waiting. Here admitting, finishing and dequeuing are
/// O(1) amortised.
///
/// A value type without I/O; the loop thread owns the one instance.
struct OriginAdmission<Item> {
    /// The most items running at once for one origin; at least 1.
    let limit: Int

    private struct Queue {
        var running = 0
        var waiting = Deque<Item>()
    }

    private var queues: [String: Queue] = [:]

    init(limit: Int) {
        self.limit = max(1, limit)
    }

    /// Items waiting for a slot, over all origins.
    private(set) var waitingCount = 0

    /// Takes a slot for `item` if its origin has one free (returns `true`: start it now);
    /// otherwise queues it behind the origin's other waiting items (returns `false`).
    mutating func admit(_ item: Item, origin: String) -> Bool {
        if queues[origin, default: Queue()].running < limit {
            queues[origin, default: Queue()].running += 1
            return true
        }
        queues[origin, default: Queue()].waiting.append(item)
        waitingCount += 1
        return false
    }

    /// Gives back the slot of a running item of `origin` and, when one is waiting, hands the slot
    /// straight to the oldest: the caller starts it (or, if it may no longer start, calls
    /// ``release(origin:)`` again for the slot it was given).
    mutating func release(origin: String) -> Item? {
        guard queues[origin] != nil else { return nil }
        if let next = queues[origin]!.waiting.popFirst() {
            waitingCount -= 1
            return next
        }
        queues[origin]!.running -= 1
        if queues[origin]!.running == 0 { queues[origin] = nil }
        return nil
    }

    /// Removes and returns every waiting item for which `isDone` holds (expired or already
    /// answered), keeping the others in order.
    mutating func removeWaiting(where isDone: (Item) -> Bool) -> [Item] {
        guard waitingCount > 0 else { return [] }
        var removed: [Item] = []
        for origin in Array(queues.keys) {
            queues[origin]!.waiting.removeAll { item in
                guard isDone(item) else { return false }
                removed.append(item)
                return true
            }
        }
        waitingCount -= removed.count
        return removed
    }

    /// Empties every queue and returns what was waiting; running slots are forgotten too.
    mutating func removeAll() -> [Item] {
        let waiting = queues.values.flatMap(\.waiting)
        queues.removeAll()
        waitingCount = 0
        return waiting
    }
}

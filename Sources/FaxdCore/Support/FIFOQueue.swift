/// A first-in first-out queue with amortised O(1) `append` and `popFirst`.
///
/// Popped slots are cleared at once, so a queue of jobs does not keep their documents alive; the
/// storage is compacted when more than half of it is spent.
struct FIFOQueue<Element> {
    private var storage: [Element?] = []
    private var head = 0

    var count: Int { storage.count - head }
    var isEmpty: Bool { count == 0 }
    var first: Element? { head < storage.count ? storage[head] : nil }

    mutating func append(_ element: Element) {
        storage.append(element)
    }

    mutating func popFirst() -> Element? {
        guard head < storage.count else { return nil }
        let element = storage[head]
        storage[head] = nil
        head += 1
        if head == storage.count {
            storage.removeAll(keepingCapacity: true)
            head = 0
        } else if head >= 64, head * 2 >= storage.count {
            storage.removeFirst(head)
            head = 0
        }
        return element
    }

    /// Removes the elements that match `predicate`, keeping the order of the others; returns the removed
    /// ones in queue order. O(n).
    mutating func removeAll(where predicate: (Element) throws -> Bool) rethrows -> [Element] {
        var kept: [Element?] = []
        var removed: [Element] = []
        for case let element? in storage[head...] {
            if try predicate(element) { removed.append(element) } else { kept.append(element) }
        }
        storage = kept
        head = 0
        return removed
    }
}

extension FIFOQueue: Sendable where Element: Sendable {}

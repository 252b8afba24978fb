/// Tracks the records of one partition from the moment they are taken to the moment their events are
/// acknowledged, and answers which offset may be committed (DESIGN §6 step 5).
///
/// The committable offset is the lowest offset still outstanding, or the last finished offset + 1 when
/// none is: every record below it is done. Records may finish in any order; offsets need not be
/// contiguous (compaction, transaction markers) but each `start` must be above the previous one.
///
/// `start` and `committableOffset` are O(1); `finish` is O(log n) in the outstanding records plus
/// amortised O(1) to advance, so 100,000 outstanding records cost no scan.
public struct OffsetTracker: Sendable {
    /// Started offsets in increasing order; `outstanding[head...]` are not yet passed by the commit point.
    private var outstanding: [Int64] = []
    /// The record time (milliseconds since the epoch, or nil) of each offset in `outstanding`.
    private var times: [Int64?] = []
    private var head = 0
    /// Offsets in `outstanding[head...]` that finished out of order.
    private var finishedEarly: Set<Int64> = []
    private var lastStarted: Int64?
    private var lastFinishedInOrder: Int64?
    private var anyFinished = false

    public init() {}

    /// Records that the record at `offset`, written at `time` (milliseconds since the epoch; nil when
    /// the record has none), was taken.
    ///
    /// - Precondition: `offset` is greater than every offset started since the last `reset()`.
    public mutating func start(_ offset: Int64, time: Int64? = nil) {
        precondition(lastStarted.map { offset > $0 } ?? true, "offsets must increase within a partition")
        lastStarted = offset
        outstanding.append(offset)
        times.append(time)
    }

    /// Records that the record at `offset` is done (its events are acknowledged).
    ///
    /// - Returns: false, changing nothing, when `offset` is not outstanding: never started, already
    ///   finished, or started before a `reset()` (a job of a revoked assignment that finished late).
    @discardableResult
    public mutating func finish(_ offset: Int64) -> Bool {
        guard head < outstanding.count, !finishedEarly.contains(offset), isOutstanding(offset) else { return false }
        anyFinished = true
        finishedEarly.insert(offset)
        while head < outstanding.count, finishedEarly.remove(outstanding[head]) != nil {
            lastFinishedInOrder = outstanding[head]
            head += 1
        }
        if head == outstanding.count {
            outstanding.removeAll(keepingCapacity: true)
            times.removeAll(keepingCapacity: true)
            head = 0
        } else if head >= 1024, head * 2 >= outstanding.count {
            outstanding.removeFirst(head)
            times.removeFirst(head)
            head = 0
        }
        return true
    }

    /// The offset to commit: every started record below it is finished. Nil until a record finished.
    public var committableOffset: Int64? {
        guard anyFinished else { return nil }
        if head < outstanding.count { return outstanding[head] }
        return lastFinishedInOrder.map { $0 + 1 }
    }

    /// The record time of the lowest unfinished offset (the job waiting longest to be done), when it
    /// has one; nil when nothing is outstanding.
    public var oldestOutstandingTime: Int64? {
        head < outstanding.count ? times[head] : nil
    }

    /// The number of started records not yet finished.
    public var outstandingCount: Int {
        outstanding.count - head - finishedEarly.count
    }

    /// Forgets everything, for a revoked partition or a seek; the next `start` may be any offset.
    public mutating func reset() {
        self = OffsetTracker()
    }

    /// Binary search in the sorted `outstanding[head...]`.
    private func isOutstanding(_ offset: Int64) -> Bool {
        var low = head
        var high = outstanding.count
        while low < high {
            let middle = low + (high - low) / 2
            if outstanding[middle] < offset { low = middle + 1 } else { high = middle }
        }
        return low < outstanding.count && outstanding[low] == offset
    }
}

import FaxdCore
import Testing

@Suite struct OffsetTrackerTests {
    @Test func nothingIsCommittableBeforeARecordFinished() {
        var tracker = OffsetTracker()
        #expect(tracker.committableOffset == nil)
        tracker.start(0)
        tracker.start(1)
        #expect(tracker.committableOffset == nil)
        #expect(tracker.outstandingCount == 2)
    }

    @Test func inOrderCompletionCommitsLastPlusOne() {
        var tracker = OffsetTracker()
        for offset in Int64(0)...2 { tracker.start(offset) }
        tracker.finish(0)
        #expect(tracker.committableOffset == 1)
        tracker.finish(1)
        #expect(tracker.committableOffset == 2)
        tracker.finish(2)
        #expect(tracker.committableOffset == 3)
        #expect(tracker.outstandingCount == 0)
    }

    @Test func outOfOrderCompletionWaitsForTheLowest() {
        var tracker = OffsetTracker()
        for offset in Int64(0)...4 { tracker.start(offset) }
        tracker.finish(2)
        tracker.finish(4)
        #expect(tracker.committableOffset == 0, "offset 0 is still in flight")
        tracker.finish(0)
        #expect(tracker.committableOffset == 1)
        tracker.finish(1)
        #expect(tracker.committableOffset == 3)
        tracker.finish(3)
        #expect(tracker.committableOffset == 5)
    }

    @Test func gapsBetweenOffsetsAreSkipped() {
        var tracker = OffsetTracker()
        for offset: Int64 in [10, 12, 15, 40] { tracker.start(offset) }
        tracker.finish(12)
        #expect(tracker.committableOffset == 10)
        tracker.finish(10)
        #expect(tracker.committableOffset == 15)
        tracker.finish(40)
        #expect(tracker.committableOffset == 15)
        tracker.finish(15)
        #expect(tracker.committableOffset == 41)
    }

    @Test func startingAfterEverythingFinishedMovesTheCommitPointBack() {
        var tracker = OffsetTracker()
        tracker.start(5)
        tracker.finish(5)
        #expect(tracker.committableOffset == 6)
        tracker.start(9)
        #expect(tracker.committableOffset == 9, "offsets 6–8 were never records; 9 is outstanding")
        tracker.finish(9)
        #expect(tracker.committableOffset == 10)
    }

    @Test func unknownAndRepeatedFinishesChangeNothing() {
        var tracker = OffsetTracker()
        tracker.start(1)
        tracker.start(2)
        #expect(tracker.finish(7) == false)
        #expect(tracker.finish(0) == false)
        #expect(tracker.committableOffset == nil)
        #expect(tracker.finish(2) == true)
        #expect(tracker.finish(2) == false)
        #expect(tracker.finish(1) == true)
        #expect(tracker.finish(1) == false)
        #expect(tracker.committableOffset == 3)
    }

    @Test func resetForgetsARevokedAssignment() {
        var tracker = OffsetTracker()
        for offset in Int64(100)...105 { tracker.start(offset) }
        tracker.finish(100)
        tracker.reset()
        #expect(tracker.committableOffset == nil)
        #expect(tracker.outstandingCount == 0)
        #expect(tracker.finish(101) == false, "a late finish from before the reset is ignored")
        tracker.start(50)
        tracker.finish(50)
        #expect(tracker.committableOffset == 51)
    }

    @Test func aHundredThousandOutstandingFinishInReverse() {
        var tracker = OffsetTracker()
        let count: Int64 = 100_000
        for offset in 0..<count { tracker.start(offset * 2) }
        for offset in (1..<count).reversed() {
            tracker.finish(offset * 2)
        }
        #expect(tracker.committableOffset == 0)
        #expect(tracker.outstandingCount == 1)
        tracker.finish(0)
        #expect(tracker.committableOffset == (count - 1) * 2 + 1)
        #expect(tracker.outstandingCount == 0)
    }

    @Test func interleavedStartsAndFinishesMatchABruteForceModel() {
        var random = SeededRandomNumberGenerator(seed: 99)
        var tracker = OffsetTracker()
        var started: [Int64] = []
        var finished: Set<Int64> = []
        var next: Int64 = 0
        for _ in 0..<3_000 {
            if random.next() % 3 != 0 || started.count == finished.count {
                next += Int64(1 + random.next() % 3)
                tracker.start(next)
                started.append(next)
            } else {
                let open = started.filter { !finished.contains($0) }
                let offset = open[Int(random.next() % UInt64(min(open.count, 8)))]
                #expect(tracker.finish(offset) == true)
                finished.insert(offset)
            }
            let expected: Int64? =
                finished.isEmpty
                ? nil : (started.first { !finished.contains($0) } ?? started.last.map { $0 + 1 })
            #expect(tracker.committableOffset == expected)
        }
    }
}

import Testing

@testable import FaxdSandbox

/// The queue the sandbox's lifecycles and webhook retries wait in.
@Suite struct DueQueueTests {
    @Test func elementsComeOutInDueOrderAndTiesInTheOrderScheduled() async {
        let queue = DueQueue<String>()
        let now = ContinuousClock.now
        queue.schedule("late", at: now - .milliseconds(1))
        queue.schedule("first", at: now - .seconds(1))
        queue.schedule("tie-a", at: now - .milliseconds(5))
        queue.schedule("tie-b", at: now - .milliseconds(5))
        var taken: [String] = []
        for _ in 0..<4 { taken.append(await queue.next() ?? "nil") }
        #expect(taken == ["first", "tie-a", "tie-b", "late"])
        #expect(queue.count == 0)
    }

    @Test func anElementIsNotTakenBeforeItIsDue() async {
        let queue = DueQueue<Int>()
        let due = ContinuousClock.now + .milliseconds(200)
        queue.schedule(1, at: due)
        #expect(await queue.next() == 1)
        #expect(ContinuousClock.now >= due)
    }

    @Test func aWaitingConsumerTakesAnElementScheduledDuringItsWaitForALaterOne() async {
        let queue = DueQueue<String>()
        queue.schedule("in an hour", at: .now + .seconds(3600))
        let consumer = Task { await queue.next() }
        // Whether the consumer is already waiting or not yet, the earlier element is what it takes.
        queue.schedule("now", at: .now)
        #expect(await consumer.value == "now")
        #expect(queue.count == 1)
    }

    @Test func anEmptyQueueWakesItsConsumerForTheFirstElement() async {
        let queue = DueQueue<Int>()
        let consumer = Task { await queue.next() }
        await Task.yield()
        queue.schedule(7, at: .now)
        #expect(await consumer.value == 7)
    }

    @Test func cancellingTheConsumerEndsItsWaitWithNil() async {
        let queue = DueQueue<Int>()
        queue.schedule(1, at: .now + .seconds(3600))
        let consumer = Task { await queue.next() }
        consumer.cancel()
        #expect(await consumer.value == nil)
        #expect(queue.count == 1)
    }
}

import Testing

@testable import FaxdHTTP

@Suite("OriginAdmission: a connection limit per origin with the excess waiting in order")
struct OriginAdmissionTests {
    @Test("each origin runs up to the limit; the rest wait, counted over all origins")
    func limitPerOrigin() {
        var admission = OriginAdmission<Int>(limit: 2)
        let started = [(1, "a"), (2, "a"), (3, "a"), (4, "b"), (5, "a")].map { admission.admit($0.0, origin: $0.1) }
        #expect(started == [true, true, false, true, false])
        #expect(admission.waitingCount == 2)
    }

    @Test("a released slot goes to the oldest waiting item of that origin; with none waiting it is freed")
    func releaseInOrder() {
        var admission = OriginAdmission<Int>(limit: 1)
        let first = admission.admit(0, origin: "a")
        let queued = (1...3000).map { admission.admit($0, origin: "a") }
        let foreign = admission.release(origin: "b")
        var started: [Int] = []
        while let next = admission.release(origin: "a") { started.append(next) }
        let afterwards = admission.admit(4000, origin: "a")
        #expect(first)
        #expect(!queued.contains(true))
        #expect(foreign == nil)
        #expect(started == Array(1...3000))
        #expect(admission.waitingCount == 0)
        #expect(afterwards, "the last release freed the slot")
    }

    @Test("removeWaiting takes out the matching items and keeps the others in order")
    func removeWaiting() {
        var admission = OriginAdmission<Int>(limit: 1)
        _ = admission.admit(0, origin: "a")
        _ = admission.admit(100, origin: "b")
        for item in 1...6 { _ = admission.admit(item, origin: item.isMultiple(of: 3) ? "b" : "a") }
        let firstOfA = admission.release(origin: "a")
        let removed = admission.removeWaiting { $0.isMultiple(of: 2) }
        let left = admission.waitingCount
        let nextOfA = admission.release(origin: "a")
        let nextOfB = admission.release(origin: "b")
        let rest = admission.removeAll()
        #expect(firstOfA == 1)
        #expect(removed.sorted() == [2, 4, 6])
        #expect(left == 2)
        #expect(nextOfA == 5)
        #expect(nextOfB == 3)
        #expect(rest.isEmpty)
    }

    @Test("removeAll returns everything waiting and frees every slot")
    func removeAll() {
        var admission = OriginAdmission<Int>(limit: 1)
        _ = admission.admit(0, origin: "a")
        _ = admission.admit(1, origin: "a")
        _ = admission.admit(2, origin: "b")
        let waiting = admission.removeAll()
        let count = admission.waitingCount
        let again = admission.admit(3, origin: "a")
        #expect(waiting == [1])
        #expect(count == 0)
        #expect(again)
    }
}

internal import CLibrdkafka
import Dispatch
import Synchronization

/// Serves a producer-type handle's main queue (delivery reports, errors) on a dedicated thread, so the
/// queue never grows unpolled.
final class RDKafkaMainPoller: Sendable {
    private let stopRequested = Atomic<Bool>(false)
    private let stopped = DispatchSemaphore(value: 0)

    init(_ handle: RDKafkaPointer, name: String) {
        RDKafkaThread.start(name: name) { [self] in
            while !stopRequested.load(ordering: .acquiring) {
                rd_kafka_poll(handle.pointer, 100)
            }
            stopped.signal()
        }
    }

    /// Asks the thread to stop. - Returns: false when a stop was already requested.
    func requestStop() -> Bool {
        !stopRequested.exchange(true, ordering: .acquiringAndReleasing)
    }

    /// Blocks until the thread has stopped. Call from a dedicated thread, after `requestStop()`.
    func waitUntilStopped() {
        stopped.wait()
    }
}

internal import CLibrdkafka
import Dispatch
import Synchronization

/// Owns a producer-type client handle (a producer, an admin client, the mock cluster's host): serves
/// its main queue (delivery reports, errors) on a dedicated thread, so the queue never grows unpolled,
/// and destroys the handle exactly once.
final class RDKafkaMainPoller: Sendable {
    let handle: RDKafkaPointer
    private let context: Unmanaged<RDKafkaClientContext>
    private let stopRequested = Atomic<Bool>(false)
    private let stopped = DispatchSemaphore(value: 0)

    /// Takes ownership of `handle` and of the retained `context`, and starts polling.
    init(_ handle: RDKafkaPointer, context: Unmanaged<RDKafkaClientContext>, name: String) {
        self.handle = handle
        self.context = context
        RDKafkaThread.start(name: name) { [self] in
            while !stopRequested.load(ordering: .acquiring) {
                rd_kafka_poll(handle.pointer, 100)
            }
            stopped.signal()
        }
    }

    /// Stops polling, runs `beforeDestroy` (e.g. purge, or destroy a mock cluster hosted on the
    /// handle), destroys the handle and releases the context, on a thread of its own; returns when
    /// done. Later calls do nothing.
    func shutdown(name: String, beforeDestroy: @escaping @Sendable (RDKafkaPointer) -> Void = { _ in }) async {
        guard !stopRequested.exchange(true, ordering: .acquiringAndReleasing) else { return }
        await RDKafkaThread.run(name: name) { [self] in destroy(beforeDestroy) }
    }

    /// The same without waiting, for `deinit`.
    func shutdownInBackground(name: String, beforeDestroy: @escaping @Sendable (RDKafkaPointer) -> Void = { _ in }) {
        guard !stopRequested.exchange(true, ordering: .acquiringAndReleasing) else { return }
        RDKafkaThread.start(name: name) { [self] in destroy(beforeDestroy) }
    }

    private func destroy(_ beforeDestroy: (RDKafkaPointer) -> Void) {
        stopped.wait()
        beforeDestroy(handle)
        rd_kafka_destroy(handle.pointer)
        context.release()
    }
}

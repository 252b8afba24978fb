import Dispatch
import Foundation
import Synchronization

/// Runs librdkafka's blocking calls on dedicated threads, never on the cooperative pool.
enum RDKafkaThread {
    /// Starts a named long-lived thread (poll loops).
    static func start(name: String, _ body: @escaping @Sendable () -> Void) {
        let thread = Thread(block: body)
        thread.name = name
        thread.start()
    }

    /// Runs one blocking call on a fresh thread and returns its result to the awaiting task.
    static func run<T: Sendable>(name: String, _ body: @escaping @Sendable () -> T) async -> T {
        await withCheckedContinuation { continuation in
            start(name: name) { continuation.resume(returning: body()) }
        }
    }
}

extension RDKafkaThread {
    /// Runs `body` on a fresh thread and waits for it at most `timeout` (a watchdog for calls that can
    /// hang, such as `rd_kafka_consumer_close`).
    /// - Returns: whether `body` finished in time; when it did not, it still runs to its end.
    static func withDeadline(_ timeout: Duration, name: String, _ body: @escaping @Sendable () -> Void) async -> Bool {
        let once = Mutex<CheckedContinuation<Bool, Never>?>(nil)
        return await withCheckedContinuation { continuation in
            once.withLock { $0 = continuation }
            let finish: @Sendable (Bool) -> Void = { value in
                once.withLock { pending in
                    defer { pending = nil }
                    return pending
                }?.resume(returning: value)
            }
            start(name: name) {
                body()
                finish(true)
            }
            DispatchQueue.global().asyncAfter(deadline: .now() + .milliseconds(Int(timeout.milliseconds))) {
                finish(false)
            }
        }
    }
}

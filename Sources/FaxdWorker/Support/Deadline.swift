import Synchronization

/// Waits for `operation` at most `timeout`; after that returns `fallback` and lets the operation
/// run on unobserved (it is not cancelled: a publication already handed to Kafka is better finished).
func awaitResult<T: Sendable>(within timeout: Duration, fallback: T, _ operation: @escaping @Sendable () async -> T) async -> T {
    let once = Once<T>()
    return await withCheckedContinuation { continuation in
        once.set(continuation)
        let timer = Task {
            try? await Task.sleep(for: timeout)
            once.resume(with: fallback)
        }
        Task {
            once.resume(with: await operation())
            timer.cancel()
        }
    }
}

/// Resumes a continuation with the first value offered.
private final class Once<T: Sendable>: Sendable {
    private let continuation = Mutex<CheckedContinuation<T, Never>?>(nil)

    func set(_ value: CheckedContinuation<T, Never>) {
        continuation.withLock { $0 = value }
    }

    func resume(with value: T) {
        continuation.withLock { $0.take() }?.resume(returning: value)
    }
}

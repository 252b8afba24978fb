internal import CLibcurl
import Dispatch
import Foundation
import Logging
import Synchronization

/// The curl multi handle and the one dedicated thread that drives it.
///
/// - Important: Threading. ``submit(_:)`` and ``shutdownAndWait()`` may be called from any
///   thread. Everything else — the multi handle's transfers, the table of active transfers,
///   every libcurl callback, and every resumption of a caller's continuation — happens on the
///   loop thread, a Foundation `Thread` named `faxd-http` that never runs on the Swift
///   cooperative pool. Other threads talk to it only through the `Mutex`-guarded inbox, and
///   wake it with `curl_multi_wakeup`.
///
/// Ownership: the loop owns the multi handle (`CURLM *`) and frees it with `curl_multi_cleanup`
/// on the loop thread when it stops, after removing every easy handle. Each added transfer is
/// kept alive by the active table until its handle is removed; see ``Transfer`` for the easy
/// handle's lifetime.
///
/// Connections: at most `maxConnectionsPerHost` transfers per origin are in the multi handle at
/// once; the others wait in ``OriginAdmission`` (arrival order) and start as slots free up, with
/// what is left of their timeout. A waiting transfer whose timeout ends fails with `.timeout`
/// within ``sweepInterval``; a cancelled one fails with `.cancelled` at once.
final class CurlMultiLoop: @unchecked Sendable {
    /// A request to the loop thread.
    enum Operation: Sendable {
        /// Add the transfer to the multi handle; resume the continuation when it ends.
        case add(Transfer, CheckedContinuation<HTTPResponse, any Error>)
        /// Abort the transfer if it is active and resume its caller with `.cancelled`.
        case cancel(Transfer)
        /// Fail every active transfer with `.shutdown`, free the multi handle, end the thread.
        case shutdown
    }

    private struct Inbox {
        var operations: [Operation] = []
        /// Set together with enqueuing `.shutdown`; nothing is enqueued after it.
        var isShutDown = false
    }

    /// How long one `curl_multi_poll` waits at most, in milliseconds, when libcurl has no
    /// earlier timer; new operations wake the poll at once.
    private static let pollTimeoutMilliseconds: Int32 = 1_000
    /// How often waiting transfers are checked for an expired timeout while any wait.
    static let sweepInterval: Duration = .milliseconds(100)

    /// `CURLM *`. Valid until the loop thread calls `curl_multi_cleanup`, which happens only
    /// after `isShutDown` is set, so `submit` (which checks it under the lock) never wakes a
    /// freed handle.
    private let multi: UnsafeMutableRawPointer
    private let inbox = Mutex(Inbox())
    /// Signalled once the loop thread has freed the multi handle and is about to exit.
    private let stopped = DispatchSemaphore(value: 0)
    private let logger: Logger?
    /// Transfers whose easy handles are in the multi handle, by easy handle. Loop thread only.
    private var active: [UnsafeMutableRawPointer: Transfer] = [:]
    /// Slots per origin and the transfers waiting for one. Loop thread only.
    private var admission: OriginAdmission<Transfer>
    /// When waiting transfers were last checked for an expired timeout. Loop thread only.
    private var lastSweep = ContinuousClock.now

    /// Creates the multi handle and starts the loop thread.
    ///
    /// - Parameter maxConnectionsPerHost: transfers running at once per origin (and libcurl's
    ///   `CURLMOPT_MAX_HOST_CONNECTIONS`); values below 1 count as 1.
    /// - Throws: ``HTTPClientError`` `.transport` if libcurl cannot create the multi handle.
    init(maxConnectionsPerHost: Int, logger: Logger?) throws(HTTPClientError) {
        guard let multi = curl_multi_init() else {
            throw HTTPClientError(code: .transport, reason: "curl_multi_init failed")
        }
        _ = faxd_curl_multi_setopt_long(multi, CURLMOPT_MAX_HOST_CONNECTIONS, max(1, maxConnectionsPerHost))
        _ = faxd_curl_multi_setopt_long(multi, CURLMOPT_PIPELINING, Int(CURLPIPE_MULTIPLEX))
        self.multi = multi
        self.logger = logger
        self.admission = OriginAdmission(limit: maxConnectionsPerHost)
        let thread = Thread { [self] in
            self.run()
        }
        thread.name = "faxd-http"
        thread.start()
    }

    /// Enqueues `operation` and wakes the loop thread.
    ///
    /// - Returns: `false` (and enqueues nothing) once shutdown has begun; the caller then owns
    ///   any continuation in `operation` and must resume it itself.
    @discardableResult
    func submit(_ operation: Operation) -> Bool {
        inbox.withLock { inbox in
            guard !inbox.isShutDown else {
                return false
            }
            if case .shutdown = operation {
                inbox.isShutDown = true
            }
            inbox.operations.append(operation)
            // Under the lock: the loop cannot have freed the handle, since it has not seen
            // `.shutdown` yet. curl_multi_wakeup is thread-safe and does not block.
            _ = curl_multi_wakeup(multi)
            return true
        }
    }

    /// Asks the loop to stop, then blocks until it has failed all active transfers with
    /// `.shutdown` and freed the multi handle. Idempotent; every caller waits.
    ///
    /// - Important: Blocks the calling thread briefly; never call it on the loop thread.
    func shutdownAndWait() {
        submit(.shutdown)
        stopped.wait()
        stopped.signal()
    }

    // MARK: - Loop thread

    private func run() {
        var stopping = false
        while !stopping {
            let operations = inbox.withLock { inbox in
                var taken: [Operation] = []
                swap(&taken, &inbox.operations)
                return taken
            }
            for operation in operations {
                switch operation {
                case .add(let transfer, let continuation):
                    add(transfer, continuation)
                case .cancel(let transfer):
                    cancel(transfer)
                case .shutdown:
                    stopping = true
                }
            }
            if stopping {
                break
            }
            var running: Int32 = 0
            let performed = curl_multi_perform(multi, &running)
            if performed != CURLM_OK {
                logger?.error("curl_multi_perform failed", metadata: ["curl.error": "\(multiError(performed))"])
            }
            completeFinishedTransfers()
            failExpiredWaitingTransfers()
            let timeout = admission.waitingCount > 0 ? Int32(Self.sweepInterval / .milliseconds(1)) : Self.pollTimeoutMilliseconds
            let polled = curl_multi_poll(multi, nil, 0, timeout, nil)
            if polled != CURLM_OK {
                logger?.error("curl_multi_poll failed", metadata: ["curl.error": "\(multiError(polled))"])
            }
        }
        for (easy, transfer) in active {
            _ = curl_multi_remove_handle(multi, easy)
            transfer.resume(.failure(Self.shutdownError))
        }
        active.removeAll()
        for transfer in admission.removeAll() {
            transfer.resume(.failure(Self.shutdownError))
        }
        _ = curl_multi_cleanup(multi)
        logger?.debug("HTTP client loop stopped")
        stopped.signal()
    }

    private func add(_ transfer: Transfer, _ continuation: CheckedContinuation<HTTPResponse, any Error>) {
        transfer.continuation = continuation
        if transfer.cancelRequested.load(ordering: .sequentiallyConsistent) {
            transfer.resume(.failure(Self.cancelledError))
            return
        }
        if admission.admit(transfer, origin: transfer.origin) {
            start(transfer)
        }
    }

    /// Adds `transfer`, which holds a slot of its origin, to the multi handle; when it cannot
    /// start (answered already, timed out while waiting, refused by libcurl) its slot goes to
    /// the next waiting transfer.
    private func start(_ transfer: Transfer) {
        var next: Transfer? = transfer
        while let transfer = next {
            next = nil
            guard transfer.continuation != nil else {
                next = admission.release(origin: transfer.origin)
                continue
            }
            guard transfer.setRemainingTimeout(now: .now) else {
                transfer.resume(.failure(Self.waitedTooLongError))
                next = admission.release(origin: transfer.origin)
                continue
            }
            let added = curl_multi_add_handle(multi, transfer.easy)
            guard added == CURLM_OK else {
                transfer.resume(
                    .failure(HTTPClientError(code: .transport, reason: "curl_multi_add_handle: \(multiError(added))"))
                )
                next = admission.release(origin: transfer.origin)
                continue
            }
            active[transfer.easy] = transfer
        }
    }

    /// Gives the slot of a transfer whose handle was removed to the next waiting one.
    private func releaseSlot(of transfer: Transfer) {
        if let next = admission.release(origin: transfer.origin) {
            start(next)
        }
    }

    private func cancel(_ transfer: Transfer) {
        guard active.removeValue(forKey: transfer.easy) != nil else {
            // Waiting for a slot: answer now; the queue drops it when its turn comes. Otherwise
            // not added yet (the add will see `cancelRequested`) or already finished.
            transfer.resume(.failure(Self.cancelledError))
            return
        }
        _ = curl_multi_remove_handle(multi, transfer.easy)
        transfer.resume(.failure(Self.cancelledError))
        releaseSlot(of: transfer)
    }

    /// Drains `curl_multi_info_read`, removing and completing every `CURLMSG_DONE` transfer.
    private func completeFinishedTransfers() {
        var remaining: Int32 = 0
        while let message = curl_multi_info_read(multi, &remaining) {
            // The message is invalidated by curl_multi_remove_handle: copy what is needed first.
            guard message.pointee.msg == CURLMSG_DONE, let easy = message.pointee.easy_handle else {
                continue
            }
            let result = message.pointee.data.result
            guard let transfer = active.removeValue(forKey: easy) else {
                continue
            }
            _ = curl_multi_remove_handle(multi, easy)
            transfer.complete(result: result, logger: logger)
            releaseSlot(of: transfer)
        }
    }

    /// Fails waiting transfers whose timeout has ended (and drops answered ones), at most once
    /// per ``sweepInterval``.
    private func failExpiredWaitingTransfers() {
        let now = ContinuousClock.now
        guard admission.waitingCount > 0, now - lastSweep >= Self.sweepInterval else { return }
        lastSweep = now
        for transfer in admission.removeWaiting(where: { $0.continuation == nil || $0.deadline <= now }) {
            transfer.resume(.failure(Self.waitedTooLongError))
        }
    }

    private func multiError(_ code: CURLMcode) -> String {
        String(cString: curl_multi_strerror(code))
    }

    private static let cancelledError = HTTPClientError(code: .cancelled, reason: "the task was cancelled")
    private static let shutdownError = HTTPClientError(code: .shutdown, reason: "the client was shut down")
    private static let waitedTooLongError = HTTPClientError(
        code: .timeout,
        reason: "the timeout ended while the request waited for a free connection"
    )
}

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
///   wake it through an `eventfd`.
///
/// The loop drives libcurl with its socket interface (`curl_multi_socket_action`): libcurl says
/// which sockets to watch (`CURLMOPT_SOCKETFUNCTION`) and when its next timeout is due
/// (`CURLMOPT_TIMERFUNCTION`); the loop watches them with `epoll` and hands libcurl only the
/// sockets that are ready. `curl_multi_perform` and `curl_multi_poll` instead visit every
/// transfer and poll every socket on each wake-up — with 256 requests in flight, each waiting on
/// mintfax, that was a quarter of the worker's CPU per job (docs/benchmarks.md, 2026-12-04).
///
/// Ownership: the loop owns the multi handle (`CURLM *`), the epoll instance and the eventfd;
/// the loop thread frees the first two when it stops, after removing every easy handle, and
/// `deinit` closes the eventfd. Each added transfer is kept alive by the active table until its
/// handle is removed; see ``Transfer`` for the easy handle's lifetime.
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
        /// Set by the loop when it found the inbox empty and is about to wait in `epoll_wait`;
        /// cleared by the first operation enqueued after that, which wakes it through the eventfd.
        /// An operation that finds it clear is taken at the loop's next turn without a wake-up.
        var loopWaiting = false
    }

    /// How long one `epoll_wait` waits at most, in milliseconds, when libcurl has no earlier
    /// timer; new operations wake it at once.
    private static let pollTimeoutMilliseconds: Int32 = 1_000
    /// The most ready sockets one `epoll_wait` reports; more wait for the next turn.
    private static let eventCapacity = 64
    /// How often waiting transfers are checked for an expired timeout while any wait.
    static let sweepInterval: Duration = .milliseconds(100)

    /// `CURLM *`. Valid until the loop thread calls `curl_multi_cleanup`.
    private let multi: UnsafeMutableRawPointer
    /// The epoll instance watching libcurl's sockets and `wakeup`. Loop thread only.
    private let epoll: Int32
    /// The eventfd that `submit` writes to wake the loop. Closed in `deinit`, so a `submit` (whose
    /// caller holds the loop) never writes to a closed descriptor.
    private let wakeup: Int32
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
    /// When libcurl wants `curl_multi_socket_action(CURL_SOCKET_TIMEOUT)`; nil when it has no
    /// timer. Set by its timer callback. Loop thread only.
    private var timerDue: ContinuousClock.Instant?
    /// The sockets in the epoll set for libcurl, so a change of what one waits for is one
    /// `EPOLL_CTL_MOD` and a new one one `EPOLL_CTL_ADD`. Loop thread only.
    private var watched: Set<curl_socket_t> = []

    /// Creates the multi handle and starts the loop thread.
    ///
    /// - Parameter maxConnectionsPerHost: transfers running at once per origin (and libcurl's
    ///   `CURLMOPT_MAX_HOST_CONNECTIONS`); values below 1 count as 1.
    /// - Throws: ``HTTPClientError`` `.transport` if libcurl cannot create the multi handle.
    init(maxConnectionsPerHost: Int, logger: Logger?) throws(HTTPClientError) {
        let epoll = epoll_create1(Int32(EPOLL_CLOEXEC))
        guard epoll >= 0 else {
            throw HTTPClientError(code: .transport, reason: "epoll_create1 failed: errno \(errno)")
        }
        let wakeup = eventfd(0, Int32(EFD_NONBLOCK | EFD_CLOEXEC))
        guard wakeup >= 0, Self.watch(wakeup, events: EPOLLIN.rawValue, in: epoll, adding: true) else {
            let reason = "eventfd or epoll_ctl failed: errno \(errno)"
            if wakeup >= 0 { close(wakeup) }
            close(epoll)
            throw HTTPClientError(code: .transport, reason: reason)
        }
        guard let multi = curl_multi_init() else {
            close(wakeup)
            close(epoll)
            throw HTTPClientError(code: .transport, reason: "curl_multi_init failed")
        }
        _ = faxd_curl_multi_setopt_long(multi, CURLMOPT_MAX_HOST_CONNECTIONS, max(1, maxConnectionsPerHost))
        // Idle connections kept: one host's full set and as many again for others. libcurl's
        // default is four per easy handle in the multi handle at the time, so when fewer requests
        // ran (a job's ledger write between two requests) it closed idle mintfax connections, to
        // open them again moments later: one in eleven requests under load (docs/benchmarks.md).
        _ = faxd_curl_multi_setopt_long(multi, CURLMOPT_MAXCONNECTS, 2 * max(1, maxConnectionsPerHost))
        _ = faxd_curl_multi_setopt_long(multi, CURLMOPT_PIPELINING, Int(CURLPIPE_MULTIPLEX))
        self.multi = multi
        self.epoll = epoll
        self.wakeup = wakeup
        self.logger = logger
        self.admission = OriginAdmission(limit: maxConnectionsPerHost)
        // The callbacks get the loop unretained: the loop thread, which alone calls into libcurl,
        // holds it until it has freed the multi handle.
        let context = Unmanaged.passUnretained(self).toOpaque()
        _ = faxd_curl_multi_setopt_socket_cb(multi, curlSocketCallback)
        _ = faxd_curl_multi_setopt_ptr(multi, CURLMOPT_SOCKETDATA, context)
        _ = faxd_curl_multi_setopt_timer_cb(multi, curlTimerCallback)
        _ = faxd_curl_multi_setopt_ptr(multi, CURLMOPT_TIMERDATA, context)
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
        let (accepted, wake) = inbox.withLock { inbox in
            guard !inbox.isShutDown else {
                return (false, false)
            }
            if case .shutdown = operation {
                inbox.isShutDown = true
            }
            inbox.operations.append(operation)
            // A busy loop takes the operation at its next turn: one write(2) less per request
            // under load (docs/benchmarks.md).
            let wake = inbox.loopWaiting
            inbox.loopWaiting = false
            return (true, wake)
        }
        // After the lock: held through the write, it kept the loop, woken by that write, waiting
        // for it (docs/benchmarks.md). The eventfd is open until `deinit`, and this caller holds the
        // loop; the write does not block (a full counter is already a wake-up).
        if wake {
            var one: UInt64 = 1
            _ = write(wakeup, &one, MemoryLayout<UInt64>.size)
        }
        return accepted
    }

    deinit {
        close(wakeup)
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
        var events = [epoll_event](repeating: epoll_event(), count: Self.eventCapacity)
        while !stopping {
            let operations = inbox.withLock { inbox in
                var taken: [Operation] = []
                swap(&taken, &inbox.operations)
                inbox.loopWaiting = false
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
            fireTimerIfDue()
            completeFinishedTransfers()
            failExpiredWaitingTransfers()
            // Waits only with nothing enqueued meanwhile; from here on an operation wakes the wait.
            let mayWait = inbox.withLock { inbox in
                inbox.loopWaiting = inbox.operations.isEmpty
                return inbox.loopWaiting
            }
            let ready = events.withUnsafeMutableBufferPointer { buffer in
                epoll_wait(epoll, buffer.baseAddress, Int32(buffer.count), mayWait ? pollTimeout() : 0)
            }
            for event in events.prefix(Int(max(0, ready))) {
                let descriptor = event.data.fd
                if descriptor == wakeup {
                    var count: UInt64 = 0
                    _ = read(wakeup, &count, MemoryLayout<UInt64>.size)
                    continue
                }
                var flags: Int32 = 0
                if event.events & EPOLLIN.rawValue != 0 { flags |= CURL_CSELECT_IN }
                if event.events & EPOLLOUT.rawValue != 0 { flags |= CURL_CSELECT_OUT }
                if event.events & (EPOLLERR.rawValue | EPOLLHUP.rawValue) != 0 { flags |= CURL_CSELECT_ERR }
                socketAction(descriptor, flags)
            }
            completeFinishedTransfers()
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
        close(epoll)
        logger?.debug("HTTP client loop stopped")
        stopped.signal()
    }

    /// How long the next `epoll_wait` may wait, in milliseconds: until libcurl's timer, the next
    /// sweep of waiting transfers, or at most ``pollTimeoutMilliseconds``.
    private func pollTimeout() -> Int32 {
        var timeout = admission.waitingCount > 0 ? Int32(Self.sweepInterval / .milliseconds(1)) : Self.pollTimeoutMilliseconds
        if let timerDue {
            let left = timerDue - .now
            // Rounded up, so the wait never ends just before the timer and spins.
            let milliseconds = left <= .zero ? 0 : Int32(min(Double(timeout), (left / .milliseconds(1)).rounded(.up)))
            timeout = min(timeout, milliseconds)
        }
        return timeout
    }

    /// Runs libcurl's timeout actions when its timer is due.
    private func fireTimerIfDue() {
        guard let timerDue, timerDue <= .now else { return }
        // Cleared first: the action may set a new timer.
        self.timerDue = nil
        socketAction(CURL_SOCKET_TIMEOUT, 0)
    }

    private func socketAction(_ socket: curl_socket_t, _ flags: Int32) {
        var running: Int32 = 0
        let acted = curl_multi_socket_action(multi, socket, flags, &running)
        if acted != CURLM_OK {
            logger?.error("curl_multi_socket_action failed", metadata: ["curl.error": "\(multiError(acted))"])
        }
    }

    /// libcurl's socket callback: watch `socket` for `what` (`CURL_POLL_IN`, `_OUT`, `_INOUT`) or
    /// stop watching it (`CURL_POLL_REMOVE`).
    fileprivate func watch(_ socket: curl_socket_t, what: Int32) {
        if what == CURL_POLL_REMOVE {
            watched.remove(socket)
            // libcurl may have closed the socket already, which took it out of the epoll set.
            _ = epoll_ctl(epoll, EPOLL_CTL_DEL, socket, nil)
            return
        }
        var events: UInt32 = 0
        if what & CURL_POLL_IN != 0 { events |= EPOLLIN.rawValue }
        if what & CURL_POLL_OUT != 0 { events |= EPOLLOUT.rawValue }
        // A MOD the epoll set refuses (a descriptor closed and reused without a REMOVE) is added anew.
        let changed = watched.contains(socket) && Self.watch(socket, events: events, in: epoll, adding: false)
        guard changed || Self.watch(socket, events: events, in: epoll, adding: true) else {
            logger?.error("epoll_ctl failed for a libcurl socket", metadata: ["errno": "\(errno)"])
            return
        }
        watched.insert(socket)
    }

    /// libcurl's timer callback: run its timeout actions after `milliseconds` (0: at the loop's
    /// next turn), or never (-1).
    fileprivate func setTimer(milliseconds: Int) {
        timerDue = milliseconds < 0 ? nil : .now + .milliseconds(milliseconds)
    }

    /// `epoll_ctl` ADD (`adding`) or MOD of `descriptor` for `events`; whether it succeeded.
    private static func watch(_ descriptor: Int32, events: UInt32, in epoll: Int32, adding: Bool) -> Bool {
        var event = epoll_event()
        event.events = events
        event.data.fd = descriptor
        return epoll_ctl(epoll, adding ? EPOLL_CTL_ADD : EPOLL_CTL_MOD, descriptor, &event) == 0
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

/// `CURLMOPT_SOCKETFUNCTION`; `context` is the loop, unretained. Runs on the loop thread, inside the
/// libcurl call that changed what a socket waits for (`curl_multi_socket_action`, `_remove_handle`,
/// `_cleanup`).
private func curlSocketCallback(
    _ easy: UnsafeMutableRawPointer?,
    _ socket: curl_socket_t,
    _ what: Int32,
    _ context: UnsafeMutableRawPointer?,
    _ socketContext: UnsafeMutableRawPointer?
) -> Int32 {
    guard let context else { return 0 }
    Unmanaged<CurlMultiLoop>.fromOpaque(context).takeUnretainedValue().watch(socket, what: what)
    return 0
}

/// `CURLMOPT_TIMERFUNCTION`; `context` is the loop, unretained. Runs on the loop thread.
private func curlTimerCallback(_ multi: UnsafeMutableRawPointer?, _ milliseconds: Int, _ context: UnsafeMutableRawPointer?) -> Int32 {
    guard let context else { return 0 }
    Unmanaged<CurlMultiLoop>.fromOpaque(context).takeUnretainedValue().setTimer(milliseconds: milliseconds)
    return 0
}

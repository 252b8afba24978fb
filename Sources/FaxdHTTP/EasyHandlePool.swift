internal import CLibcurl
import Synchronization

/// The easy handles of finished transfers, reset to libcurl's defaults, for the client's next
/// requests: `curl_easy_init` and `curl_easy_cleanup` allocate and free a handle and its buffers
/// every time, a few per cent of the worker's CPU per job (docs/benchmarks.md).
///
/// A handle is given back only after its transfer's handle left the multi handle (``Transfer``'s
/// `deinit`), so it holds no connection: those stay in the multi handle's cache. `curl_easy_reset`
/// clears every option, the request headers' and error buffer's pointers included; what it keeps
/// (TLS session ids, and cookies, which faxd never turns on) holds nothing of a request's headers
/// or body.
final class EasyHandlePool: Sendable {
    /// An idle `CURL *`: used by one transfer at a time, and by none while it is here.
    private struct Idle: @unchecked Sendable {
        let easy: UnsafeMutableRawPointer
    }

    /// Idle handles, at most `capacity`.
    private let idle: Mutex<[Idle]>
    private let capacity: Int

    /// - Parameter capacity: the most idle handles kept; more are freed when given back.
    init(capacity: Int) {
        self.capacity = max(0, capacity)
        self.idle = Mutex([])
    }

    deinit {
        idle.withLock { handles in
            for handle in handles { curl_easy_cleanup(handle.easy) }
            handles.removeAll()
        }
    }

    /// An idle handle, or a new one; nil when libcurl cannot allocate one.
    func take() -> UnsafeMutableRawPointer? {
        idle.withLock { $0.popLast()?.easy } ?? curl_easy_init()
    }

    /// Resets `easy` and keeps it for a later request, or frees it when enough are idle.
    /// - Important: `easy` must not be in a multi handle.
    func giveBack(_ easy: UnsafeMutableRawPointer) {
        curl_easy_reset(easy)
        let handle = Idle(easy: easy)
        let kept = idle.withLock { handles in
            guard handles.count < capacity else { return false }
            handles.append(handle)
            return true
        }
        if !kept { curl_easy_cleanup(easy) }
    }

    /// Idle handles now.
    var idleCount: Int { idle.withLock { $0.count } }
}

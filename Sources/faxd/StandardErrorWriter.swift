import Foundation
import Synchronization

/// Standard error for log lines, written in batches: a line is appended to a buffer, and a thread of
/// its own writes what gathered at most every ``gatherInterval``, one `write(2)` for many lines. A
/// `write(2)` per line, under a lock so lines stay whole, was 3 % of a busy worker's CPU and most of
/// the contention on its locks, each write waking the pipe's reader (docs/benchmarks.md).
///
/// Nothing waits longer than before: a line of level error or above (``writeNow(_:)``) and
/// ``flush()`` (at exit) write what is pending and then themselves, and once ``maximumPending`` bytes
/// wait, the line that finds them writes them itself, blocking while the descriptor does as every
/// line did before, so a reader that stops reading cannot make the buffer grow. Lines reach the
/// descriptor in the order they were appended.
final class StandardErrorWriter: Sendable {
    static let shared = StandardErrorWriter()

    /// How long the writer waits, after the line that woke it, for more lines to write with it.
    static let gatherInterval: TimeInterval = 0.005
    /// Bytes waiting beyond which the line that finds them writes them.
    static let maximumPending = 1 << 20

    private struct Pending {
        var bytes: [UInt8] = []
    }

    private let pending = Mutex(Pending())
    /// Held from taking bytes out of `pending` until they are written, so batches reach the
    /// descriptor in the order they were taken. Taken before `pending`, never after.
    private let writing = Mutex(())
    /// Signalled when `pending` stops being empty.
    private let wake = DispatchSemaphore(value: 0)

    private init() {
        let thread = Thread { [self] in
            while true {
                wake.wait()
                Thread.sleep(forTimeInterval: Self.gatherInterval)
                flush()
            }
        }
        thread.name = "faxd-log"
        thread.start()
        atexit { StandardErrorWriter.shared.flush() }
    }

    /// Appends `line` (ending in a newline) to what the writer writes next.
    func append(_ line: [UInt8]) {
        let (wasEmpty, isFull) = pending.withLock { pending in
            let wasEmpty = pending.bytes.isEmpty
            pending.bytes += line
            return (wasEmpty, pending.bytes.count >= Self.maximumPending)
        }
        if isFull {
            flush()
        } else if wasEmpty {
            wake.signal()
        }
    }

    /// Writes what is pending, then `line`, before returning.
    func writeNow(_ line: [UInt8]) {
        writing.withLock { _ in
            let bytes = pending.withLock { pending in
                var taken: [UInt8] = []
                swap(&taken, &pending.bytes)
                return taken
            }
            Self.write(bytes)
            Self.write(line)
        }
    }

    /// Writes what is pending before returning.
    func flush() {
        writeNow([])
    }

    /// `bytes` to file descriptor 2 with `write(2)`, whole (a pipe may take a long batch in parts);
    /// what the descriptor refuses is dropped, as a log line has nowhere else to go. Without
    /// `FileHandle` and a `Data` copy per line, which cost as much as writing it.
    private static func write(_ bytes: [UInt8]) {
        bytes.withUnsafeBytes { buffer in
            guard let start = buffer.baseAddress else { return }
            var offset = 0
            while offset < buffer.count {
                let written = Glibc.write(2, start + offset, buffer.count - offset)
                if written > 0 {
                    offset += written
                } else if written < 0, errno == EINTR {
                    continue
                } else {
                    return
                }
            }
        }
    }
}

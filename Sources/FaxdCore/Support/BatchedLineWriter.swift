import Foundation
import Synchronization

/// A file descriptor for log lines, written in batches: a line is appended to a buffer, and a thread
/// of the writer's own writes what gathered at most every `gatherInterval`, one `write(2)` for many
/// lines. A `write(2)` per line, under a lock so lines stay whole, was 3 % of a busy worker's CPU and
/// most of the contention on its locks, each write waking the pipe's reader (docs/benchmarks.md).
///
/// Nothing waits longer than before: ``writeNow(_:)`` (the log's errors) and ``flush()`` write what
/// is pending and then their own, and once `maximumPending` bytes wait, the line that finds them
/// writes them itself, blocking while the descriptor does as every line did before — so a reader
/// that stops reading cannot make the buffer grow. Bytes reach the descriptor in the order they were
/// appended. The writer and its thread live as long as the process.
public final class BatchedLineWriter: Sendable {
    /// Standard error, flushed at exit.
    public static let standardError: BatchedLineWriter = {
        let writer = BatchedLineWriter(descriptor: 2)
        atexit { BatchedLineWriter.standardError.flush() }
        return writer
    }()

    private let descriptor: Int32
    private let maximumPending: Int
    /// Bytes appended and not yet taken to be written.
    private let pending = Mutex<[UInt8]>([])
    /// Held from taking bytes out of `pending` until they are written, so batches reach the
    /// descriptor in the order they were taken. Taken before `pending`, never after.
    private let writing = Mutex(())
    /// Signalled when `pending` stops being empty.
    private let wake = DispatchSemaphore(value: 0)

    /// - Parameters:
    ///   - gatherInterval: how long the writer waits, after the line that woke it, for more lines
    ///     to write with it. Default 5 ms.
    ///   - maximumPending: bytes waiting beyond which the line that finds them writes them.
    ///     Default 1 MiB.
    public init(descriptor: Int32, gatherInterval: Duration = .milliseconds(5), maximumPending: Int = 1 << 20) {
        self.descriptor = descriptor
        self.maximumPending = maximumPending
        let thread = Thread { [self] in
            while true {
                wake.wait()
                Thread.sleep(forTimeInterval: gatherInterval.inSeconds)
                flush()
            }
        }
        thread.name = "faxd-log"
        thread.start()
    }

    /// Appends `line` (ending in a newline) to what the writer writes next.
    public func append(_ line: [UInt8]) {
        let (wasEmpty, isFull) = pending.withLock { pending in
            let wasEmpty = pending.isEmpty
            pending += line
            return (wasEmpty, pending.count >= maximumPending)
        }
        if isFull {
            flush()
        } else if wasEmpty {
            wake.signal()
        }
    }

    /// Writes what is pending, then `line`, before returning.
    public func writeNow(_ line: [UInt8]) {
        writing.withLock { _ in
            let bytes = pending.withLock { pending in
                var taken: [UInt8] = []
                swap(&taken, &pending)
                return taken
            }
            write(bytes)
            write(line)
        }
    }

    /// Writes what is pending before returning.
    public func flush() {
        writeNow([])
    }

    /// `bytes` with `write(2)`, whole (a pipe may take a long batch in parts); what the descriptor
    /// refuses is dropped, as a log line has nowhere else to go.
    private func write(_ bytes: [UInt8]) {
        bytes.withUnsafeBytes { buffer in
            guard let start = buffer.baseAddress else { return }
            var offset = 0
            while offset < buffer.count {
                let written = Glibc.write(descriptor, start + offset, buffer.count - offset)
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

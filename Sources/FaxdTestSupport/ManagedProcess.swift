import CTestSupport
public import Foundation
import Synchronization

/// A child process for end-to-end tests: stdout read line by line, stderr kept for failure messages,
/// terminated (SIGTERM, then SIGKILL) when the test is done with it.
public final class ManagedProcess: Sendable {
    private let child: Child
    private let stdinPipe: Pipe
    private let output = Output()

    /// A child started with `posix_spawn` and reaped by a thread of its own, in place of Foundation's
    /// `Process`: on Linux its `run()` copies 256 bytes of each `/proc/self/fd` entry's name, reading
    /// past the end of glibc's buffer, and crashed the test process now and then once it held some
    /// thousand descriptors (SIGSEGV in `Process.run()`, swift-corelibs-foundation#5472, fixed after
    /// Swift 6.3.1; it stopped CI once). The child closes every descriptor above 2 before it runs, so
    /// no sibling inherits another child's pipes.
    private final class Child: Sendable {
        let pid: pid_t
        let name: String
        let firstArgument: String
        /// Once reaped: the exit code, or the number of the signal that ended it.
        let exitStatus = Mutex<Int32?>(nil)

        init(_ executable: URL, _ arguments: [String], environment: [String: String], standard: (Int32, Int32, Int32)) throws {
            var actions = posix_spawn_file_actions_t()
            posix_spawn_file_actions_init(&actions)
            defer { posix_spawn_file_actions_destroy(&actions) }
            posix_spawn_file_actions_adddup2(&actions, standard.0, STDIN_FILENO)
            posix_spawn_file_actions_adddup2(&actions, standard.1, STDOUT_FILENO)
            posix_spawn_file_actions_adddup2(&actions, standard.2, STDERR_FILENO)
            faxd_spawn_file_actions_addclosefrom(&actions, 3)
            var attributes = posix_spawnattr_t()
            posix_spawnattr_init(&attributes)
            defer { posix_spawnattr_destroy(&attributes) }
            // Its own process group, as Foundation's `Process` did: a signal to the test's group stays there.
            posix_spawnattr_setflags(&attributes, Int16(POSIX_SPAWN_SETPGROUP))
            // argv[0] the whole path, as Foundation gave it: a venv's python finds its prefix from it.
            let argv = ([executable.path] + arguments).map { strdup($0) } + [nil]
            let envp = environment.map { strdup("\($0.key)=\($0.value)") } + [nil]
            defer { for pointer in argv + envp { free(pointer) } }
            var pid = pid_t()
            let result = posix_spawn(&pid, executable.path, &actions, &attributes, argv, envp)
            guard result == 0 else {
                throw ProcessFailure(description: "cannot start \(executable.path): \(String(cString: strerror(result)))")
            }
            self.pid = pid
            self.name = executable.lastPathComponent
            self.firstArgument = arguments.first ?? ""
            let reaper = Thread { [self] in
                var status: Int32 = 0
                while waitpid(self.pid, &status, 0) == -1 && errno == EINTR {}
                // WIFEXITED / WEXITSTATUS / WTERMSIG, which Swift does not import.
                let signal = status & 0x7f
                self.exitStatus.withLock { $0 = signal == 0 ? (status >> 8) & 0xff : signal }
            }
            reaper.name = "managed-process.wait"
            reaper.start()
        }

        var isRunning: Bool { exitStatus.withLock { $0 == nil } }
        var terminationStatus: Int32 { exitStatus.withLock { $0 ?? -1 } }
    }

    /// What the child wrote, filled by two reader threads.
    private final class Output: Sendable {
        let lines = Mutex<(buffer: [UInt8], lines: [String], closed: Bool)>(([], [], false))
        let stderrText = Mutex<(text: String, closed: Bool)>(("", false))

        func appendOut(_ data: Data) {
            lines.withLock { state in
                state.buffer.append(contentsOf: data)
                while let newline = state.buffer.firstIndex(of: UInt8(ascii: "\n")) {
                    state.lines.append(String(decoding: state.buffer[..<newline], as: UTF8.self))
                    state.buffer.removeSubrange(...newline)
                }
            }
        }
    }

    /// Starts `executable` with `arguments`; `environment` entries are added to this process's.
    public init(_ executable: URL, _ arguments: [String], environment: [String: String] = [:]) throws {
        let (stdinPipe, out, err) = (Pipe(), Pipe(), Pipe())
        child = try Child(
            executable,
            arguments,
            environment: ProcessInfo.processInfo.environment.merging(environment) { _, new in new },
            standard: (
                stdinPipe.fileHandleForReading.fileDescriptor, out.fileHandleForWriting.fileDescriptor,
                err.fileHandleForWriting.fileDescriptor
            )
        )
        // The child's ends, now its own: the reads below see the end of its output when it exits.
        try stdinPipe.fileHandleForReading.close()
        try out.fileHandleForWriting.close()
        try err.fileHandleForWriting.close()
        self.stdinPipe = stdinPipe
        // Blocking reads on threads of their own: the end of the stream is seen for certain, which
        // Foundation's readability handlers do not promise on Linux.
        let output = self.output
        Self.readUntilEnd(out.fileHandleForReading, name: "stdout") { data in
            if let data { output.appendOut(data) } else { output.lines.withLock { $0.closed = true } }
        }
        Self.readUntilEnd(err.fileHandleForReading, name: "stderr") { data in
            output.stderrText.withLock { state in
                if let data { state.text += String(decoding: data, as: UTF8.self) } else { state.closed = true }
            }
        }
    }

    /// Calls `deliver` with each chunk, then once with nil at the end of the stream.
    private static func readUntilEnd(_ handle: FileHandle, name: String, _ deliver: @escaping @Sendable (Data?) -> Void) {
        let thread = Thread {
            while true {
                let data = handle.availableData
                if data.isEmpty {
                    deliver(nil)
                    return
                }
                deliver(data)
            }
        }
        thread.name = "managed-process.\(name)"
        thread.start()
    }

    deinit {
        if child.isRunning { kill(child.pid, SIGTERM) }
    }

    /// Whether the process has not exited yet.
    public var isRunning: Bool { child.isRunning }

    /// The process's id.
    public var pid: Int32 { child.pid }

    /// What the process wrote to stderr so far.
    public var standardError: String { output.stderrText.withLock { $0.text } }

    /// Waits until stderr holds at least one complete line, or its end (it is read on a thread of its
    /// own, so a line the child has written may not have arrived yet).
    /// - Returns: what the process wrote to stderr so far.
    @discardableResult
    public func standardErrorLine(timeout: Duration = .seconds(10)) async throws -> String {
        try await Eventually.wait(for: "a line on stderr", timeout: timeout) {
            output.stderrText.withLock { $0.text.contains("\n") || $0.closed }
        }
        return standardError
    }

    /// Lines written to stdout so far.
    public var outputLines: [String] { output.lines.withLock { $0.lines } }

    /// Waits for the first `count` stdout lines.
    public func firstLines(_ count: Int, timeout: Duration = .seconds(30)) async throws -> [String] {
        try await Eventually.wait(for: "\(count) lines from \(child.name)", timeout: timeout) {
            output.lines.withLock { $0.lines.count >= count } || !child.isRunning
        }
        let got = outputLines
        guard got.count >= count else {
            throw ProcessFailure(
                description: "process exited with \(child.terminationStatus) before printing \(count) lines; stderr: \(standardError)"
            )
        }
        return Array(got.prefix(count))
    }

    /// Writes `data` to stdin and closes it.
    public func send(stdin data: Data) throws {
        try write(stdin: data)
        try stdinPipe.fileHandleForWriting.close()
    }

    /// Writes `data` to stdin, which stays open for more.
    public func write(stdin data: Data) throws {
        try stdinPipe.fileHandleForWriting.write(contentsOf: data)
    }

    /// Sends `signal` (SIGTERM by default) and waits for the exit. - Returns: the exit status.
    @discardableResult
    public func stop(signal: Int32 = SIGTERM, timeout: Duration = .seconds(30)) async throws -> Int32 {
        if child.isRunning { kill(child.pid, signal) }
        return try await waitForExit(timeout: timeout)
    }

    /// Waits for the process to exit on its own. - Returns: the exit status.
    public func waitForExit(timeout: Duration = .seconds(60)) async throws -> Int32 {
        do {
            try await Eventually.wait(for: "exit of \(child.name)", timeout: timeout) {
                !child.isRunning
            }
        } catch {
            kill(child.pid, SIGKILL)
            throw error
        }
        // Let the stdout handler see the end of the stream.
        try await Eventually.wait(
            for: "end of the output of \(child.name) \(child.firstArgument)",
            timeout: .seconds(10)
        ) { output.lines.withLock { $0.closed } && output.stderrText.withLock { $0.closed } }
        return child.terminationStatus
    }

    public struct ProcessFailure: Error, CustomStringConvertible {
        public let description: String
        public init(description: String) { self.description = description }
    }

    /// The `faxd` executable next to the test bundle (override with `FAXD_BINARY`).
    public static var faxdExecutable: URL {
        if let path = ProcessInfo.processInfo.environment["FAXD_BINARY"] { return URL(fileURLWithPath: path) }
        let directory = Bundle.main.bundleURL
        return directory.appendingPathComponent("faxd")
    }

    /// `kcat` from the PATH.
    public static var kcat: URL {
        for directory in (ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin").split(separator: ":") {
            let candidate = URL(fileURLWithPath: String(directory)).appendingPathComponent("kcat")
            if FileManager.default.isExecutableFile(atPath: candidate.path) { return candidate }
        }
        return URL(fileURLWithPath: "/usr/bin/kcat")
    }
}

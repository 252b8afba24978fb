public import Foundation
import Synchronization

/// A child process for end-to-end tests: stdout read line by line, stderr kept for failure messages,
/// terminated (SIGTERM, then SIGKILL) when the test is done with it.
public final class ManagedProcess: Sendable {
    private let process: Process
    private let stdinPipe: Pipe
    private let output = Output()

    /// Held while a child's pipes are made and it is spawned. Foundation closes in the child only the
    /// descriptors open when it starts building the spawn, so a sibling spawned at the same moment on
    /// another thread could inherit this child's pipes and the socket Foundation watches for its exit:
    /// the child's exit and the end of its output would then go unseen until the sibling exits.
    private static let spawning = Mutex(())

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
        let process = Process()
        process.executableURL = executable
        process.arguments = arguments
        process.environment = ProcessInfo.processInfo.environment.merging(environment) { _, new in new }
        let (stdinPipe, out, err) = try Self.spawning.withLock { _ in
            let pipes = (Pipe(), Pipe(), Pipe())
            process.standardInput = pipes.0
            process.standardOutput = pipes.1
            process.standardError = pipes.2
            try process.run()
            return pipes
        }
        self.process = process
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
        if process.isRunning { process.terminate() }
    }

    /// Whether the process has not exited yet.
    public var isRunning: Bool { process.isRunning }

    /// The process's id.
    public var pid: Int32 { process.processIdentifier }

    /// What the process wrote to stderr so far.
    public var standardError: String { output.stderrText.withLock { $0.text } }

    /// Waits until stderr holds at least one complete line (its handler runs on Foundation's
    /// threads, so text written just before exit can arrive after ``waitForExit(timeout:)``).
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
        try await Eventually.wait(for: "\(count) lines from \(process.executableURL?.lastPathComponent ?? "process")", timeout: timeout) {
            output.lines.withLock { $0.lines.count >= count } || !process.isRunning
        }
        let got = outputLines
        guard got.count >= count else {
            throw ProcessFailure(
                description: "process exited with \(process.terminationStatus) before printing \(count) lines; stderr: \(standardError)"
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
        if process.isRunning { kill(process.processIdentifier, signal) }
        return try await waitForExit(timeout: timeout)
    }

    /// Waits for the process to exit on its own. - Returns: the exit status.
    public func waitForExit(timeout: Duration = .seconds(60)) async throws -> Int32 {
        do {
            try await Eventually.wait(for: "exit of \(process.executableURL?.lastPathComponent ?? "process")", timeout: timeout) {
                !process.isRunning
            }
        } catch {
            kill(process.processIdentifier, SIGKILL)
            throw error
        }
        // Let the stdout handler see the end of the stream.
        try await Eventually.wait(
            for: "end of the output of \(process.executableURL?.lastPathComponent ?? "process") \(process.arguments?.first ?? "")",
            timeout: .seconds(10)
        ) { output.lines.withLock { $0.closed } && output.stderrText.withLock { $0.closed } }
        return process.terminationStatus
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

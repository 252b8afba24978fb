import Foundation
import Logging

/// Process-wide output set-up, done once by the executable (tests inject their own handlers).
enum CommandLogging {
    /// Bootstraps swift-log to standard error at `FAXD_LOG_LEVEL` (default `info`) and returns a logger.
    static func bootstrap(label: String) -> Logger {
        let level = ProcessInfo.processInfo.environment["FAXD_LOG_LEVEL"].flatMap(Logger.Level.init(rawValue:)) ?? .info
        LoggingSystem.bootstrap { label in
            var handler = StreamLogHandler.standardError(label: label)
            handler.logLevel = level
            return handler
        }
        return Logger(label: label)
    }

    /// Prints a line to standard output and flushes it at once (stdout is often a pipe to a script).
    static func printLine(_ line: String) {
        FileHandle.standardOutput.write(Data((line + "\n").utf8))
    }
}

import Foundation
import Logging

/// Process-wide output set-up, done once by the executable (tests inject their own handlers).
enum CommandLogging {
    /// Bootstraps swift-log to standard error at `FAXD_LOG_LEVEL` (default `info`), as JSON lines when
    /// `json` is true or `FAXD_LOG_FORMAT=json` (text when `FAXD_LOG_FORMAT=text`), and returns a logger.
    static func bootstrap(label: String, json: Bool = false) -> Logger {
        let environment = ProcessInfo.processInfo.environment
        let level = environment["FAXD_LOG_LEVEL"].flatMap(Logger.Level.init(rawValue:)) ?? .info
        let useJSON = environment["FAXD_LOG_FORMAT"].map { $0 == "json" } ?? json
        LoggingSystem.bootstrap { label in
            if useJSON {
                var handler = JSONLogHandler(label: label)
                handler.logLevel = level
                return handler
            }
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

import Foundation
import Testing

@testable import FaxdCore

@Suite struct BatchedLineWriterTests {
    /// A pipe whose read end does not block: what `read()` returns is what was written so far.
    final class Pipe {
        let readEnd: Int32
        let writeEnd: Int32

        init() throws {
            var ends: [Int32] = [0, 0]
            guard pipe(&ends) == 0 else { throw POSIXError(.EMFILE) }
            (readEnd, writeEnd) = (ends[0], ends[1])
            _ = fcntl(readEnd, F_SETFL, fcntl(readEnd, F_GETFL) | O_NONBLOCK)
        }

        deinit {
            close(readEnd)
            close(writeEnd)
        }

        func read() -> String {
            var bytes: [UInt8] = []
            var buffer = [UInt8](repeating: 0, count: 65_536)
            while true {
                let count = buffer.withUnsafeMutableBytes { Glibc.read(readEnd, $0.baseAddress, $0.count) }
                guard count > 0 else { break }
                bytes += buffer.prefix(count)
            }
            return String(decoding: bytes, as: UTF8.self)
        }
    }

    /// Lines appended from many threads at once come out whole and, per thread, in order; a line
    /// written now comes after everything appended before it.
    @Test func linesStayWholeAndInOrderAndALineWrittenNowComesLast() async throws {
        let pipe = try Pipe()
        // A minute's gathering: only the writes made while appending, and the last one, write.
        let writer = BatchedLineWriter(descriptor: pipe.writeEnd, gatherInterval: .seconds(60), maximumPending: 8_192)
        await withTaskGroup(of: Void.self) { group in
            for thread in 0..<4 {
                group.addTask {
                    for number in 0..<500 { writer.append(Array("t\(thread) \(number)\n".utf8)) }
                }
            }
        }
        writer.writeNow(Array("last\n".utf8))
        let lines = pipe.read().split(separator: "\n", omittingEmptySubsequences: false)
        #expect(lines.count == 2_002 && lines.last == "" && lines[2_000] == "last")
        for thread in 0..<4 {
            let numbers = lines.filter { $0.hasPrefix("t\(thread) ") }.map { Int($0.dropFirst(3)) }
            #expect(numbers == (0..<500).map { $0 }, "thread \(thread)'s lines, whole and in order")
        }
    }

    /// An appended line waits for the writer's thread, which writes it after `gatherInterval`,
    /// unless the bytes waiting reach `maximumPending`: then the appending line writes them.
    @Test func appendedLinesWaitForTheWriterUnlessTooManyWait() async throws {
        let pipe = try Pipe()
        let writer = BatchedLineWriter(descriptor: pipe.writeEnd, gatherInterval: .seconds(1), maximumPending: 64)
        writer.append(Array("first\n".utf8))
        #expect(pipe.read() == "", "written only after the gathering interval")
        var written = ""
        let deadline = ContinuousClock.now + .seconds(30)
        while written != "first\n", ContinuousClock.now < deadline {
            try await Task.sleep(for: .milliseconds(20))
            written += pipe.read()
        }
        #expect(written == "first\n", "the writer's thread wrote the line")

        let patient = try Pipe()
        let full = BatchedLineWriter(descriptor: patient.writeEnd, gatherInterval: .seconds(60), maximumPending: 64)
        full.append(Array(String(repeating: "a", count: 40).utf8) + [10])
        #expect(patient.read() == "")
        full.append(Array(String(repeating: "b", count: 40).utf8) + [10])
        #expect(patient.read() == String(repeating: "a", count: 40) + "\n" + String(repeating: "b", count: 40) + "\n")
        full.flush()
        #expect(patient.read() == "", "nothing was left")
    }
}

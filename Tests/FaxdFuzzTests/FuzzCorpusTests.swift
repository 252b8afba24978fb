import FaxdFuzzTargets
import Foundation
import Testing

/// Every fuzz target over its corpus in `Tests/FuzzCorpus/TARGET/` (the seeds and what `make fuzz`
/// kept): each input holds the target's properties, and no input crashes faxd's code.
@Suite struct FuzzCorpusTests {
    static let corpus = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().appendingPathComponent("FuzzCorpus")

    @Test(arguments: FuzzTarget.allCases)
    func everyInputOfTheCorpusHoldsTheTargetsProperties(_ target: FuzzTarget) throws {
        let directory = Self.corpus.appendingPathComponent(target.rawValue)
        let files = try FileManager.default.contentsOfDirectory(atPath: directory.path).sorted()
        #expect(files.count >= 3, "the \(target.rawValue) corpus has \(files.count) inputs")
        for file in files {
            let bytes = try Data(contentsOf: directory.appendingPathComponent(file))
            let violation = target.check(Array(bytes))
            #expect(violation == nil, "\(target.rawValue)/\(file): \(violation ?? "")")
        }
    }

    /// `make fuzz` runs every target and nothing else.
    @Test func theMakefileFuzzesEveryTarget() throws {
        let makefile = try String(
            contentsOf: Self.corpus.deletingLastPathComponent().deletingLastPathComponent().appendingPathComponent("Makefile"),
            encoding: .utf8
        )
        let line = try #require(makefile.split(separator: "\n").first { $0.hasPrefix("FUZZ_TARGETS := ") })
        #expect(line.dropFirst("FUZZ_TARGETS := ".count).split(separator: " ").map(String.init) == FuzzTarget.allCases.map(\.rawValue))
    }
}

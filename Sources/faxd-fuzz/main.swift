import FaxdFuzzTargets
import Foundation

#if FUZZING
import CFuzzerDriver
#endif

// `faxd-fuzz TARGET [libFuzzer flags] [corpus directories]`, built by `make fuzz` with
// `-sanitize=fuzzer,address -DFUZZING`: libFuzzer's loop over one target.
// Built plainly, `faxd-fuzz TARGET FILE…` runs each file through the target once (reproduce a finding
// without the sanitizers).

let usage = "usage: faxd-fuzz TARGET [ARGUMENTS…]; targets: " + FuzzTarget.allCases.map(\.rawValue).joined(separator: ", ")
var arguments = CommandLine.arguments
let named = arguments.count >= 2 ? FuzzTarget(rawValue: arguments[1]) : nil
// libFuzzer starts itself again for -merge, -fork and -jobs with its own flags only, without TARGET:
// those runs find it in the environment.
let inherited = ProcessInfo.processInfo.environment["FAXD_FUZZ_TARGET"].flatMap(FuzzTarget.init(rawValue:))
guard let target = named ?? inherited else {
    FileHandle.standardError.write(Data((usage + "\n").utf8))
    exit(2)
}
if named != nil { arguments.remove(at: 1) }
setenv("FAXD_FUZZ_TARGET", target.rawValue, 1)
nonisolated(unsafe) var selected = target

#if FUZZING
var argc = CInt(arguments.count)
var cArguments: [UnsafeMutablePointer<CChar>?] = arguments.map { strdup($0) } + [nil]
let status = cArguments.withUnsafeMutableBufferPointer { buffer -> CInt in
    var argv = buffer.baseAddress
    return LLVMFuzzerRunDriver(&argc, &argv) { data, size in
        selected.run(size == 0 ? [] : Array(UnsafeBufferPointer(start: data, count: size)))
        return 0
    }
}
exit(status)
#else
for path in arguments.dropFirst() {
    guard let bytes = FileManager.default.contents(atPath: path) else {
        FileHandle.standardError.write(Data("faxd-fuzz: cannot read \(path)\n".utf8))
        exit(1)
    }
    selected.run(Array(bytes))
    print("\(path): ok")
}
#endif

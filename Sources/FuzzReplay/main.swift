import FuzzHarnesses
import Foundation

// Runs a harness once over each file given (directories: every file in them, sorted), without
// libFuzzer: `make test` replays the seed corpora and the saved crash reproducers with it (a
// plain debug build, bounds checks on). A crash, trap or hang is the test failing.
//
//   llmdata-fuzz-replay HARNESS PATH...

let args = CommandLine.arguments.dropFirst()
guard let name = args.first, let harness = FuzzHarness(rawValue: name), args.count >= 2 else {
    let names = FuzzHarness.allCases.map(\.rawValue).joined(separator: "|")
    fputs("usage: llmdata-fuzz-replay \(names) FILE|DIR...\n", stderr)
    exit(2)
}
var files: [String] = []
let fm = FileManager.default
for p in args.dropFirst() {
    var isDir: ObjCBool = false
    guard fm.fileExists(atPath: p, isDirectory: &isDir) else {
        fputs("llmdata-fuzz-replay: \(p): no such file or directory\n", stderr)
        exit(2)
    }
    if isDir.boolValue {
        let names = (try? fm.contentsOfDirectory(atPath: p)) ?? []
        for n in names.sorted() where !n.hasPrefix(".") && !n.hasSuffix(".md") {
            var sub: ObjCBool = false
            if fm.fileExists(atPath: p + "/" + n, isDirectory: &sub), !sub.boolValue { files.append(p + "/" + n) }
        }
    } else {
        files.append(p)
    }
}
let start = Date()
for f in files {
    guard let d = fm.contents(atPath: f) else {
        fputs("llmdata-fuzz-replay: \(f): cannot read\n", stderr)
        exit(2)
    }
    if ProcessInfo.processInfo.environment["LLMDATA_FUZZ_VERBOSE"] != nil { fputs("\(harness.rawValue): \(f)\n", stderr) }
    [UInt8](d).withUnsafeBytes { harness.run($0) }
}
print("llmdata-fuzz-replay \(harness.rawValue): \(files.count) inputs, \(String(format: "%.2f", Date().timeIntervalSince(start))) s")

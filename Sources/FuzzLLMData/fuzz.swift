import FuzzHarnesses
import Foundation

// The libFuzzer entry points (docs/fuzzing.md). One binary for every harness: the harness is
// named by LLMDATA_FUZZ_HARNESS (scripts/fuzz.sh sets it). Built only by
//   LLMDATA_FUZZ=1 swift build -c debug --product llmdata-fuzz -Xswiftc -sanitize=fuzzer,address
// libFuzzer supplies `main`; this file has no top-level code.

nonisolated(unsafe) var harness: FuzzHarness = .records

@_cdecl("LLVMFuzzerInitialize")
public func fuzzInitialize(_ argc: UnsafeMutablePointer<CInt>, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>>) -> CInt {
    let name = ProcessInfo.processInfo.environment["LLMDATA_FUZZ_HARNESS"] ?? ""
    guard let h = FuzzHarness(rawValue: name) else {
        let names = FuzzHarness.allCases.map(\.rawValue).joined(separator: ", ")
        fputs("llmdata-fuzz: set LLMDATA_FUZZ_HARNESS to one of: \(names) (got \"\(name)\"); see scripts/fuzz.sh\n", stderr)
        exit(2)
    }
    harness = h
    return 0
}

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    harness.run(UnsafeRawBufferPointer(start: data, count: size))
    return 0
}

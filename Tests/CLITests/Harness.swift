import Foundation
import Testing

/// Runs the llmdata binary: $LLMDATA_BIN, else .build/debug/llmdata under the repository root.
enum CLI {
    static let repoRoot: URL = {
        var u = URL(fileURLWithPath: #filePath)
        for _ in 0..<3 { u.deleteLastPathComponent() }
        return u
    }()

    static let binary: String = {
        if let b = ProcessInfo.processInfo.environment["LLMDATA_BIN"], FileManager.default.isExecutableFile(atPath: b) { return b }
        for p in [".build/debug/llmdata", ".build/release/llmdata"] {
            let path = repoRoot.appendingPathComponent(p).path
            if FileManager.default.isExecutableFile(atPath: path) { return path }
        }
        return repoRoot.appendingPathComponent(".build/debug/llmdata").path
    }()

    struct Result {
        var status: Int32
        var stdout: Data
        var stderr: String
        var out: String { String(decoding: stdout, as: UTF8.self) }
        var lines: [String] { out.split(separator: "\n", omittingEmptySubsequences: true).map(String.init) }
    }

    @discardableResult
    /// `pauseAfter`: write that many bytes of `stdin`, wait 0.2 s, then the rest (a pipe that
    /// delivers a stream in pieces).
    static func run(_ args: [String], stdin: Data? = nil, pauseAfter: Int? = nil, cwd: URL? = nil, env: [String: String] = [:]) throws -> Result {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: binary)
        p.arguments = args
        if let cwd { p.currentDirectoryURL = cwd }
        if !env.isEmpty { p.environment = ProcessInfo.processInfo.environment.merging(env) { $1 } }
        let outPipe = Pipe(), errPipe = Pipe(), inPipe = Pipe()
        p.standardOutput = outPipe
        p.standardError = errPipe
        p.standardInput = inPipe
        try p.run()
        let writer = Thread {
            if let stdin {
                if let k = pauseAfter, k < stdin.count {
                    try? inPipe.fileHandleForWriting.write(contentsOf: stdin.prefix(k))
                    Thread.sleep(forTimeInterval: 0.2)
                    try? inPipe.fileHandleForWriting.write(contentsOf: stdin.dropFirst(k))
                } else {
                    try? inPipe.fileHandleForWriting.write(contentsOf: stdin)
                }
            }
            try? inPipe.fileHandleForWriting.close()
        }
        writer.start()
        final class Box: @unchecked Sendable { var data = Data() }
        let errBox = Box()
        let errDone = DispatchSemaphore(value: 0)
        Thread {
            errBox.data = errPipe.fileHandleForReading.readDataToEndOfFile()
            errDone.signal()
        }.start()
        let out = outPipe.fileHandleForReading.readDataToEndOfFile()
        p.waitUntilExit()
        errDone.wait()
        return Result(status: p.terminationStatus, stdout: out, stderr: String(decoding: errBox.data, as: UTF8.self))
    }

    /// `data` compressed by the zstd command-line tool (installed by `make deps`).
    static func zstd(_ data: Data) throws -> Data {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/usr/bin/zstd")
        p.arguments = ["-q", "-c"]
        let inPipe = Pipe(), outPipe = Pipe()
        p.standardInput = inPipe
        p.standardOutput = outPipe
        try p.run()
        Thread {
            try? inPipe.fileHandleForWriting.write(contentsOf: data)
            try? inPipe.fileHandleForWriting.close()
        }.start()
        let out = outPipe.fileHandleForReading.readDataToEndOfFile()
        p.waitUntilExit()
        return out
    }

    /// SHA-256 of a file as coreutils' sha256sum computes it (an independent check of llmdata's).
    static func sha256(_ path: String) throws -> String {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/usr/bin/sha256sum")
        p.arguments = [path]
        let out = Pipe()
        p.standardOutput = out
        try p.run()
        let d = out.fileHandleForReading.readDataToEndOfFile()
        p.waitUntilExit()
        return String(String(decoding: d, as: UTF8.self).prefix(64))
    }

    /// A fresh temporary directory.
    static func tempDir() throws -> URL {
        let u = FileManager.default.temporaryDirectory.appendingPathComponent("llmdata-test-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: u, withIntermediateDirectories: true)
        return u
    }

    static func json(_ line: String) -> [String: Any] {
        (try? JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any]) ?? [:]
    }

    static func fixture(_ path: String) -> String { repoRoot.appendingPathComponent("fixtures/\(path)").path }
}

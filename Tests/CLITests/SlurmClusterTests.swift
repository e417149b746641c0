import Foundation
import Testing

/// The one-node Slurm cluster `make test` starts for the suite (scripts/slurm/up.sh) and names by
/// LLMDATA_SLURM_CONF: a job array submitted to it runs every task.
@Suite("slurm cluster")
struct SlurmClusterTests {
    static let conf = ProcessInfo.processInfo.environment["LLMDATA_SLURM_CONF"]

    /// Runs a Slurm client command (sbatch, squeue, ...) against the test cluster.
    static func slurm(_ args: [String]) throws -> CLI.Result {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        p.arguments = args
        p.environment = ProcessInfo.processInfo.environment.merging(["SLURM_CONF": conf ?? ""]) { $1 }
        let outPipe = Pipe(), errPipe = Pipe()
        p.standardOutput = outPipe
        p.standardError = errPipe
        p.standardInput = FileHandle.nullDevice
        try p.run()
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
        return CLI.Result(status: p.terminationStatus, stdout: out, stderr: String(decoding: errBox.data, as: UTF8.self))
    }

    @Test("a three-task job array submitted with sbatch runs every task on the test cluster",
          .enabled(if: conf != nil, "needs LLMDATA_SLURM_CONF (set by make test)"))
    func jobArrayRuns() async throws {
        let dir = try CLI.tempDir()
        defer { try? FileManager.default.removeItem(at: dir) }
        let sub = try Self.slurm([
            "sbatch", "--parsable", "--array=0-2", "--job-name=llmdata-test",
            "--chdir=\(dir.path)", "--output=\(dir.path)/slurm-%A_%a.out",
            "--wrap", "echo $SLURM_ARRAY_TASK_ID > task-$SLURM_ARRAY_TASK_ID.txt",
        ])
        try #require(sub.status == 0, "sbatch: \(sub.stderr)")
        // --parsable prints "jobid" or "jobid;cluster"
        let job = String(sub.out.trimmingCharacters(in: .whitespacesAndNewlines).split(separator: ";").first ?? "")
        try #require(Int(job) != nil, "sbatch printed \(sub.out)")

        // squeue lists the array until its last task has left the queue.
        // the suite's other Slurm tests share the node's two CPUs: the array may wait its turn
        let deadline = Date().addingTimeInterval(600)
        var queued = ""
        repeat {
            let q = try Self.slurm(["squeue", "--noheader", "--jobs=\(job)", "--format=%i %T"])
            queued = q.out.trimmingCharacters(in: .whitespacesAndNewlines)
            if q.status == 0 && queued.isEmpty { break }
            try await Task.sleep(for: .milliseconds(500))
        } while Date() < deadline
        #expect(queued.isEmpty, "job \(job) still queued after 600 s: \(queued)")

        for task in 0..<3 {
            let file = dir.appendingPathComponent("task-\(task).txt").path
            let log = (try? String(contentsOfFile: dir.appendingPathComponent("slurm-\(job)_\(task).out").path, encoding: .utf8)) ?? "no job output"
            #expect((try? String(contentsOfFile: file, encoding: .utf8)) == "\(task)\n", "\(file); task \(task) wrote: \(log)")
        }
    }
}

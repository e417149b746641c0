import CZstd
import Foundation

/// Data that ships beside the binary (models/: FineWeb-2 configurations, jieba's dictionary, the
/// Thai word list, spaCy's rules): where each directory is looked for, and zstd-compressed files.
public enum ShippedData {
    /// The directories looked in, in order, for `models/NAME`: `$ENV` alone when it is set;
    /// `NAME/` beside the executable; `<exe>/../share/llmdata/NAME`; the source tree's
    /// `models/NAME` (what `swift test`, `make demo` and `.build/release/llmdata` in a checkout use).
    public static func candidateDirectories(_ name: String, env: String) -> [String] {
        if let v = ProcessInfo.processInfo.environment[env], !v.isEmpty { return [v] }
        var dirs: [String] = []
        var buf = [CChar](repeating: 0, count: 4096)
        let n = readlink("/proc/self/exe", &buf, buf.count - 1)
        if let exe = n > 0 ? String(cString: buf) : CommandLine.arguments.first {
            let dir = (exe as NSString).deletingLastPathComponent
            dirs.append(dir + "/" + name)
            dirs.append((dir as NSString).deletingLastPathComponent + "/share/llmdata/" + name)
        }
        let src = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        dirs.append(src.appendingPathComponent("models/" + name).path)
        return dirs
    }

    /// The contents of a zstd file that records its size (one frame, under 1 GiB).
    public static func readZstd(_ path: String) throws -> [UInt8] {
        guard let data = FileManager.default.contents(atPath: path) else { throw LLMDataError("cannot read \(path)") }
        return try data.withUnsafeBytes { (src: UnsafeRawBufferPointer) -> [UInt8] in
            let size = ZSTD_getFrameContentSize(src.baseAddress, src.count)
            guard size != ZSTD_CONTENTSIZE_ERROR, size != ZSTD_CONTENTSIZE_UNKNOWN, size < 1 << 30 else {
                throw LLMDataError("\(path): not a zstd frame with its size")
            }
            var out = [UInt8](repeating: 0, count: Int(size))
            let n = out.withUnsafeMutableBytes { ZSTD_decompress($0.baseAddress, $0.count, src.baseAddress, src.count) }
            guard ZSTD_isError(n) == 0, n == Int(size) else {
                throw LLMDataError("\(path): " + String(cString: ZSTD_getErrorName(n)))
            }
            return out
        }
    }

    /// `load()`, or its error printed as the stage's and exit 2: for shipped data first needed
    /// where the caller cannot throw (a worker's per-document path).
    public static func orExit<T>(stage: String, _ load: () throws -> T) -> T {
        do { return try load() } catch {
            let e = error as? LLMDataError
            Diagnostics.error(stage: stage, e?.message ?? "\(error)", hint: e?.hint)
            exit(ExitCode.fatal.rawValue)
        }
    }
}

import Foundation

/// `p` made absolute against the working directory and lexically normalized.
public func absolutePath(_ p: String) -> String {
    let a = p.hasPrefix("/") ? p : (FileManager.default.currentDirectoryPath as NSString).appendingPathComponent(p)
    return (a as NSString).standardizingPath
}

/// realpath of a path that may not exist yet (its nearest existing parent, resolved).
public func realPathOfNew(_ p: String) -> String {
    let a = absolutePath(p)
    if let r = realpath(a, nil) {
        defer { free(r) }
        return String(cString: r)
    }
    let parent = (a as NSString).deletingLastPathComponent
    if parent == a { return a }
    return (realPathOfNew(parent) as NSString).appendingPathComponent((a as NSString).lastPathComponent)
}

/// A JSON object read from a file, or nil.
public func parseJSONFile(_ path: String) -> [String: Any]? {
    guard let d = FileManager.default.contents(atPath: path) else { return nil }
    return (try? JSONSerialization.jsonObject(with: d)) as? [String: Any]
}

/// Writes a small file atomically (a temporary name, fsync, rename).
public func writeAtomically(_ bytes: [UInt8], to path: String) throws {
    let s = try FDSink(path: path)
    do {
        try s.write(bytes)
        try s.finish()
    } catch {
        s.abort()
        throw error
    }
}

/// A word for the shell: as it is when it holds only safe characters, else in single quotes
/// (`it's` → `'it'\''s'`). The report's command line and the Slurm scripts use it.
public func shellQuote(_ s: String) -> String {
    if !s.isEmpty && s.allSatisfy({ $0.isLetter || $0.isNumber || "-_./=:,+@%".contains($0) }) { return s }
    return "'" + s.replacingOccurrences(of: "'", with: "'\\''") + "'"
}

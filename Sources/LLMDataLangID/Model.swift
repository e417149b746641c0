import Foundation

/// Errors loading or training a model.
public struct LangIDError: Error, CustomStringConvertible {
    public let description: String
    public init(_ d: String) { description = d }
}

/// The language model: per hashed n-gram bucket, one quantized log-probability per language
/// (multinomial naive Bayes). Format: docs/langid.md ("Model file format").
public final class LangIDModel: @unchecked Sendable {
    public static let magic: [UInt8] = Array("LLMLID01".utf8)
    public static let headerBytes = 48
    public static let codeBytes = 4

    /// Language codes in table order. Languages of one script group are contiguous.
    public let languages: [String]
    public let bucketBits: Int
    /// The languages the model can answer (sub-model columns such as zh_h folded into zh).
    public var reportedLanguages: [String] {
        var seen = Set<String>(), out: [String] = []
        for l in languages where seen.insert(reportedLanguage(l)).inserted { out.append(reportedLanguage(l)) }
        return out
    }
    /// log P(bucket | lang) ≈ floor + step * q.
    public let floor: Float
    public let step: Float
    /// Calibration: logits = step * Σq / (temperature * nFeatures^lengthExponent).
    public let temperature: Float
    public let lengthExponent: Float
    /// (1 << bucketBits) rows of `languages.count` bytes.
    let table: UnsafeMutablePointer<UInt8>
    let tableCount: Int
    /// The table with rows padded to `laneCount` bytes (nil when there are more languages).
    let padded: UnsafeMutableRawPointer?
    static let laneCount = 32
    /// Per script group, the half-open range of language indices (empty when none).
    let groupRange: [Range<Int>]

    /// The table is `table[tableOffset...]`: copied once (into `table`), then once more row by row
    /// into `padded`.
    init(languages: [String], bucketBits: Int, floor: Float, step: Float, temperature: Float,
         lengthExponent: Float, table bytes: [UInt8], tableOffset: Int = 0) throws {
        guard bucketBits >= 8 && bucketBits <= 24 else { throw LangIDError("bucket bits \(bucketBits) out of range 8...24") }
        let tableCount = bytes.count - tableOffset
        guard tableCount == (1 << bucketBits) * languages.count else { throw LangIDError("table size mismatch") }
        self.languages = languages
        self.bucketBits = bucketBits
        self.floor = floor
        self.step = step
        self.temperature = temperature
        self.lengthExponent = lengthExponent
        self.tableCount = tableCount
        let t = UnsafeMutablePointer<UInt8>.allocate(capacity: max(1, tableCount))
        bytes.withUnsafeBytes { b in UnsafeMutableRawPointer(t).copyMemory(from: b.baseAddress! + tableOffset, byteCount: tableCount) }
        self.table = t
        if languages.count <= LangIDModel.laneCount {
            // Rows padded to 32 bytes, 32-byte aligned: one vector load per feature. Each row is
            // one copy and one fill of its padding (a byte loop over the 2 MiB table was ~3 ms of
            // every run's start-up).
            let rows = 1 << bucketBits, n = languages.count, lanes = LangIDModel.laneCount
            let pp = UnsafeMutableRawPointer.allocate(byteCount: rows * lanes, alignment: 64)
            for r in 0..<rows {
                let row = pp + r * lanes
                row.copyMemory(from: t + r * n, byteCount: n)
                (row + n).initializeMemory(as: UInt8.self, repeating: 0, count: lanes - n)
            }
            self.padded = pp
        } else {
            self.padded = nil
        }
        var ranges = [Range<Int>](repeating: 0..<0, count: ScriptGroup.allCases.count)
        for g in ScriptGroup.allCases {
            let idx = languages.indices.filter { languageScriptGroup[languages[$0]] == g }
            if let lo = idx.first, let hi = idx.last {
                guard idx.count == hi - lo + 1 else { throw LangIDError("languages of one script are not contiguous") }
                ranges[Int(g.rawValue)] = lo..<(hi + 1)
            }
        }
        self.groupRange = ranges
    }

    deinit {
        table.deallocate()
        padded?.deallocate()
    }

    // MARK: file format

    public func serialized() -> [UInt8] {
        var out = LangIDModel.magic
        func u32(_ v: UInt32) { withUnsafeBytes(of: v.littleEndian) { out.append(contentsOf: $0) } }
        func f32(_ v: Float) { u32(v.bitPattern) }
        u32(1)  // format version
        u32(UInt32(languages.count))
        u32(UInt32(bucketBits))
        u32(0)  // reserved
        f32(floor); f32(step); f32(temperature); f32(lengthExponent)
        u32(0); u32(0)  // reserved
        for l in languages {
            var code = Array(l.utf8.prefix(LangIDModel.codeBytes))
            while code.count < LangIDModel.codeBytes { code.append(0) }
            out.append(contentsOf: code)
        }
        out.append(contentsOf: UnsafeBufferPointer(start: table, count: tableCount))
        return out
    }

    public convenience init(bytes: [UInt8]) throws {
        guard bytes.count >= LangIDModel.headerBytes, Array(bytes[0..<8]) == LangIDModel.magic else {
            throw LangIDError("not a langid model (bad magic; expected LLMLID01)")
        }
        func u32(_ o: Int) -> UInt32 { UInt32(bytes[o]) | UInt32(bytes[o + 1]) << 8 | UInt32(bytes[o + 2]) << 16 | UInt32(bytes[o + 3]) << 24 }
        func f32(_ o: Int) -> Float { Float(bitPattern: u32(o)) }
        guard u32(8) == 1 else { throw LangIDError("unsupported model format version \(u32(8))") }
        let n = Int(u32(12)), bits = Int(u32(16))
        guard n >= 1 && n <= 255, bits >= 8 && bits <= 24 else { throw LangIDError("bad model header") }
        let codesEnd = LangIDModel.headerBytes + n * LangIDModel.codeBytes
        let expected = codesEnd + (1 << bits) * n
        guard bytes.count == expected else { throw LangIDError("model is \(bytes.count) bytes, header says \(expected)") }
        var langs: [String] = []
        for i in 0..<n {
            let o = LangIDModel.headerBytes + i * LangIDModel.codeBytes
            let code = bytes[o..<(o + LangIDModel.codeBytes)].prefix { $0 != 0 }
            langs.append(String(decoding: code, as: UTF8.self))
            guard languageScriptGroup[langs[i]] != nil else { throw LangIDError("model language '\(langs[i])' has no known script") }
        }
        let fl = f32(24), st = f32(28), te = f32(32), le = f32(36)
        try self.init(languages: langs, bucketBits: bits, floor: fl, step: st, temperature: te, lengthExponent: le,
                      table: bytes, tableOffset: codesEnd)
    }

    /// Reads the file straight into one array (no Data and no copies of its 2 MiB).
    public convenience init(path: String) throws {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { throw LangIDError("\(path): cannot read model: \(String(cString: strerror(errno)))") }
        defer { close(fd) }
        var st = stat()
        guard fstat(fd, &st) == 0 else { throw LangIDError("\(path): cannot read model: \(String(cString: strerror(errno)))") }
        let size = Int(st.st_size)
        var failure: String?
        let bytes = [UInt8](unsafeUninitializedCapacity: size) { buf, count in
            while count < size {
                let n = read(fd, buf.baseAddress! + count, size - count)
                if n < 0 && errno == EINTR { continue }
                if n <= 0 {
                    failure = n < 0 ? String(cString: strerror(errno)) : "file shorter than its size"
                    return
                }
                count += n
            }
        }
        if let failure { throw LangIDError("\(path): cannot read model: \(failure)") }
        try self.init(bytes: bytes)
    }

    public func write(to path: String) throws {
        let bytes = serialized()
        guard FileManager.default.createFile(atPath: path, contents: Data(bytes)) else {
            throw LangIDError("\(path): cannot write model")
        }
    }

    // MARK: locating the shipped model

    public static let fileName = "langid.model"

    /// Where the shipped model is looked for, in order: $LLMDATA_LANGID_MODEL; beside the
    /// executable; <exe>/../share/llmdata/; the source tree this library was built from
    /// (models/langid.model — covers `swift test`, `swift run` and `make demo` in a checkout).
    public static func candidatePaths() -> [String] {
        var paths: [String] = []
        if let env = ProcessInfo.processInfo.environment["LLMDATA_LANGID_MODEL"], !env.isEmpty { paths.append(env) }
        if let exe = executablePath() {
            let dir = (exe as NSString).deletingLastPathComponent
            paths.append(dir + "/" + fileName)
            paths.append(((dir as NSString).deletingLastPathComponent) + "/share/llmdata/" + fileName)
        }
        let src = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        paths.append(src.appendingPathComponent("models/" + fileName).path)
        return paths
    }

    static func executablePath() -> String? {
        var buf = [CChar](repeating: 0, count: 4096)
        let n = readlink("/proc/self/exe", &buf, buf.count - 1)
        if n > 0 { return String(cString: buf) }
        return CommandLine.arguments.first
    }

    nonisolated(unsafe) private static var cached: LangIDModel?
    private static let lock = NSLock()

    /// The file `shipped()` loads, if one is found.
    public static var shippedPath: String? {
        candidatePaths().first { FileManager.default.fileExists(atPath: $0) }
    }

    /// The shipped model (loaded once per process).
    public static func shipped() throws -> LangIDModel {
        lock.lock(); defer { lock.unlock() }
        if let m = cached { return m }
        if let env = ProcessInfo.processInfo.environment["LLMDATA_LANGID_MODEL"], !env.isEmpty,
           !FileManager.default.fileExists(atPath: env) {
            throw LangIDError("LLMDATA_LANGID_MODEL=\(env): no such file")
        }
        let paths = candidatePaths()
        for p in paths where FileManager.default.fileExists(atPath: p) {
            let m = try LangIDModel(path: p)
            cached = m
            return m
        }
        throw LangIDError("langid model not found; looked in: " + paths.joined(separator: ", ") + " (set LLMDATA_LANGID_MODEL or pass --model)")
    }
}

import Foundation
import LLMDataCore

/// The scripts the identifier tells apart by code point (a fast subset of ICU's Script property
/// for the languages the model covers).
enum Script: Int, CaseIterable {
    case other = 0, latin, cyrillic, greek, arabic, hebrew, devanagari, thai, hangul, kana, han

    @inline(__always) static func of(_ cp: UInt32) -> Script {
        switch cp {
        case 0x41...0x5A, 0x61...0x7A, 0xC0...0x24F, 0x1E00...0x1EFF: return .latin
        case 0x400...0x52F: return .cyrillic
        case 0x370...0x3FF, 0x1F00...0x1FFF: return .greek
        case 0x600...0x6FF, 0x750...0x77F, 0xFB50...0xFDFF, 0xFE70...0xFEFF: return .arabic
        case 0x590...0x5FF: return .hebrew
        case 0x900...0x97F: return .devanagari
        case 0xE00...0xE7F: return .thai
        case 0x1100...0x11FF, 0x3130...0x318F, 0xAC00...0xD7AF: return .hangul
        case 0x3040...0x30FF, 0x31F0...0x31FF, 0xFF66...0xFF9F: return .kana
        case 0x3400...0x4DBF, 0x4E00...0x9FFF, 0xF900...0xFAFF, 0x20000...0x2FFFF: return .han
        default: return .other
        }
    }
}

/// A multinomial naive Bayes model over hashed character n-grams (1-3 characters, words padded
/// with a space on both sides), one table per language, quantized to Int16 (docs/langid.md).
public final class LangIDModel: @unchecked Sendable {
    public static let magic = Array("LLMDLID1".utf8)
    /// Fixed-point scale of the stored log-probabilities.
    public static let scale = 8.0
    public let languages: [String]
    public let buckets: Int
    /// Softmax temperature fitted on held-out training lines.
    public var temperature: Float
    /// log P(feature bucket | language) × 8 as int8 (clamped at -128), bucket-major (bucket b,
    /// language l at b·L + l): a 30-language, 32,768-bucket table is 983,040 bytes and stays in L2.
    let table: [Int8]
    /// The script of each language's text (its candidate group).
    let scripts: [Script]

    init(languages: [String], buckets: Int, temperature: Float, table: [Int8], scripts: [Script]) {
        self.languages = languages
        self.buckets = buckets
        self.temperature = temperature
        self.table = table
        self.scripts = scripts
    }

    /// File layout (little-endian): magic "LLMDLID1", u32 version 1, u32 languages L, u32 buckets B,
    /// f32 temperature, L × (4-byte code, NUL padded; u32 script), then B×L int8
    /// log-probabilities×8, bucket-major.
    public func write(to path: String) throws {
        var out = Self.magic
        func u32(_ v: UInt32) { withUnsafeBytes(of: v.littleEndian) { out.append(contentsOf: $0) } }
        u32(2)
        u32(UInt32(languages.count))
        u32(UInt32(buckets))
        withUnsafeBytes(of: temperature.bitPattern.littleEndian) { out.append(contentsOf: $0) }
        for (i, l) in languages.enumerated() {
            var code = Array(l.utf8.prefix(4))
            while code.count < 4 { code.append(0) }
            out.append(contentsOf: code)
            u32(UInt32(scripts[i].rawValue))
        }
        table.withUnsafeBytes { out.append(contentsOf: $0) }
        let sink = try FDSink(path: path)
        try sink.write(out)
        try sink.finish()
    }

    public static func load(path: String) throws -> LangIDModel {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw LLMDataError("\(path): cannot read the langid model", hint: "pass --model FILE or set LLMDATA_LANGID_MODEL")
        }
        let b = Array(data)
        func bad(_ why: String) -> LLMDataError { LLMDataError("\(path): not a langid model (\(why))") }
        guard b.count >= 24, Array(b[0..<8]) == magic else { throw bad("magic") }
        func u32(_ o: Int) -> UInt32 { b.withUnsafeBytes { UInt32(littleEndian: $0.loadUnaligned(fromByteOffset: o, as: UInt32.self)) } }
        guard u32(8) == 2 else { throw bad("version") }
        let n = Int(u32(12)), buckets = Int(u32(16))
        let temperature = Float(bitPattern: u32(20))
        var p = 24
        var langs: [String] = [], scripts: [Script] = []
        for _ in 0..<n {
            langs.append(String(decoding: b[p..<(p + 4)].prefix { $0 != 0 }, as: UTF8.self))
            scripts.append(Script(rawValue: Int(u32(p + 4))) ?? .other)
            p += 8
        }
        guard b.count == p + n * buckets else { throw bad("size") }
        var table = [Int8](repeating: 0, count: n * buckets)
        table.withUnsafeMutableBytes { dst in
            b.withUnsafeBytes { src in dst.copyMemory(from: UnsafeRawBufferPointer(rebasing: src[p..<(p + n * buckets)])) }
        }
        return LangIDModel(languages: langs, buckets: buckets, temperature: temperature, table: table, scripts: scripts)
    }
}

/// Feature extraction shared by training and inference: letters only (URLs, e-mail addresses,
/// digits and punctuation are skipped), ASCII lower-cased, words padded with a space; n-grams of
/// 1 to 3 characters hashed into `buckets`.
struct Features {
    var hashes: [Int32] = []
    var scriptLetters = [Int](repeating: 0, count: Script.allCases.count)
    var chars: [UInt32] = []

    mutating func extract(_ t: UnsafeBufferPointer<UInt8>, buckets: Int) {
        hashes.removeAll(keepingCapacity: true)
        for i in scriptLetters.indices { scriptLetters[i] = 0 }
        chars.removeAll(keepingCapacity: true)
        chars.append(0x20)
        var i = 0
        let n = t.count
        var lastSpace = true
        while i < n {
            let b = t[i]
            // skip URLs and e-mail-like tokens entirely
            if (b == UInt8(ascii: "h") || b == UInt8(ascii: "w")) && (lastSpace || i == 0) && skipURL(t, &i) { continue }
            var cp: UInt32
            var len = 1
            if b < 0x80 { cp = UInt32(b) }
            else if b < 0xE0 { cp = UInt32(b & 0x1F) << 6 | UInt32(t[i + 1] & 0x3F); len = 2 }
            else if b < 0xF0 { cp = UInt32(b & 0x0F) << 12 | UInt32(t[i + 1] & 0x3F) << 6 | UInt32(t[i + 2] & 0x3F); len = 3 }
            else { cp = UInt32(b & 0x07) << 18 | UInt32(t[i + 1] & 0x3F) << 12 | UInt32(t[i + 2] & 0x3F) << 6 | UInt32(t[i + 3] & 0x3F); len = 4 }
            i += len
            let s = Script.of(cp)
            let letter = s != .other || (cp >= 0x80 && isOtherLetter(cp))
            if letter {
                if cp >= 0x41 && cp <= 0x5A { cp |= 0x20 }
                scriptLetters[s.rawValue] += 1
                chars.append(cp)
                lastSpace = false
            } else if !lastSpace {
                chars.append(0x20)
                lastSpace = true
            }
        }
        if !lastSpace { chars.append(0x20) }
        // n-grams; spaces only as word boundaries
        let c = chars
        for k in 0..<c.count {
            var h: UInt64 = 0xCBF2_9CE4_8422_2325
            for m in 0..<3 where k + m < c.count {
                if m > 0 && c[k + m] == 0x20 && c[k + m - 1] == 0x20 { break }
                h = (h ^ UInt64(c[k + m])) &* 0x100_0000_01B3
                if m == 0 && c[k] == 0x20 { continue }  // a lone space is not a feature
                let mixed = (h ^ UInt64(m + 1) &* 0x9E37_79B9_7F4A_7C15) ^ (h >> 29)
                hashes.append(Int32(truncatingIfNeeded: Int(truncatingIfNeeded: mixed) & (buckets - 1)))
            }
        }
    }

    /// Letters of scripts the model does not name (e.g. Ethiopic) still split words.
    @inline(__always) func isOtherLetter(_ cp: UInt32) -> Bool { false }

    func skipURL(_ t: UnsafeBufferPointer<UInt8>, _ i: inout Int) -> Bool {
        let rest = t.count - i
        func has(_ s: StaticString) -> Bool {
            let n = s.utf8CodeUnitCount
            guard rest >= n else { return false }
            for k in 0..<n where t[i + k] | 0x20 != s.utf8Start[k] | 0x20 { return false }
            return true
        }
        guard has("http://") || has("https://") || has("www.") else { return false }
        while i < t.count && t[i] > 0x20 && t[i] < 0x80 { i += 1 }
        return true
    }
}

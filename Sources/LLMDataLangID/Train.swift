import Dispatch
import Foundation

/// Training settings. The defaults produce the shipped model (docs/langid.md).
public struct LangIDTrainOptions: Sendable {
    public var bucketBits = 16
    /// Lidstone smoothing added to every bucket count.
    public var smoothing = 0.5
    /// Every `heldOutEvery`-th line of a train file (index % n == n-1) is held out for calibration.
    public var heldOutEvery = 20
    /// At most this many held-out lines per language are used for calibration.
    public var calibrationPerLanguage = 400
    public var threads = 2
    public init() {}
}

public struct LangIDTrainReport: Sendable {
    public var languages: [String] = []
    public var trainLines: [String: Int] = [:]
    public var trainBytes: [String: Int] = [:]
    public var heldOutAccuracy: [String: Double] = [:]
    public var temperature: Float = 1
    public var lengthExponent: Float = 0
    public var calibrationNLL = 0.0
}

public enum LangIDTrainer {
    /// Trains on DIR/train/<lang>.txt (one segment per line). Deterministic for a given input.
    public static func train(dataDir: String, options: LangIDTrainOptions = LangIDTrainOptions(),
                             logger: (String) -> Void = { _ in }) throws -> (LangIDModel, LangIDTrainReport) {
        let trainDir = dataDir + "/train"
        guard let names = try? FileManager.default.contentsOfDirectory(atPath: trainDir) else {
            throw LangIDError("\(trainDir): cannot list directory")
        }
        let files = names.filter { $0.hasSuffix(".txt") }.map { String($0.dropLast(4)) }
        for l in files where languageScriptGroup[l] == nil || l.hasSuffix("_h") {
            throw LangIDError("\(trainDir)/\(l).txt: language '\(l)' has no known script group")
        }
        // zh and ja also train a Han-only column each (see ScriptGroup.hanOnly).
        var langs = files
        if files.contains("zh") && files.contains("ja") { langs += [hanOnlyColumn("zh"), hanOnlyColumn("ja")] }
        guard !langs.isEmpty else { throw LangIDError("\(trainDir): no <lang>.txt files") }
        langs.sort { (languageScriptGroup[$0]!.rawValue, $0) < (languageScriptGroup[$1]!.rawValue, $1) }
        let nL = langs.count
        let B = 1 << options.bucketBits

        // Count features per language (in parallel; each language has its own array).
        final class Slot: @unchecked Sendable {
            var counts: [UInt32] = []
            var total = 0
            var lines = 0
            var bytes = 0
            var heldOut: [[UInt8]] = []
            var error: String?
        }
        let slots = (0..<nL).map { _ in Slot() }
        let next = NSLock()
        var cursor = 0
        DispatchQueue.concurrentPerform(iterations: max(1, options.threads)) { _ in
            while true {
                next.lock(); let li = cursor; cursor += 1; next.unlock()
                if li >= nL { return }
                let lang = langs[li]
                let slot = slots[li]
                let group = languageScriptGroup[lang]!
                let path = "\(trainDir)/\(trainingLanguage(lang)).txt"
                guard let data = FileManager.default.contents(atPath: path) else { slot.error = "\(path): cannot read"; continue }
                var counts = [UInt32](repeating: 0, count: group.isModelled ? B : 0)
                let buf = UnsafeMutablePointer<UInt32>.allocate(capacity: 16)
                defer { buf.deallocate() }
                var total = 0
                var lineNo = 0
                data.withUnsafeBytes { raw in
                    let all = raw.bindMemory(to: UInt8.self)
                    var start = 0
                    let n = all.count
                    counts.withUnsafeMutableBufferPointer { cb in
                        let cp = cb.baseAddress
                        while start < n {
                            var end = start
                            while end < n && all[end] != 0x0A { end += 1 }
                            let line = UnsafeBufferPointer(rebasing: all[start..<end])
                            if lineNo % options.heldOutEvery == options.heldOutEvery - 1 {
                                if slot.heldOut.count < options.calibrationPerLanguage { slot.heldOut.append(Array(line)) }
                            } else {
                                slot.lines += 1
                                slot.bytes += line.count + 1
                                if group.isModelled, let cp = cp {
                                    var fx = FeatureExtractor(bucketBits: options.bucketBits, group: group)
                                    var sc = LetterScanner(line, CharTables.shared)
                                    var nb = 0
                                    while true {
                                        let (c, k) = sc.next()
                                        if k == 255 { break }
                                        fx.feed(c, k, buf, &nb)
                                        for t in 0..<nb { cp[Int(buf[t])] &+= 1 }
                                        total += nb
                                        nb = 0
                                    }
                                    fx.endWord(buf, &nb)
                                    for t in 0..<nb { cp[Int(buf[t])] &+= 1 }
                                    total += nb
                                }
                            }
                            lineNo += 1
                            start = end + 1
                        }
                    }
                }
                slot.counts = counts
                slot.total = total
            }
        }
        if let e = slots.compactMap({ $0.error }).first { throw LangIDError(e) }

        // Log-probabilities, quantized to one byte on a common scale.
        let a = options.smoothing
        var lo = 0.0, hi = -Double.infinity
        for s in slots where !s.counts.isEmpty {
            let denom = Double(s.total) + a * Double(B)
            lo = min(lo, log(a / denom))
            var m: UInt32 = 0
            for c in s.counts where c > m { m = c }
            hi = max(hi, log((Double(m) + a) / denom))
        }
        if hi == -Double.infinity { hi = 0; lo = -1 }
        let step = (hi - lo) / 255
        var table = [UInt8](repeating: 0, count: B * nL)
        for (li, s) in slots.enumerated() where !s.counts.isEmpty {
            let denom = Double(s.total) + a * Double(B)
            for b in 0..<B {
                let lp = log((Double(s.counts[b]) + a) / denom)
                let q = ((lp - lo) / step).rounded()
                table[b * nL + li] = UInt8(max(0, min(255, q)))
            }
        }
        var model = try LangIDModel(languages: langs, bucketBits: options.bucketBits, floor: Float(lo), step: Float(step),
                                    temperature: 1, lengthExponent: 0, table: table)

        // Calibration on the held-out lines: temperature and length exponent by grid search.
        struct Sample { var group: ScriptGroup; var truth: Int; var acc: [Int64]; var n: Int }
        var samples: [Sample] = []
        let ident = LanguageIdentifier(model: model)
        var report = LangIDTrainReport()
        report.languages = langs
        for (li, s) in slots.enumerated() {
            let lang = langs[li]
            report.trainLines[lang] = s.lines
            report.trainBytes[lang] = s.bytes
            let group = languageScriptGroup[lang]!
            guard group.isModelled else { continue }
            let range = model.groupRange[Int(group.rawValue)]
            var correct = 0, seen = 0
            for line in s.heldOut {
                let n = line.withUnsafeBufferPointer { ident.accumulate($0, group: group) }
                if n == 0 { continue }
                let acc = (0..<range.count).map { ident.acc[$0] }
                samples.append(Sample(group: group, truth: li - range.lowerBound, acc: acc, n: n))
                seen += 1
                if acc.indices.max(by: { acc[$0] < acc[$1] }) == li - range.lowerBound { correct += 1 }
            }
            report.heldOutAccuracy[lang] = seen == 0 ? 0 : Double(correct) / Double(seen)
        }
        var best = (nll: Double.infinity, t: 1.0, e: 0.0)
        for e in [0.0, 0.25, 0.5, 0.75, 1.0] {
            for ti in 0...80 {
                let lt: Double = -4.0 + Double(ti) * 8.0 / 80.0
                let t: Double = pow(10.0, lt)
                var nll = 0.0
                for smp in samples {
                    let len: Double = pow(Double(smp.n), e)
                    let scale: Double = step / (t * len)
                    let mx: Int64 = smp.acc.max()!
                    var sum = 0.0
                    for v in smp.acc { sum += exp(Double(v - mx) * scale) }
                    let truthLogit: Double = Double(smp.acc[smp.truth] - mx) * scale
                    nll -= truthLogit - log(sum)
                }
                nll /= Double(max(1, samples.count))
                if nll < best.nll { best = (nll, t, e) }
            }
        }
        logger("calibration: \(samples.count) held-out lines, temperature \(best.t), length exponent \(best.e), NLL \(best.nll)")
        model = try LangIDModel(languages: langs, bucketBits: options.bucketBits, floor: Float(lo), step: Float(step),
                                temperature: Float(best.t), lengthExponent: Float(best.e), table: table)
        report.temperature = Float(best.t)
        report.lengthExponent = Float(best.e)
        report.calibrationNLL = best.nll
        return (model, report)
    }
}

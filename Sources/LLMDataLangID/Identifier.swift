import CTextKernels
import Foundation
import LLMDataCore

/// Identifies the language of a text (docs/langid.md): by script for the languages that have one
/// of their own (Hangul, Thai, Greek, Hebrew, Devanagari; kana for Japanese), by the naive Bayes
/// model among the languages of the text's dominant script otherwise. One per thread.
public final class LangIdentifier {
    public let model: LangIDModel
    var features = Features()
    var scores: [Double]
    var sums: [Int32]

    public init(model: LangIDModel) {
        self.model = model
        scores = [Double](repeating: 0, count: model.languages.count)
        sums = [Int32](repeating: 0, count: model.languages.count)
    }

    public struct Result {
        public var language: String
        public var score: Double
        /// All candidates with their probabilities, best first.
        public var ranked: [(String, Double)]
    }

    /// Weighted letter counts: a CJK character or a Hangul syllable carries about a word, so it
    /// counts three Latin letters (Latin brand names inside Chinese do not outvote the Chinese).
    static func weights(_ counts: [Int]) -> [Double] {
        var w = counts.map(Double.init)
        for s in [Script.han, .kana, .hangul] { w[s.rawValue] *= 3 }
        w[Script.other.rawValue] = 0
        return w
    }

    public func identify(_ text: UnsafeBufferPointer<UInt8>) -> Result {
        features.extract(text, buckets: model.buckets)
        let w = Self.weights(features.scriptLetters)
        let total = w.reduce(0, +)
        if total < 1 { return Result(language: "und", score: 0, ranked: []) }
        // the dominant script, with kana and Han together as CJK
        var groups = w
        let cjk = w[Script.han.rawValue] + w[Script.kana.rawValue]
        groups[Script.han.rawValue] = cjk
        groups[Script.kana.rawValue] = 0
        let dominant = Script(rawValue: groups.indices.max { groups[$0] < groups[$1] }!)!
        let share = groups[dominant.rawValue] / total
        func only(_ code: String) -> Result {
            Result(language: code, score: share, ranked: [(code, share)])
        }
        switch dominant {
        case .hangul: return only("ko")
        case .thai: return only("th")
        case .greek: return only("el")
        case .hebrew: return only("he")
        case .devanagari: return only("hi")
        case .han:
            // Japanese prose is a third or more kana; when kana reach 20% of the CJK characters
            // the text is Japanese. Below that (Han-heavy Japanese, or Chinese quoting a few
            // kana) the n-gram model decides between zh and ja.
            let kana = Double(features.scriptLetters[Script.kana.rawValue])
            let han = Double(features.scriptLetters[Script.han.rawValue])
            if kana >= 2 && kana >= 0.2 * (kana + han) { return only("ja") }
        default: break
        }
        let script: Script = dominant == .han ? .han : dominant
        let candidates = model.languages.indices.filter { model.scripts[$0] == script || (script == .han && model.scripts[$0] == .kana) }
        if candidates.isEmpty { return Result(language: "und", score: 0, ranked: []) }
        if candidates.count == 1 { return only(model.languages[candidates[0]]) }
        // bucket-major table: one cache line holds a bucket's values for every language
        let nl = model.languages.count
        var best = -Double.infinity
        for l in 0..<nl { sums[l] = 0 }
        model.table.withUnsafeBufferPointer { tab in
            sums.withUnsafeMutableBufferPointer { acc in
                features.hashes.withUnsafeBufferPointer { hs in
                    llm_lid_accumulate(tab.baseAddress, nl, hs.baseAddress, hs.count, acc.baseAddress)
                }
            }
        }
        for l in candidates {
            scores[l] = Double(sums[l]) / LangIDModel.scale
            best = max(best, scores[l])
        }
        // calibrated softmax over the candidates
        let tau = Double(model.temperature)
        var z = 0.0
        var probs: [(String, Double)] = []
        for l in candidates {
            let e = exp((scores[l] - best) * tau)
            z += e
            probs.append((model.languages[l], e))
        }
        probs = probs.map { ($0.0, $0.1 / z * share) }.sorted { $0.1 > $1.1 || ($0.1 == $1.1 && $0.0 < $1.0) }
        return Result(language: probs[0].0, score: probs[0].1, ranked: probs)
    }

    public func identify(_ s: String) -> Result {
        var s = s
        return s.withUTF8 { identify($0) }
    }
}

/// `llmdata langid train`: counts features per language from DIR/train/<lang>.txt (one segment
/// per line; every 20th line is held out to fit the softmax temperature), writes the model.
public enum LangIDTrainer {
    public static func train(dataDir: String, buckets: Int = 1 << 15, output: String, report: (String) -> Void) throws -> LangIDModel {
        let trainDir = (dataDir as NSString).appendingPathComponent("train")
        let files = try FileManager.default.contentsOfDirectory(atPath: trainDir).filter { $0.hasSuffix(".txt") }.sorted()
        if files.isEmpty { throw LLMDataError("\(trainDir): no <lang>.txt files", hint: "build them with ../shared/data/build-langid-data.sh") }
        let langs = files.map { String($0.dropLast(4)) }
        var table = [Int8](repeating: 0, count: langs.count * buckets)
        var scripts: [Script] = []
        var heldOut: [[String]] = []
        var f = Features()
        for (li, name) in files.enumerated() {
            let path = (trainDir as NSString).appendingPathComponent(name)
            guard let data = FileManager.default.contents(atPath: path) else { throw LLMDataError("\(path): cannot read") }
            var counts = [Double](repeating: 0, count: buckets)
            var scriptTotals = [Int](repeating: 0, count: Script.allCases.count)
            var held: [String] = []
            var n = 0
            let repaired = UTF8Repair.repair(Array(data))
            repaired.withUnsafeBufferPointer { all in
                var start = 0
                var lineNo = 0
                for i in 0...all.count where i == all.count || all[i] == 0x0A {
                    let line = UnsafeBufferPointer(rebasing: all[start..<i])
                    start = i + 1
                    lineNo += 1
                    if line.isEmpty { continue }
                    if lineNo % 20 == 0 {
                        held.append(String(decoding: line, as: UTF8.self))
                        continue
                    }
                    f.extract(line, buckets: buckets)
                    for h in f.hashes { counts[Int(h)] += 1 }
                    n += f.hashes.count
                    for s in scriptTotals.indices { scriptTotals[s] += f.scriptLetters[s] }
                }
            }
            let w = LangIdentifier.weights(scriptTotals)
            var dominant = Script(rawValue: w.indices.max { w[$0] < w[$1] }!)!
            if dominant == .kana { dominant = .han }
            scripts.append(dominant)
            let alpha = 0.1
            let denom = log(Double(n) + alpha * Double(buckets))
            for h in 0..<buckets {
                let v = (log(counts[h] + alpha) - denom) * LangIDModel.scale
                table[h * langs.count + li] = Int8(max(-128, min(127, v.rounded())))
            }
            heldOut.append(held)
            report("\(langs[li]): \(n) features, script \(dominant), \(held.count) held-out lines")
        }
        let model = LangIDModel(languages: langs, buckets: buckets, temperature: 1, table: table, scripts: scripts)
        // temperature: minimize log loss of the held-out lines of languages that share a script
        let id = LangIdentifier(model: model)
        var bestTau: Float = 1, bestLoss = Double.infinity
        for tau: Float in [0.02, 0.05, 0.1, 0.2, 0.3, 0.5, 0.7, 1.0, 1.5] {
            model.temperature = tau
            var loss = 0.0, count = 0
            for (li, held) in heldOut.enumerated() {
                for line in held.prefix(400) {
                    let r = id.identify(line)
                    if r.ranked.count < 2 { continue }
                    let p = r.ranked.first { $0.0 == langs[li] }?.1 ?? 1e-6
                    loss -= log(max(p, 1e-6))
                    count += 1
                }
            }
            let mean = loss / Double(max(count, 1))
            report(String(format: "temperature %.2f: held-out log loss %.4f", tau, mean))
            if mean < bestLoss { bestLoss = mean; bestTau = tau }
        }
        model.temperature = bestTau
        try model.write(to: output)
        return model
    }
}

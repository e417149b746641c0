import ArgumentParser
import Foundation
import LLMDataCore
import Yams

// The YAML recipe that `llmdata run` executes (docs/recipe.md): inputs, top-level reader options and
// a list of stages, each a subcommand with its flags. Loading checks everything that can be checked
// without reading the inputs, so a bad recipe fails before any work, with the recipe's file and line.

/// A recipe that cannot be loaded; `description` is the whole message, `FILE:LINE: ...`.
struct RecipeError: Error, CustomStringConvertible {
    let description: String
}

/// One stage of a recipe.
struct RecipeStage {
    /// The stage name: normalize, langid, filter, dedup or tokenize.
    let name: String
    /// The recipe line the stage starts on (1-based).
    let line: Int
    /// The stage's options as they reach the subcommand, sorted by key: one entry per occurrence of
    /// the flag (a repeatable option such as filter's `set` has one entry per value, in recipe
    /// order), "true" for a flag that is on (a flag that is off is left out, as in `argv`), a
    /// list comma-joined, relative file paths resolved against the recipe's folder.
    let options: [(key: String, value: String)]
    /// The subcommand's flags, in the order of `options`, without inputs, reader options and `-o`.
    /// A value that starts with `-` is passed as `--key=value`, any other as `--key value`.
    let argv: [String]
    /// The parsed and validated subcommand (`Normalize`, `LangIDRun`, `Filter`, `Dedup.Run` or
    /// `Tokenize`), parsed from `Recipe.readerArgv + argv` (for tokenize, followed by
    /// `-o Recipe.outputPlaceholder`: the run owns the output). Its inputs are empty.
    let command: any ParsableCommand
    /// The recipe line of each option key.
    let optionLines: [String: Int]

    /// `FILE:LINE: STAGE: message` on the line of the first option the message names (else the
    /// stage's line), for errors found when the stage is built.
    func error(_ message: String, recipe: String) -> RecipeError {
        var line = self.line
        var first: String.Index?
        for (k, l) in optionLines {
            for needle in ["--" + k, k + ":", k + " ", k] {
                if let r = message.range(of: needle), first == nil || r.lowerBound < first! {
                    first = r.lowerBound
                    line = l
                    break
                }
            }
        }
        return RecipeError(description: "\(recipe):\(line): \(name): \(message)")
    }
}

/// A loaded and validated recipe.
struct Recipe {
    /// The recipe path, as given to `load`.
    let path: String
    /// The recipe file's text.
    let text: String
    /// Input files and directories, relative ones resolved against the recipe's folder (absolute
    /// when the recipe path is absolute, else relative to the working directory). Each exists.
    let inputs: [String]
    /// The top-level reader options, sorted by key, normalized as `RecipeStage.options`.
    let reader: [(key: String, value: String)]
    /// The reader options as flags, e.g. ["--text-field", "content"].
    let readerArgv: [String]
    /// The stages in recipe order; tokenize, if present, is the last.
    let stages: [RecipeStage]
    /// The canonical JSON form (docs/recipe.md): sorted keys, no whitespace.
    /// `{"inputs":[...],"reader":{...},"stages":[{"options":{...},"stage":"filter"},...]}`. Option
    /// values are strings as written in the recipe, `true` for a flag that is on, a list of strings
    /// for a repeatable option; inputs and file paths are absolute (lexically normalized), so the
    /// form does not depend on the working directory. Recipes that differ only in YAML style (flow
    /// or block, quoting, key order, a `false` flag or none) have the same canonical form.
    var canonical: String { canonicalJSON }

    /// The value given to tokenize's `-o` when its stage is parsed.
    static let outputPlaceholder = "<recipe-output>"

    private let canonicalJSON: String

    fileprivate init(path: String, text: String, inputs: [String], reader: [(key: String, value: String)],
                     readerArgv: [String], stages: [RecipeStage], canonicalJSON: String) {
        self.path = path
        self.text = text
        self.inputs = inputs
        self.reader = reader
        self.readerArgv = readerArgv
        self.stages = stages
        self.canonicalJSON = canonicalJSON
    }

    /// Reads, parses and validates the recipe at `path`; throws `RecipeError`.
    static func load(path: String) throws -> Recipe {
        try RecipeLoader(path: path).load()
    }
}

// MARK: - Stages and their options

/// A subcommand that a recipe stage runs.
private struct RecipeStageKind {
    let name: String
    let type: any ParsableCommand.Type
    /// Options whose relative values are resolved against the recipe's folder.
    let pathOptions: [String]
    /// Parsing needs `-o` (the run owns the output).
    let needsOutput: Bool
    /// The other subcommands of the CLI command of this name, which are not stages.
    let otherSubcommands: [String]

    static let all: [RecipeStageKind] = [
        RecipeStageKind(name: "normalize", type: Normalize.self, pathOptions: [], needsOutput: false, otherSubcommands: []),
        RecipeStageKind(name: "langid", type: LangIDRun.self, pathOptions: ["model"], needsOutput: false,
                        otherSubcommands: subcommands(of: LangID.self)),
        RecipeStageKind(name: "filter", type: Filter.self, pathOptions: ["config"], needsOutput: false, otherSubcommands: []),
        RecipeStageKind(name: "dedup", type: Dedup.Run.self, pathOptions: [], needsOutput: false,
                        otherSubcommands: subcommands(of: Dedup.self)),
        RecipeStageKind(name: "tokenize", type: Tokenize.self, pathOptions: ["tokenizer", "tiktoken"], needsOutput: true,
                        otherSubcommands: []),
    ]

    static var names: String { all.map(\.name).joined(separator: ", ") }

    private static func subcommands(of type: any ParsableCommand.Type) -> [String] {
        type.configuration.subcommands.map { $0._commandName }
    }
}

/// A long option or flag of a subcommand, as ArgumentParser describes the type.
private struct RecipeOptionInfo {
    let name: String
    let isFlag: Bool
    let isRepeating: Bool
    let isHidden: Bool

    /// The long options and flags of `type`, read from ArgumentParser's JSON description of it
    /// (the `--experimental-dump-help` document), so the table follows the subcommand's declaration.
    /// ArgumentParser's own help and version flags are left out.
    static func read(_ type: any ParsableArguments.Type) throws -> [RecipeOptionInfo] {
        struct Dump: Decodable {
            struct Name: Decodable { let kind: String; let name: String }
            struct Argument: Decodable {
                let kind: String
                let shouldDisplay: Bool
                let isRepeating: Bool
                let names: [Name]?
            }
            struct Command: Decodable { let arguments: [Argument]? }
            let command: Command
        }
        let dump: Dump
        do {
            dump = try JSONDecoder().decode(Dump.self, from: Data(type._dumpHelp().utf8))
        } catch {
            throw RecipeError(description: "internal error: cannot read the options of \(type) from ArgumentParser's description of it: \(error)")
        }
        var out: [RecipeOptionInfo] = []
        for a in dump.command.arguments ?? [] where a.kind == "flag" || a.kind == "option" {
            for n in a.names ?? [] where n.kind == "long" && n.name != "help" && n.name != "version" {
                out.append(RecipeOptionInfo(name: n.name, isFlag: a.kind == "flag", isRepeating: a.isRepeating, isHidden: !a.shouldDisplay))
            }
        }
        if out.isEmpty {
            throw RecipeError(description: "internal error: ArgumentParser's description of \(type) lists no options")
        }
        return out
    }
}

/// Options of the run, refused in a stage. The run's flag groups are read from their declarations;
/// the names listed here cover the rest (tokenize's own output flags, and flags the run may add).
private let runOwnedOptions: Set<String> = [
    "output", "o", "rejected", "stats", "jobs", "quiet", "overwrite", "compression", "max-warnings", "strict",
    "progress", "discard",
]

/// InputOptions' task flags (`TaskShare`): command-line only, refused in a recipe.
private let taskShareOptions: Set<String> = ["shard-index", "shard-count"]

// MARK: - Loader

private struct RecipeLoader {
    let path: String
    /// The recipe's folder as a prefix for relative paths: "" (the working directory), "/" or "dir/".
    let base: String

    init(path: String) {
        self.path = path
        if let slash = path.lastIndex(of: "/") {
            let dir = String(path[...slash])
            base = dir == "./" ? "" : dir
        } else {
            base = ""
        }
    }

    func error(_ line: Int?, _ message: String) -> RecipeError {
        RecipeError(description: line.map { "\(path):\($0): \(message)" } ?? "\(path): \(message)")
    }

    func resolve(_ p: String) -> String {
        p.hasPrefix("/") ? p : base + p
    }

    /// An absolute, lexically normalized form of a resolved path (for the canonical form, so that it
    /// does not depend on the working directory); a trailing / is kept.
    func absolute(_ p: String) -> String {
        let full = p.hasPrefix("/") ? p : FileManager.default.currentDirectoryPath + "/" + p
        var parts: [Substring] = []
        for c in full.split(separator: "/") {
            if c == "." { continue }
            if c == ".." { if !parts.isEmpty { parts.removeLast() }; continue }
            parts.append(c)
        }
        let trail = p.hasSuffix("/") || p.hasSuffix("/.") || p == "." ? "/" : ""
        return parts.isEmpty ? "/" : "/" + parts.joined(separator: "/") + trail
    }

    /// " (resolved against the recipe's folder: X)" when resolving changed the path.
    func resolvedNote(_ given: String, _ resolved: String) -> String {
        given == resolved ? "" : " (resolved against the recipe's folder: \(resolved))"
    }

    // MARK: Reading

    func load() throws -> Recipe {
        var isDir: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDir) else {
            throw error(nil, "no such recipe file")
        }
        if isDir.boolValue { throw error(nil, "is a directory, not a recipe file") }
        guard let data = FileManager.default.contents(atPath: path) else { throw error(nil, "cannot read the recipe file") }
        guard let text = String(data: data, encoding: .utf8) else { throw error(nil, "the recipe is not UTF-8 text") }

        let root: Node?
        do {
            // No implicit typing: true/false and null are told apart here, by YAML 1.2's rules
            // (YAML 1.1's yes/no/on/off would turn the language code `no` into false).
            root = try Yams.compose(yaml: text, Resolver.basic)
        } catch let e as YamlError {
            throw yamlError(e, text: text)
        }
        guard let root, !isNull(root) else {
            throw error(1, "the recipe is empty (it needs inputs and stages)")
        }
        guard case .mapping(let top) = root else {
            throw error(line(root), "expected a mapping with inputs and stages at the top level, got \(describe(root))")
        }

        // The reader options are InputOptions' (text-field, format, txt-mode, repair-utf8, ...),
        // except the task flags, which split a command's inputs and are not a recipe's.
        let readerTable = try RecipeOptionInfo.read(InputOptions.self).filter { !taskShareOptions.contains($0.name) }
        let topKeys = ["inputs", "stages"] + readerTable.map(\.name)

        var inputsNode: Node?, stagesNode: Node?
        var readerEntries: [Entry] = []
        for (k, v, kLine) in try entries(of: top, what: "key") {
            switch k {
            case "inputs": inputsNode = v
            case "stages": stagesNode = v
            case _ where taskShareOptions.contains(k):
                throw error(kLine, "'\(k)' is not a recipe key: --shard-index/--shard-count split the inputs of one stage command (llmdata normalize, filter, …) into tasks")
            default:
                guard let info = readerTable.first(where: { $0.name == k }) else {
                    throw error(kLine, "unknown key '\(k)' (keys: \(topKeys.joined(separator: ", ")))")
                }
                let vals = try values(of: v, option: info, context: k, keyLine: kLine, resolvePaths: false)
                readerEntries.append(Entry(key: k, values: vals, line: kLine, info: info, isPath: false))
            }
        }
        let topLine = line(root)
        guard let inputsNode else {
            throw error(topLine, "missing 'inputs' (the files or directories to read, relative to the recipe's folder)")
        }
        guard let stagesNode else {
            throw error(topLine, "missing 'stages' (a list of stages: \(RecipeStageKind.names))")
        }

        // Reader options: checked by InputOptions itself.
        readerEntries.sort { $0.key < $1.key }
        let readerArgv = argv(readerEntries)
        do {
            _ = try InputOptions.parse(readerArgv)
        } catch {
            throw parseError(InputOptions.message(for: error), entries: readerEntries, fallback: topLine, prefix: "")
        }

        let inputs = try readInputs(inputsNode)
        let stages = try readStages(stagesNode, readerArgv: readerArgv)

        let canonicalJSON = sortedObject([
            "inputs": .array(inputs.map { .string(absolute($0)) }),
            "reader": options(readerEntries),
            "stages": .array(stages.map { s in sortedObject(["stage": .string(s.stage.name), "options": options(s.entries)]) }),
        ]).serialized
        return Recipe(path: path, text: text, inputs: inputs, reader: pairs(readerEntries), readerArgv: readerArgv,
                      stages: stages.map(\.stage), canonicalJSON: canonicalJSON)
    }

    func readInputs(_ node: Node) throws -> [String] {
        let items: [Node]
        switch node {
        case .scalar: items = [node]
        case .sequence(let s): items = Array(s)
        case .mapping: items = [node]
        }
        if isNull(node) || items.isEmpty {
            throw error(line(node), "inputs: empty (name the files or directories to read)")
        }
        var out: [String] = []
        for item in items {
            guard case .scalar(let s) = item, !isNull(item) else {
                throw error(line(item), "inputs: expected a path or a list of paths, got \(describe(item))")
            }
            let given = s.string
            if given.isEmpty { throw error(line(item), "inputs: empty path") }
            if given == "-" {
                throw error(line(item), "inputs: '-' (standard input) cannot be a recipe input; name files or directories")
            }
            let p = resolve(given)
            if !FileManager.default.fileExists(atPath: p) {
                throw error(line(item), "inputs: \(given): no such file or directory\(resolvedNote(given, p))")
            }
            out.append(p)
        }
        return out
    }

    // MARK: Stages

    func readStages(_ node: Node, readerArgv: [String]) throws -> [(stage: RecipeStage, entries: [Entry])] {
        guard case .sequence(let seq) = node else {
            if isNull(node) { throw error(line(node), "stages: empty (list at least one stage: \(RecipeStageKind.names))") }
            throw error(line(node), "stages: expected a list of stages (\(RecipeStageKind.names)), got \(describe(node))")
        }
        if seq.isEmpty { throw error(line(node), "stages: empty (list at least one stage: \(RecipeStageKind.names))") }

        let tables = try Dictionary(uniqueKeysWithValues: RecipeStageKind.all.map { ($0.name, try RecipeOptionInfo.read($0.type)) })
        let readerNames = Set(try RecipeOptionInfo.read(InputOptions.self).map(\.name))
        let runNames = runOwnedOptions.union(try RecipeOptionInfo.read(RunFlags.self).map(\.name))
        // A path option named here that the subcommand does not have is a stale table: fail loudly.
        for kind in RecipeStageKind.all {
            for p in kind.pathOptions where !(tables[kind.name] ?? []).contains(where: { $0.name == p }) {
                throw RecipeError(description: "internal error: \(kind.name) has no option '\(p)' (recipe path options are out of date)")
            }
        }

        var out: [(stage: RecipeStage, entries: [Entry])] = []
        var tokenizeSeen = false
        for item in seq {
            let stageLine = line(item)
            // The stage name and its options node.
            let name: String
            var optionsNode: Node?
            switch item {
            case .scalar(let s) where !isNull(item):
                name = s.string
            case .mapping(let m) where m.count == 1:
                guard case .scalar(let k) = m.keys[0], !isNull(m.keys[0]) else {
                    throw error(stageLine, "expected a stage name (\(RecipeStageKind.names)), got \(describe(m.keys[0]))")
                }
                name = k.string
                optionsNode = m.values[0]
            case .mapping(let m) where m.count > 1:
                let keys = m.keys.compactMap(\.string).map { "'\($0)'" }.joined(separator: ", ")
                throw error(stageLine, "a stage is a mapping with one key, the stage name; this one has \(m.count) (\(keys)): indent the options under the stage name")
            default:
                throw error(stageLine, "expected a stage such as 'filter: {rules: [c4]}' (stages: \(RecipeStageKind.names)), got \(describe(item))")
            }

            guard let kind = RecipeStageKind.all.first(where: { $0.name == name }) else {
                if let msg = notAStage(name) { throw error(stageLine, msg) }
                throw error(stageLine, "unknown stage '\(name)' (stages: \(RecipeStageKind.names))")
            }
            if tokenizeSeen {
                throw error(stageLine, "stage '\(name)' cannot come after tokenize (tokenize writes token shards and must be the last stage)")
            }
            if kind.name == "tokenize" { tokenizeSeen = true }

            // The options mapping.
            var optionPairs: [(key: String, value: Node, line: Int)] = []
            if let optionsNode, !isNull(optionsNode) {
                switch optionsNode {
                case .mapping(let m):
                    optionPairs = try entries(of: m, what: "option", context: "\(name): ")
                case .scalar(let s) where kind.otherSubcommands.contains(s.string):
                    throw error(line(optionsNode), notAStage("\(name) \(s.string)") ?? "")
                default:
                    throw error(line(optionsNode), "\(name): expected a mapping of options such as {key: value}, got \(describe(optionsNode))")
                }
            }

            let table = tables[kind.name] ?? []
            let valid = table.filter { !$0.isHidden && !readerNames.contains($0.name) && !runNames.contains($0.name) }
            var entries: [Entry] = []
            for (k, v, kLine) in optionPairs {
                if taskShareOptions.contains(k) {
                    throw error(kLine, "\(name): '\(k)' is not a recipe option: --shard-index/--shard-count split the inputs of one stage command into tasks")
                }
                if k == "inputs" {
                    throw error(kLine, "\(name): 'inputs' is not a stage option: the recipe's top-level 'inputs' are read by the first stage")
                }
                if readerNames.contains(k) {
                    throw error(kLine, "\(name): '\(k)' is a reader option: set it at the recipe's top level, where it applies to the inputs")
                }
                if runNames.contains(k) {
                    throw error(kLine, "\(name): '\(k)' is set by the run, not by a stage (the run owns outputs, rejected records, statistics, workers and reporting)")
                }
                if table.contains(where: { $0.name == k && $0.isHidden }) {
                    throw error(kLine, "\(name): '\(k)' is a hidden benchmark flag and cannot be used in a recipe")
                }
                guard let info = valid.first(where: { $0.name == k }) else {
                    let names = Set(valid.map(\.name)).sorted().joined(separator: ", ")
                    throw error(kLine, "\(name): unknown option '\(k)' (options: \(names))")
                }
                let resolvePaths = kind.pathOptions.contains(k)
                let vals = try values(of: v, option: info, context: "\(name): \(k)", keyLine: kLine, resolvePaths: resolvePaths)
                if resolvePaths {
                    for p in vals where !FileManager.default.fileExists(atPath: p) {
                        let given = scalarStrings(v).first { resolve($0) == p } ?? p
                        throw error(kLine, "\(name): \(k): \(given): no such file or directory\(resolvedNote(given, p))")
                    }
                }
                entries.append(Entry(key: k, values: vals, line: kLine, info: info, isPath: resolvePaths))
            }
            entries.sort { $0.key < $1.key }   // stable: a repeatable option keeps its order

            let stageArgv = argv(entries)
            let parseArgv = readerArgv + stageArgv + (kind.needsOutput ? ["-o", Recipe.outputPlaceholder] : [])
            let command: any ParsableCommand
            do {
                command = try kind.type.parse(parseArgv)
            } catch {
                throw parseError(kind.type.message(for: error), entries: entries, fallback: stageLine, prefix: "\(name): ")
            }

            out.append((RecipeStage(name: name, line: stageLine, options: pairs(entries), argv: stageArgv, command: command,
                                    optionLines: Dictionary(entries.map { ($0.key, $0.line) }, uniquingKeysWith: { a, _ in a })), entries))
        }
        return out
    }

    /// The message for a stage name that names a subcommand that is not a stage (`dedup signatures`).
    func notAStage(_ name: String) -> String? {
        let words = name.split(whereSeparator: { !($0.isLetter || $0.isNumber) }).map(String.init)
        for kind in RecipeStageKind.all {
            let sub: String
            if words.count == 2 && words[0] == kind.name && kind.otherSubcommands.contains(words[1]) {
                sub = words[1]
            } else if words.count == 1 && kind.otherSubcommands.contains(words[0]) && words[0] != "run" {
                sub = words[0]
            } else {
                continue
            }
            if sub == "run" { return "'\(name)' is written '\(kind.name)' in a recipe" }
            switch kind.name {
            case "dedup":
                return "'\(kind.name) \(sub)' is not a stage: a recipe runs the single-process dedup (stage 'dedup'); "
                    + "\(kind.otherSubcommands.filter { $0 != "run" }.joined(separator: ", ")) are the map/reduce steps for many machines (docs/scale-out.md) and run on their own"
            default:
                return "'\(kind.name) \(sub)' is not a stage: only '\(kind.name)' itself is (stages: \(RecipeStageKind.names))"
            }
        }
        return nil
    }

    /// An ArgumentParser message, on the line of the first option it names (else `fallback`).
    func parseError(_ message: String, entries: [Entry], fallback: Int, prefix: String) -> RecipeError {
        var best: (pos: String.Index, line: Int)?
        for e in entries {
            var from = message.startIndex
            while let r = message.range(of: "--" + e.key, range: from..<message.endIndex) {
                let next = r.upperBound < message.endIndex ? message[r.upperBound] : " "
                if !(next.isLetter || next.isNumber || next == "-") {
                    if best == nil || r.lowerBound < best!.pos { best = (r.lowerBound, e.line) }
                    break
                }
                from = r.upperBound
            }
        }
        return error(best?.line ?? fallback, prefix + message.trimmingCharacters(in: .whitespacesAndNewlines))
    }

    // MARK: Values

    struct Entry {
        let key: String
        /// One value per occurrence of the flag; ["true"] for a flag that is on, [] for one that is off.
        let values: [String]
        let line: Int
        let info: RecipeOptionInfo
        /// A file path, resolved against the recipe's folder (absolute in the canonical form).
        let isPath: Bool
    }

    func pairs(_ entries: [Entry]) -> [(key: String, value: String)] {
        entries.flatMap { e in e.values.map { (key: e.key, value: $0) } }
    }

    func argv(_ entries: [Entry]) -> [String] {
        var out: [String] = []
        for e in entries {
            for v in e.values {
                if e.info.isFlag {
                    out.append("--" + e.key)
                } else if v.hasPrefix("-") {
                    out.append("--\(e.key)=\(v)")   // `--key -1` would read -1 as a flag
                } else {
                    out += ["--" + e.key, v]
                }
            }
        }
        return out
    }

    /// The canonical JSON object of options: true for a flag that is on, a string for an option, a
    /// list of strings for a repeatable option; flags that are off and empty repeatable lists are absent.
    func options(_ entries: [Entry]) -> JSONValue {
        var out: [String: JSONValue] = [:]
        for e in entries where !e.values.isEmpty {
            let values = e.isPath ? e.values.map(absolute) : e.values
            if e.info.isFlag {
                out[e.key] = .bool(true)
            } else if e.info.isRepeating {
                out[e.key] = .array(values.map(JSONValue.string))
            } else {
                out[e.key] = .string(values[0])
            }
        }
        return sortedObject(out)
    }

    /// The occurrences of an option from its YAML value (see `RecipeStage.options`).
    func values(of node: Node, option: RecipeOptionInfo, context: String, keyLine: Int, resolvePaths: Bool) throws -> [String] {
        let at = node.mark?.line ?? keyLine
        if option.isFlag {
            guard case .scalar(let s) = node, s.style == .plain, let b = Self.booleans[s.string] else {
                throw error(at, "\(context): expected true or false (it is a flag), got \(describe(node))")
            }
            return b ? ["true"] : []
        }
        let expected = "expected a string, a number, a boolean or a list of them"
        switch node {
        case .scalar(let s):
            if isNull(node) { throw error(at, "\(context): \(expected), got null") }
            return [resolvePaths ? resolve(s.string) : s.string]
        case .mapping:
            throw error(at, "\(context): \(expected), got a mapping")
        case .sequence(let seq):
            var items: [String] = []
            for item in seq {
                guard case .scalar(let s) = item, !isNull(item) else {
                    throw error(item.mark?.line ?? at, "\(context): \(expected), got a list holding \(describe(item))")
                }
                items.append(resolvePaths ? resolve(s.string) : s.string)
            }
            if option.isRepeating { return items }
            if items.isEmpty { throw error(at, "\(context): empty list") }
            return [items.joined(separator: ",")]
        }
    }

    /// The keys and values of a mapping, keys checked to be strings and unique.
    func entries(of m: Node.Mapping, what: String, context: String = "") throws -> [(key: String, value: Node, line: Int)] {
        var out: [(key: String, value: Node, line: Int)] = []
        var seen: [String: Int] = [:]
        for (k, v) in m {
            let kLine = k.mark?.line ?? m.mark?.line ?? 1
            guard case .scalar(let s) = k, !isNull(k) else {
                throw error(kLine, "\(context)expected a \(what) name, got \(describe(k))")
            }
            if let first = seen[s.string] {
                throw error(kLine, "\(context)\(what) '\(s.string)' is given twice (first on line \(first))")
            }
            seen[s.string] = kLine
            out.append((s.string, v, kLine))
        }
        return out
    }

    func scalarStrings(_ node: Node) -> [String] {
        switch node {
        case .scalar(let s): return [s.string]
        case .sequence(let seq): return seq.compactMap(\.string)
        case .mapping: return []
        }
    }

    // YAML 1.2 core schema booleans and nulls (plain scalars only; quoted ones are strings).
    static let booleans: [String: Bool] = ["true": true, "True": true, "TRUE": true, "false": false, "False": false, "FALSE": false]
    static let nulls: Set<String> = ["", "~", "null", "Null", "NULL"]

    func isNull(_ node: Node) -> Bool {
        guard case .scalar(let s) = node else { return false }
        return s.style == .plain && Self.nulls.contains(s.string)
    }

    func line(_ node: Node) -> Int { node.mark?.line ?? 1 }

    func describe(_ node: Node) -> String {
        switch node {
        case .mapping: return "a mapping"
        case .sequence: return "a list"
        case .scalar(let s):
            if isNull(node) { return "null" }
            return "'\(s.string)'"
        }
    }

    func yamlError(_ e: YamlError, text: String) -> RecipeError {
        switch e {
        case let .scanner(context, problem, mark, _), let .parser(context, problem, mark, _), let .composer(context, problem, mark, _):
            let ctx = context.map { $0.text + ": " } ?? ""
            return error(mark.line, "invalid YAML: \(ctx)\(problem) (column \(mark.column))")
        case let .reader(problem, offset, _, _):
            let line = offset.map { o in text.prefix(o).reduce(1) { $1 == "\n" ? $0 + 1 : $0 } }
            return error(line, "invalid YAML: \(problem)")
        default:
            return error(nil, "invalid YAML: \(e)")
        }
    }
}

// MARK: - Canonical JSON

/// A JSON value rendered with sorted keys and no whitespace.

/// A JSON object with its keys in byte order (the canonical form's rule).
private func sortedObject(_ o: [String: JSONValue]) -> JSONValue {
    .object(o.keys.sorted { $0.utf8.lexicographicallyPrecedes($1.utf8) }.map { ($0, o[$0]!) })
}

import Foundation
import LLMDataCore
import LLMDataDedup
import LLMDataTokenizeStage

/// One stage of a recipe, as the run executes it.
public enum PlannedStage {
    /// normalize, langid, filter: a record stage that streams.
    case record(AnyStage)
    /// dedup: `exact` streams (an ordered stage); `minhash` and `lines` need every record before
    /// they decide, so the run splits into passes there (a barrier).
    case dedup(DedupOptions)
    /// tokenize: the last stage, a sink into token shards.
    case tokenize(TokenizeOptions)

    var isBarrier: Bool { isBarrier(exactToo: false) }

    /// Under Slurm exact dedup is a barrier too: its tasks cannot share the keys they have seen,
    /// so one job decides over everything that reached it (docs/scale-out.md).
    func isBarrier(exactToo: Bool) -> Bool {
        if case .dedup(let o) = self { return o.mode != .exact || exactToo }
        return false
    }
}

/// A recipe resolved into stages (the llmdata target builds it from the YAML and the
/// subcommands' own flag parsing).
public struct RunPlan {
    public struct Stage {
        public var name: String
        /// The options as the recipe gives them (flag → value); run.json shows the canonical
        /// recipe's form of them.
        public var options: [(String, String)]
        public var stage: PlannedStage
        public init(name: String, options: [(String, String)], stage: PlannedStage) {
            self.name = name
            self.options = options
            self.stage = stage
        }
    }

    public var recipePath: String
    public var recipeText: String
    /// The canonical recipe as JSON text (what `recipe_sha256` hashes).
    public var canonical: String
    public var inputs: [String]
    public var format: InputFormat?
    public var reader = ReaderOptions()
    public var stages: [Stage] = []
    /// Files the options name (a tokenizer, a filter config, a langid model): hashed into the
    /// run's fingerprint and listed in run.json.
    public var resources: [String] = []
    public var command: [String] = CommandLine.arguments
    public var version: String
    /// Batch size when the recipe sets no `batch-bytes` (1 MiB; the subcommands use 256 KiB).
    public static let defaultBatchBytes = 1 << 20

    public init(recipePath: String, recipeText: String, canonical: String, inputs: [String], version: String) {
        self.recipePath = recipePath
        self.recipeText = recipeText
        self.canonical = canonical
        self.inputs = inputs
        self.version = version
    }
}

/// How the run behaves (not part of what it makes: output is the same for any of these).
public struct RunSettings {
    public var jobs = ProcessInfo.processInfo.activeProcessorCount
    public var quiet = false
    public var progress: Bool? = nil
    public var strict = false
    public var maxWarnings = 100
    public var overwrite = false
    /// nil: run here. Otherwise the Slurm driver's settings (`--executor slurm`).
    public var slurm: SlurmSettings?
    /// This process is one task of a Slurm step (the sbatch scripts run it), not a driver.
    public var slurmTask: SlurmTask?
    public init() {}
}

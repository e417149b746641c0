import ArgumentParser
import Foundation
import LLMDataCore
import LLMDataLangID
import LLMDataRun
import LLMDataTokenizeStage

struct RunRecipe: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "run",
        abstract: "Run a recipe's stages as one resumable unit into RUNDIR, with provenance in RUNDIR/run.json.",
        discussion: """
        The recipe (YAML, docs/recipe.md) lists inputs and stages; each stage is a subcommand with its \
        long flags as options. RUNDIR gets records/, shards/ (with tokenize), rejected/, stats/ and \
        run.json (docs/run.md). Rerunning the same command after an interruption finishes the job; a \
        changed recipe or input is refused unless --overwrite. `llmdata run --verify RUNDIR` re-hashes \
        the inputs and outputs run.json lists.
        """
    )

    @Argument(help: "The recipe file (with --verify: the run directory).")
    var recipe: String

    @Option(name: [.short, .customLong("output")], help: "The run directory.")
    var output: String?

    @Flag(help: "Check that RUNDIR's inputs and outputs still have the sizes and SHA-256 run.json records; exit 1 naming each that differs or is missing.")
    var verify = false

    @Flag(help: "Replace what RUNDIR holds (records/, shards/, rejected/, stats/, run.json and an unfinished run's state).")
    var overwrite = false

    @Option(parsing: .unconditional, help: "Worker threads, 1 to 1024 (default: all cores). Output is identical for any value.")
    var jobs: Int = ProcessInfo.processInfo.activeProcessorCount

    @Flag(help: "Stop with exit code 1 at the first bad record or input.")
    var strict = false

    @Flag(help: "No progress and no summary.")
    var quiet = false

    @Option(name: .customLong("max-warnings"), help: "Print at most this many per-record warnings; the rest are counted.")
    var maxWarnings = 100

    enum Executor: String, ExpressibleByArgument, CaseIterable { case local, slurm }

    @Option(help: "Where the stages run: here (local), or as Slurm job arrays submitted with sbatch (slurm; docs/scale-out.md).")
    var executor: Executor = .local

    @Option(help: "Slurm: tasks per split step (a task's share of the input files, or of the MinHash bands).")
    var tasks: Int = 4

    @Option(help: "Slurm: the partition to submit to (sbatch --partition).")
    var partition: String?

    @Option(help: "Slurm: the time limit of each task (sbatch --time, e.g. 4:00:00).")
    var time: String?

    @Option(name: .customLong("cpus-per-task"), help: "Slurm: CPUs per task (sbatch --cpus-per-task); a task runs that many worker threads.")
    var cpusPerTask: Int = 1

    @Option(help: "Slurm: memory per task (sbatch --mem, e.g. 8G).")
    var mem: String?

    @Option(name: .customLong("mem-global"), help: "Slurm: memory of the steps that hold state of the whole corpus (dedup decide, MinHash bands and clusters, assemble); default: --mem.")
    var memGlobal: String?

    @Option(name: .customLong("sbatch-arg"), help: ArgumentHelp("Slurm: an extra sbatch argument for every job (repeatable, e.g. --sbatch-arg=--account=lab).", valueName: "arg"))
    var sbatchArgs: [String] = []

    @Flag(name: .customLong("dry-run"), help: "Slurm: write the sbatch scripts to RUNDIR/slurm and print the submission; submit nothing.")
    var dryRun = false

    @Option(help: "Slurm: seconds between looks at the queue while waiting.")
    var poll: Double = 5

    // what an sbatch script of the Slurm executor runs: one task of one step
    @Option(name: .customLong("slurm-step"), help: .hidden)
    var slurmStep: String?

    @Option(name: .customLong("task-index"), help: .hidden)
    var taskIndex: Int?

    func validate() throws {
        if let p = JobsFlag.problem(jobs) { throw ValidationError(p) }
        if !verify && output == nil { throw ValidationError("missing -o RUNDIR (the run directory)") }
        if verify && output != nil { throw ValidationError("--verify takes the run directory as its argument, not -o") }
        if tasks < 1 { throw ValidationError("--tasks must be at least 1") }
        if tasks > 100_000 { throw ValidationError("--tasks \(tasks) is more than 100000 (a Slurm array's usual limit is far lower)") }
        if cpusPerTask < 1 { throw ValidationError("--cpus-per-task must be at least 1") }
        if !(poll > 0) { throw ValidationError("--poll must be a positive number of seconds") }
        if executor != .slurm {
            let given = [(partition != nil, "--partition"), (time != nil, "--time"), (mem != nil, "--mem"), (memGlobal != nil, "--mem-global"), (!sbatchArgs.isEmpty, "--sbatch-arg"),
                         (dryRun, "--dry-run")].filter(\.0).map(\.1)
            if !given.isEmpty { throw ValidationError("\(given.joined(separator: ", ")) apply to --executor slurm only") }
        }
        if (slurmStep == nil) != (taskIndex == nil) { throw ValidationError("--slurm-step and --task-index go together (the Slurm executor's scripts pass them)") }
    }

    func run() throws {
        if verify {
            try finish(RunVerifier.verify(runDir: recipe, quiet: quiet))
            return
        }
        let plan: RunPlan
        do {
            plan = try Self.plan(recipePath: recipe)
        } catch let e as RecipeError {
            Diagnostics.error(stage: "run", e.description, hint: "docs/recipe.md lists the stages and how options are written")
            throw ArgumentParser.ExitCode(LLMDataCore.ExitCode.fatal.rawValue)
        }
        var s = RunSettings()
        s.jobs = jobs
        s.quiet = quiet
        s.strict = strict
        s.maxWarnings = maxWarnings
        s.overwrite = overwrite
        if let step = slurmStep, let i = taskIndex {
            s.slurmTask = SlurmTask(step: step, index: i, tasks: tasks)
        } else if executor == .slurm {
            var o = SlurmSettings()
            o.tasks = tasks
            o.partition = partition
            o.time = time
            o.cpusPerTask = cpusPerTask
            o.mem = mem
            o.memGlobal = memGlobal
            o.extraArgs = sbatchArgs
            o.dryRun = dryRun
            o.poll = poll
            s.slurm = o
        }
        try finish(RecipeRunner.run(plan: plan, runDir: output!, settings: s))
    }

    /// Loads the recipe and builds each stage from its subcommand's own flag handling, so a
    /// recipe and the shell pipeline it writes down run the same stages with the same options.
    static func plan(recipePath: String) throws -> RunPlan {
        let r = try Recipe.load(path: recipePath)
        var plan = RunPlan(recipePath: recipePath, recipeText: r.text, canonical: r.canonical, inputs: r.inputs,
                           version: LLMData.configuration.version)
        var resources: [String] = []
        for (i, st) in r.stages.enumerated() {
            let planned: PlannedStage
            do {
                switch st.command {
                case let c as Normalize:
                    if i == 0 { plan.reader = c.input.reader; plan.format = c.input.format }
                    planned = .record(AnyStage(c.makeStage()))
                case let c as LangIDRun:
                    if i == 0 { plan.reader = c.input.reader; plan.format = c.input.format }
                    let stage = try c.makeStage()
                    planned = .record(AnyStage(stage))
                    // the model is part of what makes the output, shipped or given
                    if let m = c.model ?? LangIDModel.shippedPath { resources.append(m) }
                    resources += stage.options.scorePreset?.files ?? []
                case let c as Filter:
                    if i == 0 { plan.reader = c.input.reader; plan.format = c.input.format }
                    let stage = try c.makeStage()
                    planned = .record(AnyStage(stage))
                    if let f = c.config { resources.append(f) }
                    resources += stage.resources
                case let c as Dedup.Run:
                    if i == 0 { plan.reader = c.input.reader; plan.format = c.input.format }
                    planned = .dedup(c.dedup.options(mode: c.mode))
                case let c as Tokenize:
                    if i == 0 { plan.reader = c.input.reader; plan.format = c.input.format }
                    let o = c.options
                    resources += try tokenizerResources(o)
                    planned = .tokenize(o)
                default:
                    throw RecipeError(description: "\(recipePath):\(st.line): \(st.name) is not a stage")
                }
            } catch let e as RecipeError {
                throw e
            } catch let e as LLMDataError {
                throw st.error(e.message + (e.hint.map { " (\($0))" } ?? ""), recipe: recipePath)
            } catch {
                throw st.error(message(for: error), recipe: recipePath)
            }
            plan.stages.append(RunPlan.Stage(name: st.name, options: st.options.map { ($0.key, $0.value) }, stage: planned))
        }
        plan.resources = resources
        if !r.reader.contains(where: { $0.key == "batch-bytes" }) {
            // a run's batches pass through every stage on one thread: larger ones keep each
            // stage's tables in cache longer (docs/benchmarks.md, llmdata run)
            plan.reader.batchBytes = RunPlan.defaultBatchBytes
        }
        return plan
    }

    static func message(for error: Error) -> String {
        if let e = error as? LangIDError { return e.description }
        return LLMData.message(for: error)
    }
}

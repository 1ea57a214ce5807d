import ArgumentParser
import Engines
import Foundation
import KernelC
import Placement
import Reports

struct Mutate: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Mutation testing: would the properties notice if a model function were wrong?",
        discussion: """
        Every function of MODELS (a folder or file of placement models) that some property reaches is \
        mutated, one small change at a time, in its checked IR: relational and arithmetic operators \
        swapped, constants ± 1, bounds (TASK_SIZE, mmap_min_addr, …) ± PAGE_SIZE, masks and shift \
        counts one bit off, conjuncts and conditions dropped, branch arms swapped, statements and early \
        returns dropped. The properties expected to be proved ('// expect: proved') in --properties are \
        the oracles. Each mutant goes to the fuzzer, then to the prover, on every property that reaches \
        the function: KILLED (a replayed counterexample), SURVIVED, or EQUIVALENT (the prover shows the \
        mutated function returns what the original does for every input, within the bounds it states). \
        A survivor is a behaviour no property pins down: a missing property, or a change that does not \
        matter. Exit status: 0; 10 when the score is below --minimum-score; 2 for bad input; 5 when \
        stopped before every mutant ran; 6 when engines disagree (a bug in hugealign).
        """)

    @ArgumentParser.Argument(help: "The models whose functions are mutated (a folder or a .spec file).") var models: String
    @Option(parsing: .upToNextOption, help: "Spec files or folders with the properties (default: specs/properties).") var properties: [String] = []
    @Option(name: .customLong("function"), help: "Only mutate this function (repeatable).") var functions: [String] = []
    @Option(name: .customLong("property"), help: "Only use this property as an oracle (repeatable).") var only: [String] = []
    @Option(name: .customLong("kill-with"), help: "Only this property is asked to kill (repeatable): rerun earlier survivors against new properties without asking the old ones again; the equivalence check still answers for every property.") var killWith: [String] = []
    @Option(name: .customLong("mutant"), help: "Only run this mutant, FUNCTION#N as --list names it (repeatable): e.g. the survivors of an earlier run against new properties.") var mutants: [String] = []
    @Option(parsing: .unconditional, help: "Fuzzer runs per mutant and property before the prover is asked.") var fuzzRuns = 2_000
    @Option(parsing: .unconditional, help: "Z3 resource units per prover check of a mutant (deterministic budget).") var rlimit: UInt64 = 30_000_000
    @Flag(help: "Run every engine on every mutant and property (the model checker too, on scaled properties) and report where they disagree, instead of stopping at the first kill.") var allEngines = false
    @Flag(inversion: .prefixedNo, help: "Ask the prover about mutants the fuzzer did not kill (--no-prover: a quick fuzzer-only triage).") var prover = true
    @Flag(inversion: .prefixedNo, help: "Try to prove survivors equivalent to the original.") var equivalence = true
    @Flag(help: "Only list the mutants.") var list = false
    @Option(help: "Run every COUNT-th mutant from INDEX (INDEX/COUNT), to split a campaign over machines.") var shard = Shard(index: 0, count: 1)
    @Option(parsing: .unconditional, help: "Mutants run in parallel.") var jobs = 1
    @Option(parsing: .unconditional, help: "Exit 10 when the score (killed / killable, %) is below this.") var minimumScore: Double?
    @Option(help: "Reviewed survivors: lines 'FUNCTION#N OPERATOR reason' (docs/mutate.md). Their survivors are reported as explained; an entry that no longer fits (the mutant is killed now, or the numbers moved) is reported.") var explained: String?
    @Flag(help: "Exit 10 when a survivor is not explained by --explained.") var requireExplained = false
    @Option(parsing: .upToNextOption, help: "Report the JSON results of earlier runs (--out) instead of running; a later file's result for a mutant replaces an earlier one (e.g. the survivors rerun against new properties). Repeatable.") var results: [String] = []
    @Flag(help: "Print the results as JSON.") var json = false
    @Option(help: "Also write the JSON results to this file.") var out: String?

    /// A message on stderr and exit 2 (bad input: nothing was run).
    static func inputError(_ message: String) -> ExitCode {
        FileHandleStream.standardError.write("hugealign mutate: \(message)\n")
        return ExitCode(ExitStatus.inputError.rawValue)
    }

    func validate() throws {
        guard (1...256).contains(jobs) else { throw ValidationError("--jobs must be in 1...256") }
        if fuzzRuns < 0 { throw ValidationError("--fuzz-runs must be 0 or more") }
        if rlimit == 0 { throw ValidationError("--rlimit must be positive") }
        if let s = minimumScore, !(0...100).contains(s) { throw ValidationError("--minimum-score must be a percentage (0...100)") }
    }

    func run() throws {
        let explanations = try explained.map { path -> Explanations in
            do { return try Explanations(file: path) } catch let e as InputError { throw Mutate.inputError(e.description) }
        }
        if !results.isEmpty { return try report(results, explanations) }
        guard FileManager.default.fileExists(atPath: models) else { throw Mutate.inputError("no such models folder or file: \(models)") }
        let specs = try SpecLoader.specFiles(in: properties.isEmpty ? ["specs/properties"] : properties)
        var options = MutationOptions()
        options.functions = functions.isEmpty ? nil : Set(functions)
        options.properties = only.isEmpty ? nil : Set(only)
        options.mutants = mutants.isEmpty ? nil : Set(mutants)
        options.killers = killWith.isEmpty ? nil : Set(killWith)
        options.fuzzRuns = fuzzRuns
        options.proverResources = rlimit
        options.allEngines = allEngines
        options.equivalence = equivalence
        options.prove = prover
        options.shard = (shard.index, shard.count)
        let campaign = try MutationCampaign(models: models, specs: specs, options: options)
        guard !campaign.oracles.isEmpty else {
            throw Mutate.inputError("no property expected to be proved ('// expect: proved') in \(specs.joined(separator: ", ")): nothing can kill a mutant")
        }
        for f in functions where !campaign.targets.contains(f) {
            throw Mutate.inputError("--function \(f): not a function of \(models) that a property reaches (those are: \(campaign.targets.joined(separator: ", ")))")
        }
        for k in killWith where !campaign.oracles.contains(where: { $0.item.property.name == k }) {
            throw Mutate.inputError("--kill-with \(k): not a property expected to be proved in \(specs.joined(separator: ", "))")
        }
        let known = Set(campaign.mutations.map(\.id))
        for m in mutants where !known.contains(m) {
            throw Mutate.inputError("--mutant \(m): no such mutant of \(models) (--list names them)")
        }
        let planned = campaign.planned
        guard !planned.isEmpty else { throw Mutate.inputError("no mutants: no function of \(models) is reached by a property of \(specs.joined(separator: ", "))") }
        if list {
            for m in planned { print("\(m.id)\t\(m.op.rawValue)\t\(m.location)\t\(m.original)  →  \(m.mutated)") }
            return
        }
        if !json {
            print("mutate: \(planned.count) mutants of \(campaign.targets.count) functions, \(campaign.oracles.count) properties as oracles")
        }
        let interruption = Interruption { campaign.stop() }
        let clock = ContinuousClock(), start = clock.now
        let progress = ProgressLine {
            let p = campaign.progress
            return "mutate: \(p.done)/\(planned.count) mutants, \(p.killed) killed"
        }
        var results: [MutantResult] = []
        try InOrderRunner<Result<MutantResult, Error>>().run(
            count: planned.count, workers: jobs, shouldStop: { interruption.happened },
            work: { _, i in Result { try campaign.run(planned[i]) } },
            emit: { _, outcome in
                guard let outcome else { return }
                let r: MutantResult
                do { r = try outcome.get() } catch { campaign.stop(); throw error }
                results.append(r)
                if !json { print(MutationReport.line(r)) }
            })
        progress.finish()
        let summary = MutationSummary(models: models, specs: specs, oracles: campaign.oracles.map { "\($0.spec):\($0.item.property.name)" },
                                      functions: campaign.targets, results: results, seconds: (clock.now - start).seconds,
                                      interrupted: results.count < planned.count)
        try finish(summary, explanations)
    }

    /// `--results`: earlier runs' JSON, merged and reported as if just run.
    func report(_ files: [String], _ explanations: Explanations?) throws {
        var runs: [MutationSummary] = []
        for f in files {
            guard let data = FileManager.default.contents(atPath: f) else { throw Mutate.inputError("cannot read \(f)") }
            do { runs.append(try JSONDecoder().decode(MutationSummary.self, from: data)) } catch {
                throw Mutate.inputError("\(f): not the JSON of 'hugealign mutate --json' (\(JSONErrors.describe(error)))")
            }
        }
        try finish(MutationSummary.merged(runs), explanations)
    }

    /// Explanations applied, the JSON written, the report printed, the exit status decided.
    func finish(_ run: MutationSummary, _ explanations: Explanations?) throws {
        var summary = run
        var stale: [String] = []
        if let explanations { stale = explanations.apply(to: &summary.results) }
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        let data = try encoder.encode(summary)
        if let out { try data.write(to: URL(fileURLWithPath: out), options: .atomic) }
        if json { print(String(decoding: data, as: UTF8.self)) } else { print(""); print(MutationReport.summary(summary)) }
        if !stale.isEmpty {
            FileHandleStream.standardError.write("hugealign mutate: explanations that do not fit this campaign:\n" + stale.map { "  \($0)\n" }.joined())
        }
        if !summary.disagreements.isEmpty { throw ExitCode(ExitStatus.internalError.rawValue) }
        if summary.interrupted { throw ExitCode(ExitStatus.unknown.rawValue) }
        if let min = minimumScore, summary.score < min { throw ExitCode(10) }
        if requireExplained, !summary.unexplained.isEmpty { throw ExitCode(10) }
    }
}

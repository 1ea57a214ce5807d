import Foundation
import KernelC
import Placement

/// What became of one mutant.
public struct MutantResult: Codable, Sendable {
    public enum Status: String, Codable, Sendable {
        /// A property failed on the mutant (with a replayed counterexample).
        case killed
        /// Every property that reaches the function still holds (or was not decided).
        case survived
        /// Proved to return what the original returns for every input, within the stated bounds:
        /// no property could notice it.
        case equivalent
        /// No property that reaches the function could be run on it.
        case notRun = "not-run"
    }

    /// How one engine did on one property of the mutant.
    public struct Check: Codable, Sendable {
        public var property: String
        public var spec: String
        public var engine: Finding.Engine
        /// "counterexample", "none" (fuzzer/model checker found nothing), "proved", "unknown: …"
        public var outcome: String
        public var seconds: Double
        public var counterexample: Counterexample?
    }

    public var mutation: Mutation
    public var status: Status
    /// The check that killed it (status killed).
    public var killedBy: Check?
    /// Every check made, in order.
    public var checks: [Check]
    /// The equivalence check of a survivor: "equivalent within …", "differs: …", "unknown: …",
    /// or why it was not attempted.
    public var equivalence: String?
    /// Why this survivor is not a missing property, from the reviewed explanations (`Explanations`).
    public var explanation: String?
    public var seconds: Double
}

/// Options of a mutation campaign.
public struct MutationOptions: Sendable {
    /// Only mutate these functions (nil: every function of the model files).
    public var functions: Set<String>?
    /// Only these properties are asked to kill (nil: every oracle) — a rerun of earlier survivors
    /// against new properties; the equivalence check still answers for every oracle.
    public var killers: Set<String>?
    /// Only these mutants (`function#ordinal`; nil: every mutant of those functions).
    public var mutants: Set<String>?
    /// Only use these properties as oracles (nil: every property expected to be proved).
    public var properties: Set<String>?
    /// Fuzzer runs per (mutant, property) before the prover is asked.
    public var fuzzRuns = 2_000
    public var fuzzSeed: UInt64 = 1
    /// Prover budget per (mutant, property), in Z3 resource units (deterministic).
    public var proverResources: UInt64 = 30_000_000
    /// Who decides the prover's bit-vector checks. Z3 alone by default: with budgets this small
    /// Bitwuzla would prove some equivalences Z3 leaves unknown, and the score would then depend on
    /// whether it is installed.
    public var solver = SolverChoice.z3
    /// Run every engine on every (mutant, property) pair, and the model checker on scaled
    /// properties too, instead of stopping at the first kill: the cross-check of the engines.
    public var allEngines = false
    /// Layouts of at most this many VMAs for the model checker's cross-check.
    public var checkRuns = 200_000
    /// Ask the prover about mutants the fuzzer did not kill (off: a quick fuzzer-only triage, whose
    /// survivors are only "not killed by the fuzzer").
    public var prove = true
    /// Try to prove survivors equivalent to the original.
    public var equivalence = true
    public var shard = (index: 0, count: 1)
    public init() {}
}

/// One property used as an oracle: it holds on the unmodified models.
public struct MutationOracle: @unchecked Sendable {
    public var spec: String
    public var item: SpecPlan.Item
    /// Names of the functions the property reaches through calls.
    public var reaches: Set<String>
}

/// Mutation testing of placement models against their properties: each mutant of each model
/// function goes to the fuzzer, then to the prover, for every property that reaches the function;
/// a survivor is then compared with the original function by the prover (equivalent or not).
public final class MutationCampaign: @unchecked Sendable {
    public let oracles: [MutationOracle]
    /// Functions that may be mutated: defined in the model files, reached by some oracle.
    public let targets: [String]
    public let mutations: [Mutation]
    public let options: MutationOptions

    /// `models`: the folder (or file) whose functions are mutated; `specs`: the property files.
    public init(models: String, specs: [String], options: MutationOptions) throws {
        self.options = options
        let modelRoot = URL(fileURLWithPath: models).standardizedFileURL.resolvingSymlinksInPath().path
        var all: [MutationOracle] = []
        for spec in specs {
            let plan = try SpecPlan(file: spec, defaultConfig: .x86_64)
            for item in plan.items where item.property.expected == .proved {
                all.append(MutationOracle(spec: spec, item: item, reaches: CallGraph(item.program).reached(from: item.property.function)))
            }
        }
        let oracles = all.filter { options.properties?.contains($0.item.property.name) ?? true }
        self.oracles = oracles
        // Targets: functions written in the model files that some oracle reaches, in source order.
        // Mutants are numbered in the first unit of all the oracles that reaches the function, so
        // that `--property` does not renumber them (a function's IR can differ between configs).
        var seen = Set<String>()
        var targets: [String] = []
        var mutations: [Mutation] = []
        let reached = oracles.reduce(into: Set<String>()) { $0.formUnion($1.reaches) }
        for oracle in all {
            for (i, f) in oracle.item.program.functions.enumerated() where !seen.contains(f.name) && oracle.reaches.contains(f.name) && reached.contains(f.name) {
                guard let path = f.location.file?.path else { continue }
                let file = URL(fileURLWithPath: path).standardizedFileURL.resolvingSymlinksInPath().path
                guard file == modelRoot || file.hasPrefix(modelRoot + "/") else { continue }
                if let only = options.functions, !only.contains(f.name) { continue }
                seen.insert(f.name)
                targets.append(f.name)
                mutations += Mutator(program: oracle.item.program).mutations(of: i)
            }
        }
        self.targets = targets
        self.mutations = mutations
    }

    /// The mutants of this shard (every `count`-th, from `index`), of those asked for.
    public var planned: [Mutation] {
        mutations.filter { options.mutants?.contains($0.id) ?? true }
            .enumerated().filter { $0.offset % options.shard.count == options.shard.index }.map(\.element)
    }

    private let lock = NSLock()
    private var stopped = false
    /// The provers running now (one per job), so `stop()` can interrupt them.
    private var provers: [ObjectIdentifier: Prover] = [:]

    /// Stops the campaign: running proofs are interrupted (unknown), later mutants are not run.
    public func stop() {
        lock.lock(); stopped = true; let running = Array(provers.values); lock.unlock()
        running.forEach { $0.interrupt() }
    }
    var isStopped: Bool { lock.lock(); defer { lock.unlock() }; return stopped }

    /// Runs `body` with a registered prover (interrupted by `stop()`).
    func withProver<T>(_ options: ProverOptions, _ body: (Prover) throws -> T) rethrows -> T {
        var options = options
        options.solver = self.options.solver
        let prover = Prover(options: options)
        lock.lock(); provers[ObjectIdentifier(prover)] = prover; let stop = stopped; lock.unlock()
        if stop { prover.interrupt() }
        defer { lock.lock(); provers[ObjectIdentifier(prover)] = nil; lock.unlock() }
        return try body(prover)
    }

    /// Runs one mutant.
    public func run(_ m: Mutation) throws -> MutantResult {
        let clock = ContinuousClock(), start = clock.now
        var result = MutantResult(mutation: m, status: .notRun, killedBy: nil, checks: [], equivalence: nil, seconds: 0)
        try judge(&result)
        result.seconds = (clock.now - start).seconds
        lock.lock()
        tally.done += 1
        if result.status == .killed { tally.killed += 1 }
        lock.unlock()
        return result
    }

    /// Mutants run so far and how many were killed (for a progress line; safe from any thread).
    public var progress: (done: Int, killed: Int) { lock.lock(); defer { lock.unlock() }; return tally }
    private var tally = (done: 0, killed: 0)

    /// The fuzzer on every property that reaches the function (cheap), then the prover, then the
    /// equivalence check of a survivor.
    private func judge(_ result: inout MutantResult) throws {
        let m = result.mutation
        let relevant = oracles.compactMap { o -> (MutationOracle, Program)? in
            guard o.reaches.contains(m.function), let p = Mutator(program: o.item.program).apply(m) else { return nil }
            return (o, p)
        }
        guard !relevant.isEmpty else { return }
        result.status = .survived
        /// Records a check; true when the mutant is decided (killed, and not every engine is asked).
        func decided(_ check: MutantResult.Check) -> Bool {
            result.checks.append(check)
            guard check.counterexample != nil, result.killedBy == nil else { return false }
            result.killedBy = check
            result.status = .killed
            return !options.allEngines
        }
        let killers = relevant.filter { options.killers?.contains($0.0.item.property.name) ?? true }
        for (oracle, program) in killers where !isStopped {
            if decided(try fuzz(oracle, program)) { return }
        }
        for (oracle, program) in killers where !isStopped && options.prove {
            if decided(try prove(oracle, program)) { return }
            if options.allEngines, oracle.item.config.dataModel.longBits <= 16 {
                _ = decided(try modelCheck(oracle, program))
            }
        }
        if result.status == .survived, options.equivalence, options.prove, !isStopped {
            let (equivalent, text) = try Equivalence(mutation: m, oracles: relevant.map(\.0), resources: options.proverResources)
                .decide { options, body in try self.withProver(options, body) }
            result.equivalence = text
            if equivalent { result.status = .equivalent }
        }
    }

    func fuzz(_ oracle: MutationOracle, _ program: Program) throws -> MutantResult.Check {
        var o = FuzzOptions()
        o.seed = options.fuzzSeed
        o.runs = options.fuzzRuns
        o.maxVMAs = oracle.item.property.layoutVMAs
        o.shrinkBudget = 2_000
        // A few thousand runs are over before `cc -O2` would be: the quick build (tcc) at most.
        o.optimisedBuild = false
        let started = ContinuousClock.now
        let property = oracle.item.property
        let r = try Fuzzer(program: program, property: property, config: oracle.item.config, options: o).run()
        let cex = try replayed(r.failing, oracle, program)
        return MutantResult.Check(property: property.name, spec: oracle.spec, engine: .fuzzer, outcome: cex == nil ? "none" : "counterexample",
                                  seconds: (ContinuousClock.now - started).seconds, counterexample: cex)
    }

    /// A search engine's failing case, replayed descriptively on the mutant (nil: none, or it does
    /// not fail again — only a replayed failure kills).
    func replayed(_ c: TestCase?, _ oracle: MutationOracle, _ program: Program) throws -> Counterexample? {
        guard let c else { return nil }
        let property = oracle.item.property
        let runner = try ConcreteRunner(program: program, property: property, config: oracle.item.config)
        return runner.counterexample(c, relevant: Array(repeating: true, count: property.function.parameters.count))
    }

    func prove(_ oracle: MutationOracle, _ program: Program) throws -> MutantResult.Check {
        var o = ProverOptions.deterministic(config: oracle.item.config)
        o.rlimit = options.proverResources
        o.minimizationBudget = 24
        let r = try withProver(o) { try $0.prove(oracle.item.property, in: program, file: oracle.spec) }
        var outcome: String
        var cex: Counterexample?
        switch r.verdict {
        case .proved(let vacuous): outcome = vacuous ? "proved (vacuously)" : "proved"
        case .counterexample(let c): outcome = "counterexample"; cex = c
        case .unknown(let reason): outcome = "unknown: \(reason)"
        case .internalError(let text): outcome = "internal error: \(text)"
        }
        return MutantResult.Check(property: oracle.item.property.name, spec: oracle.spec, engine: .prover, outcome: outcome,
                                  seconds: r.seconds, counterexample: cex)
    }

    func modelCheck(_ oracle: MutationOracle, _ program: Program) throws -> MutantResult.Check {
        var o = CheckOptions()
        o.vmas = oracle.item.property.layoutVMAs ?? 1
        o.maxRuns = options.checkRuns
        // Its 200 000 runs take tens of milliseconds once the quick build is in; `cc -O2` would
        // come after them.
        o.optimisedBuild = false
        let started = ContinuousClock.now
        let property = oracle.item.property
        let r = try ModelChecker(program: program, property: property, config: oracle.item.config, options: o).run()
        let cex = try replayed(r.failing, oracle, program)
        let outcome = cex != nil ? "counterexample" : r.stats.exhausted ? "none (exhausted)" : "none (\(r.stats.runs) runs, not exhausted)"
        return MutantResult.Check(property: property.name, spec: oracle.spec, engine: .modelChecker, outcome: outcome,
                                  seconds: (ContinuousClock.now - started).seconds, counterexample: cex)
    }
}

/// A campaign's results: the score and every mutant (the JSON of `hugealign mutate --json`).
public struct MutationSummary: Codable, Sendable {
    public var models: String
    public var specs: [String]
    public var oracles: [String]
    public var functions: [String]
    public var results: [MutantResult]
    public var seconds: Double
    /// Not every planned mutant was run (interrupted).
    public var interrupted: Bool

    public init(models: String, specs: [String], oracles: [String], functions: [String], results: [MutantResult], seconds: Double, interrupted: Bool) {
        self.models = models
        self.specs = specs
        self.oracles = oracles
        self.functions = functions
        self.results = results
        self.seconds = seconds
        self.interrupted = interrupted
    }

    public func count(_ s: MutantResult.Status) -> Int { results.filter { $0.status == s }.count }

    /// Survivors nobody has explained: missing properties until shown otherwise.
    public var unexplained: [MutantResult] { results.filter { $0.status == .survived && $0.explanation == nil } }

    /// Several runs' results as one, in the first run's order. A later run decides a mutant an
    /// earlier one left open: a kill or an equivalence replaces a survivor (the survivors rerun
    /// against new properties), a survivor again keeps the earlier result with both runs' checks
    /// (a property checked in both keeps only the later run's) and the later comparison.
    public static func merged(_ runs: [MutationSummary]) -> MutationSummary {
        guard var out = runs.first else { return MutationSummary(models: "", specs: [], oracles: [], functions: [], results: [], seconds: 0, interrupted: false) }
        for run in runs.dropFirst() {
            var index = Dictionary(out.results.enumerated().map { ($1.mutation.id, $0) }, uniquingKeysWith: { a, _ in a })
            for r in run.results {
                guard let i = index[r.mutation.id] else {
                    index[r.mutation.id] = out.results.count
                    out.results.append(r)
                    continue
                }
                let earlier = out.results[i]
                // A property asked again speaks for itself now (it may have been edited between
                // the runs): its earlier checks go, so no stale verdict meets a new one.
                let asked = Set(r.checks.map { $0.spec + ":" + $0.property })
                let kept = earlier.checks.filter { !asked.contains($0.spec + ":" + $0.property) }
                if earlier.status == .survived && r.status == .survived {
                    out.results[i].checks = kept + r.checks
                    out.results[i].seconds += r.seconds
                    // The later comparison saw every property of its run, the new ones too.
                    out.results[i].equivalence = r.equivalence ?? earlier.equivalence
                } else if earlier.status == .survived || earlier.status == .notRun {
                    var later = r
                    later.checks = kept + r.checks
                    out.results[i] = later
                }
            }
            out.specs = Array(Set(out.specs + run.specs)).sorted()
            out.oracles = Array(Set(out.oracles + run.oracles)).sorted()
            out.functions += run.functions.filter { !out.functions.contains($0) }
            out.seconds += run.seconds
            out.interrupted = out.interrupted || run.interrupted
        }
        return out
    }

    /// Killed among the mutants that could be killed at all (equivalent and not-run ones aside), in %.
    public var score: Double {
        let killable = results.count - count(.equivalent) - count(.notRun)
        return killable == 0 ? 100 : 100 * Double(count(.killed)) / Double(killable)
    }

    /// Pairs where the prover said "proved" and another engine replayed a counterexample: engine bugs.
    public var disagreements: [(Mutation, String)] {
        results.flatMap { r -> [(Mutation, String)] in
            let proved = Set(r.checks.filter { $0.engine == .prover && $0.outcome.hasPrefix("proved") }.map { $0.spec + ":" + $0.property })
            return r.checks.filter { $0.engine != .prover && $0.counterexample != nil && proved.contains($0.spec + ":" + $0.property) }
                .map { (r.mutation, "\($0.property): the prover says proved, the \($0.engine.rawValue) replays a counterexample") }
        }
    }
}

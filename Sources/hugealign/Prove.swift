import ArgumentParser
import Engines
import Foundation
import KernelC
import Placement
import Reports

struct Prove: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Prove every property in the given spec files or folders, or find counterexamples.",
        discussion: """
        Each .spec file is one translation unit (with its #includes). For each property the negated \
        assertion is handed to Z3: UNSAT means proved within the stated bounds; a SAT model is \
        minimised and replayed by the concrete evaluator before it is reported as a counterexample.
        """)

    @ArgumentParser.Argument(help: "Spec files or folders (searched for *.spec).")
    var paths: [String]

    @OptionGroup var common: RunOptions

    @Option(name: .long, help: "Configuration for properties without a 'config' clause.")
    var config = ConfigArgument(.x86_64)

    @Option(name: .long, parsing: .unconditional,
            help: "Budget of each property in seconds, covering its checks and minimisation (default 30; 900 with --check-expectations, which counts Z3 resource units instead).")
    var timeout: Double?

    @Option(name: .long, help: "Z3 resource units each property may use, summed over its checks: deterministic, the same verdicts on a loaded machine (default with --check-expectations: \(ProverOptions.deterministicResources)).")
    var rlimit: UInt64?

    @Option(name: .customLong("total-timeout"), parsing: .unconditional,
            help: "Budget of the whole run in seconds: when it runs out the properties in progress and those not started are reported unknown.")
    var totalTimeout: Double?

    @Option(name: .long, parsing: .unconditional, help: "Loop unwinding bound for properties without an 'unwind' clause.")
    var unwind: Int = 8

    @Option(name: .long, help: "Symbolic VMAs for properties that use the layout but have no 'layout vmas <= N' clause.")
    var vmas: Int = 4

    @Option(name: .customLong("smt2-out"), help: "Write each property's SMT-LIB2 query into this folder.")
    var smt2Out: String?

    @Flag(name: .customLong("check-expectations"), help: "Exit 0 when every verdict matches its '// expect:' comment; 10 a mismatch, 5 a mismatch that is unknown, 2 a property without one. Budgets count Z3 resource units (deterministic).")
    var checkExpectations = false

    @Flag(name: .long, help: "Print solver statistics (checks, time, resource units) per property.")
    var stats = false

    @OptionGroup var ci: CIOutputOptions

    @OptionGroup var tree: KernelTreeOptions

    @Option(name: .customLong("minimize-budget"), help: "Solver checks spent shrinking a counterexample (0: report the first model).")
    var minimizeBudget: Int = 96

    @Option(name: .long, help: "How queries are decided: bv (bit-blasting), int (the exact integer form, linear arithmetic), both (one obligation at a time: a relaxed integer form that only proves, then bv). Same verdicts whenever they decide; int is fast on order facts over 64-bit sums, bv on masks and small widths. A property's 'arithmetic' clause overrides it.")
    var arithmetic: Arithmetic = .bitVector
    @OptionGroup var solverOptions: SolverOptions
    @Option(help: "Runs of the concrete search (the fuzzer, fixed seed) made before the solver on a property over a symbolic layout: a failure it finds is replayed and reported as the counterexample; 0 turns it off.")
    var searchRuns: Int = 20_000
    @Flag(inversion: .prefixedNo, help: "Skip window searches and loops on paths that contradict the assumptions so far (a short solver check before each such call; only an 'unsat' skips). Off: every call is encoded.")
    var pruneInfeasibleCalls = true

    func validate() throws {
        try Validate.seconds(timeout, "--timeout")
        try Validate.seconds(totalTimeout, "--total-timeout")
        if rlimit == 0 { throw ValidationError("--rlimit must be positive") }
        guard (1...10_000).contains(unwind) else { throw ValidationError("--unwind must be in 1...10000") }
        guard (0...64).contains(vmas) else { throw ValidationError("--vmas must be in 0...64") }
        guard minimizeBudget >= 0 else { throw ValidationError("--minimize-budget must be 0 or more") }
        guard searchRuns >= 0 else { throw ValidationError("--search-runs must be 0 or more") }
    }

    /// Expectations must not depend on the machine's speed: with --check-expectations the budget
    /// counts Z3's work and the clock is only an outer bound.
    var proverOptions: ProverOptions {
        let resources = rlimit ?? (checkExpectations ? ProverOptions.deterministicResources : nil)
        let seconds = timeout ?? (checkExpectations ? ProverOptions.deterministicTimeoutSeconds : 30)
        var options = ProverOptions(config: config.config, timeoutSeconds: seconds, rlimit: resources, defaultUnwind: unwind,
                                    minimizationBudget: minimizeBudget, keepQuery: smt2Out != nil || common.out != nil)
        options.defaultLayoutVMAs = vmas
        options.arithmetic = arithmetic
        options.concreteSearchRuns = searchRuns
        options.pruneInfeasibleCalls = pruneInfeasibleCalls
        options.solver = solverOptions.solver
        // On a terminal, say at once that a counterexample exists; its verdict line follows once
        // it is minimised.
        if isatty(2) != 0 {
            options.onFirstCounterexample = { name, seconds in
                FileHandleStream.standardError.write("  \(name): counterexample found after \(String(format: "%.2f", seconds)) s, minimising…\n")
            }
        }
        return options
    }

    func run() throws {
        _ = try solverOptions.choice()
        let files = try SpecLoader.specFiles(in: paths)
        for dir in [smt2Out, common.out].compactMap({ $0 }) { try CLIError.prepareFolder(dir) }
        try ci.prepare()
        var output = ProofOutput(json: common.json, stats: stats, smt2Out: smt2Out, reports: common.out)
        let work = plan(files, try tree.replacements(), &output)
        try validateWork(work, output)
        let campaign = ProofCampaign(work: work, options: proverOptions, jobs: common.jobs, runSeconds: totalTimeout)
        let interruption = Interruption { campaign.interrupt() }
        var notRun = 0
        campaign.run { index, outcome in
            guard let outcome else { notRun += 1; return }
            output.emit(work[index], outcome)
        }
        _ = interruption
        let stopped = campaign.stopReason
        if let stopped, notRun > 0 {
            FileHandleStream.standardError.write("hugealign: \(stopped.text): \(notRun) of \(work.count) properties were not checked\n")
        }
        try ci.write(output.results.map { CheckRecord($0, expectations: checkExpectations) }, command: "prove")
        try output.finish(stopped: stopped)
        let status = output.status(checkExpectations: checkExpectations, stopped: stopped != nil)
        if status != .ok { throw ExitCode(status.rawValue) }
    }

    /// Every file planned first (spec errors are reported here, and the run goes on with the
    /// rest); a run with nothing to prove ends here.
    func plan(_ files: [String], _ replacements: SpecPlan.Replacements?, _ output: inout ProofOutput) -> [ProofCampaign.Work] {
        var work: [ProofCampaign.Work] = []
        for file in files {
            do {
                let plan = try SpecPlan(file: file, defaultConfig: config.config, only: common.property, replacements: replacements)
                work += plan.items.map { ProofCampaign.Work(file: file, item: $0) }
            } catch {
                output.diagnose(ErrorExit.ending(for: error)?.message ?? "\(file): \(error)")
            }
        }
        if checkExpectations {
            for w in work where w.item.property.expected == nil {
                output.diagnose("\(w.item.property.location): error: property '\(w.item.property.name)' has no '// expect:' comment, which --check-expectations needs")
            }
        }
        return work
    }
}

extension Prove {
    /// Fails the run before any proof when it would check nothing.
    func validateWork(_ work: [ProofCampaign.Work], _ output: ProofOutput) throws {
        guard work.isEmpty && output.diagnostics.isEmpty else { return }
        if let name = common.property {
            FileHandleStream.standardError.write("hugealign: no property named '\(name)' in \(paths.joined(separator: " "))\n")
            throw ExitCode(ExitStatus.usage.rawValue)
        }
        throw InputError(file: "hugealign", line: 0, message: "no properties in \(paths.joined(separator: " ")): nothing was checked", text: "")
    }
}

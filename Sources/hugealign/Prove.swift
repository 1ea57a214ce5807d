import ArgumentParser
import Dispatch
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

    @Option(name: .long, help: "Only prove the property with this name.")
    var property: String?

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

    @Flag(name: .long, help: "Print results as JSON (schema in docs/json-report.md).")
    var json = false

    @Option(name: .customLong("smt2-out"), help: "Write each property's SMT-LIB2 query into this folder.")
    var smt2Out: String?

    @Flag(name: .customLong("check-expectations"), help: "Exit 0 when every verdict matches its '// expect:' comment; 10 a mismatch, 5 a mismatch that is unknown, 2 a property without one. Budgets count Z3 resource units (deterministic).")
    var checkExpectations = false

    @Flag(name: .long, help: "Print solver statistics (checks, time) per property.")
    var stats = false

    @Option(parsing: .unconditional, help: "Properties proved in parallel (results are printed in plan order as they are decided).")
    var jobs: Int = 1

    @Option(help: "Write each counterexample's reports (JSON, text, SVG, SMT-LIB2, C reproducer) into this folder.")
    var out: String?

    @OptionGroup var ci: CIOutputOptions

    @Option(name: .customLong("minimize-budget"), help: "Solver checks spent shrinking a counterexample (0: report the first model).")
    var minimizeBudget: Int = 96

    func validate() throws {
        try Validate.seconds(timeout, "--timeout")
        try Validate.seconds(totalTimeout, "--total-timeout")
        if rlimit == 0 { throw ValidationError("--rlimit must be positive") }
        guard (1...10_000).contains(unwind) else { throw ValidationError("--unwind must be in 1...10000") }
        guard (0...64).contains(vmas) else { throw ValidationError("--vmas must be in 0...64") }
        guard (1...64).contains(jobs) else { throw ValidationError("--jobs must be in 1...64") }
        guard minimizeBudget >= 0 else { throw ValidationError("--minimize-budget must be 0 or more") }
    }

    func run() throws {
        let cfg = config.config
        // Expectations must not depend on the machine's speed: count Z3's work, keep the clock as
        // an outer bound only.
        let resources = rlimit ?? (checkExpectations ? ProverOptions.deterministicResources : nil)
        let seconds = timeout ?? (checkExpectations ? ProverOptions.deterministicTimeoutSeconds : 30)
        var options = ProverOptions(config: cfg, timeoutSeconds: seconds, rlimit: resources, defaultUnwind: unwind,
                                    minimizationBudget: minimizeBudget, keepQuery: smt2Out != nil || out != nil)
        options.defaultLayoutVMAs = vmas
        var results: [PropertyResult] = []
        var diagnostics: [String] = []
        var internalFailure = false

        let files = try CLIError.specFiles(paths)
        for dir in [smt2Out, out].compactMap({ $0 }) { try CLIError.prepareFolder(dir) }
        try ci.prepare()
        // Plan every file first (spec errors are reported here), then prove.
        var work: [ProofCampaign.Work] = []
        for file in files {
            do {
                let plan = try SpecPlan(file: file, defaultConfig: cfg, only: property)
                work += plan.items.map { ProofCampaign.Work(file: file, item: $0) }
            } catch let d as Diagnostic {
                diagnostics.append(d.description)
                FileHandleStream.standardError.write(d.description + "\n")
            }
        }
        if let name = property, work.isEmpty && diagnostics.isEmpty {
            FileHandleStream.standardError.write("hugealign: no property named '\(name)' in \(paths.joined(separator: " "))\n")
            throw ExitCode(ExitStatus.usage.rawValue)
        }
        if work.isEmpty && diagnostics.isEmpty {
            FileHandleStream.standardError.write("hugealign: no properties in \(paths.joined(separator: " ")): nothing was checked\n")
            throw ExitCode(ExitStatus.inputError.rawValue)
        }
        if checkExpectations {
            for w in work where w.item.property.expected == nil {
                let msg = "\(w.item.property.location): error: property '\(w.item.property.name)' has no '// expect:' comment, which --check-expectations needs"
                diagnostics.append(msg)
                FileHandleStream.standardError.write(msg + "\n")
            }
        }
        let campaign = ProofCampaign(work: work, options: options, jobs: jobs, runSeconds: totalTimeout)
        let interruption = Interruption { campaign.interrupt() }
        var lastFile: String?
        var notRun = 0
        campaign.run { index, outcome in
            let w = work[index]
            guard let outcome else { notRun += 1; return }
            if !json && w.file != lastFile { print("\(w.file):"); lastFile = w.file }
            let r: PropertyResult
            switch outcome {
            case .success(let x): r = x
            case .failure(let error):
                let msg = "\(w.file): property \(w.item.property.name): \(error)"
                diagnostics.append(msg)
                FileHandleStream.standardError.write(msg + "\n")
                return
            }
            if case .internalError = r.verdict { internalFailure = true }
            results.append(r)
            do {
                if let dir = smt2Out, let q = r.smtlib2 {
                    let stem = ((w.file as NSString).lastPathComponent as NSString).deletingPathExtension
                    try AtomicFile.write(q, to: (dir as NSString).appendingPathComponent("\(stem).\(w.item.property.name).smt2"))
                }
                if let dir = out, case .counterexample(let cex) = r.verdict {
                    let f = Finding(engine: .prover, spec: w.file, property: w.item.property.name, config: w.item.config.name, bounds: r.bounds,
                                    seed: nil, sequence: nil, counterexample: cex)
                    _ = try SearchSupport.write(f, config: w.item.config, smtlib2: r.smtlib2, to: dir)
                }
            } catch {
                let msg = "hugealign: cannot write the reports of \(w.item.property.name): \(CLIError.describe(error))"
                diagnostics.append(msg)
                FileHandleStream.standardError.write(msg + "\n")
            }
            if !json {
                print("  " + TextReport.line(r))
                let d = TextReport.details(r)
                if !d.isEmpty { print(d.split(separator: "\n").map { "  " + $0 }.joined(separator: "\n")) }
                if stats { print("      stats: \(r.solverChecks) solver checks, first check \(String(format: "%.4f", r.firstCheckSeconds)) s, total \(String(format: "%.4f", r.seconds)) s, \(r.resourcesUsed) resource units") }
            }
        }
        _ = interruption
        let stopped = campaign.stopReason
        if let stopped, notRun > 0 {
            let msg = "hugealign: \(stopped.text): \(notRun) of \(work.count) properties were not checked"
            FileHandleStream.standardError.write(msg + "\n")
        }
        try ci.write(results.map { CheckRecord($0, expectations: checkExpectations) }, command: "prove")
        if json {
            print(try JSONReport(results: results, diagnostics: diagnostics).encoded())
        } else if !results.isEmpty || diagnostics.isEmpty {
            print(TextReport.summary(results) + (stopped.map { " (\($0.text): results so far)" } ?? ""))
        }
        let status: ExitStatus
        if internalFailure { status = .internalError }
        else if !diagnostics.isEmpty { status = .inputError }
        else if checkExpectations {
            let bad = results.filter { !$0.matchesExpectation }
            status = !bad.isEmpty ? (bad.contains { $0.verdict.kind == .unknown } ? .unknown : .counterexample)
                : (stopped != nil ? .unknown : .ok)
        }
        else if results.contains(where: { $0.verdict.kind == .counterexample }) { status = .counterexample }
        else if results.contains(where: { $0.verdict.kind == .unknown }) || stopped != nil { status = .unknown }
        else { status = .ok }
        if status != .ok { throw ExitCode(status.rawValue) }
    }
}

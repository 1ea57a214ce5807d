import ArgumentParser
import Dispatch
import Engines
import Foundation
import KernelC
import Placement
import Reports
import Semantics

struct Check: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Model-check a property exhaustively in a scaled address space (no solver).",
        discussion: """
        Mode 1 (default): every layout of up to --vmas VMAs (page-granular, each plain, a stack or a \
        shadow stack) against every input the property's leading assumptions allow. Mode 2 (--depth D): \
        breadth first over the layouts reachable from an empty address space by up to D mmap/munmap \
        (and MAP_FIXED_NOREPLACE) calls, checking the property in each, so a counterexample is a \
        shortest syscall sequence. --shard I/N does every N-th item starting at I, so N machines can \
        split a campaign; the lowest-numbered counterexample is reported, so results do not depend \
        on --jobs.
        """)

    @ArgumentParser.Argument(help: "The spec file.") var spec: String
    @OptionGroup var common: RunOptions
    @Option(help: "A scaled configuration (\(Config.scaledNames.joined(separator: ", "))) for properties without a 'config' clause.")
    var config = ConfigArgument(Config.named("scaled8")!)
    @Option(parsing: .unconditional, help: "Mode 1: layouts of at most this many VMAs (default: the property's 'layout vmas <= N', else 1; at most 4).") var vmas: Int?
    @Option(help: "Mode 2: syscall sequences of at most this length.") var depth: Int?
    @Option(help: "I/N: check only the I-th of N deterministic slices (0-based).") var shard = Shard(index: 0, count: 1)
    @Option(name: .customLong("max-runs"), parsing: .unconditional, help: "Stop after this many property runs (the result then says 'not exhausted').") var maxRuns: Int?
    @Option(parsing: .unconditional, help: "Stop each property after this many seconds (the result then says 'not exhausted').") var time: Double?
    @Flag(name: .customLong("no-input-classes"), help: "Run every value of every parameter, not one of each class of values that no run tells apart (to compare; the classes are sound).")
    var noInputClasses = false
    @OptionGroup var engine: EngineOptions
    @OptionGroup var ci: CIOutputOptions

    @OptionGroup var tree: KernelTreeOptions

    func validate() throws {
        let c = config.config
        guard c.dataModel.longBits <= 16 else {
            throw ValidationError("--config must be a scaled configuration (\(Config.scaledNames.joined(separator: ", "))): \(c.name) has \(c.dataModel.longBits)-bit words")
        }
        if let vmas, !(0...4).contains(vmas) { throw ValidationError("--vmas must be in 0...4") }
        if let maxRuns, maxRuns < 1 { throw ValidationError("--max-runs must be positive") }
        try Validate.seconds(time, "--time")
        if let depth, !(0...8).contains(depth) { throw ValidationError("--depth must be in 0...8") }
    }

    func run() throws {
        let cfg = config.config
        let plan = try SearchSupport.plan(spec, config: cfg, property: common.property, replacements: try tree.replacements())
        var foundAny = false
        var summaries: [SearchSummary] = []
        try ci.prepare()
        var records: [CheckRecord] = []
        let target = StopTarget()
        let interruption = Interruption { target.fire() }
        for item in plan.items {
            if interruption.happened { break }
            var options = CheckOptions()
            let bound = item.property.layoutVMAs ?? (item.program.usesLayout ? nil : 0)
            let layoutVMAs = vmas ?? min(bound ?? 1, 4)
            options.vmas = layoutVMAs
            if depth == nil, let b = bound, layoutVMAs != b {
                FileHandleStream.standardError.write(layoutVMAs > b
                    ? "hugealign check: \(item.property.name) states 'layout vmas <= \(b)'; checking layouts of up to \(layoutVMAs) VMAs as --vmas asks, BEYOND the property's bound (prove checks only ≤ \(b))\n"
                    : "hugealign check: \(item.property.name) states 'layout vmas <= \(b)'; checking only layouts of up to \(layoutVMAs) VMAs\(vmas == nil ? " (the enumeration's limit)" : "")\n")
            }
            options.depth = depth
            options.jobs = common.jobs
            options.shard = (shard.index, shard.count)
            options.maxRuns = maxRuns
            options.compiled = engine.compiled
            options.inputClasses = !noInputClasses
            let name = item.property.name
            let checker: ModelChecker
            let result: ModelCheckResult
            do {
                checker = try ModelChecker(program: item.program, property: item.property, config: item.config, options: options)
                target.set { checker.stop() }
                // --time: a timer stops the property like Ctrl-C would, but the run goes on.
                let timer = time.map { seconds -> DispatchSourceTimer in
                    let t = DispatchSource.makeTimerSource(queue: .global())
                    t.schedule(deadline: .now() + seconds)
                    t.setEventHandler { checker.stop() }
                    t.resume()
                    return t
                }
                defer { timer?.cancel() }
                let total = depth == nil ? checker.layoutCount / Double(shard.count) : nil
                let progress = ProgressLine {
                    let s = checker.progress
                    let rate = s.seconds > 0 ? Double(s.runs) / s.seconds : 0
                    var line = "check \(name): "
                    if let total {
                        let layoutRate = s.seconds > 0 ? Double(s.states) / s.seconds : 0
                        line += "\(s.states) of \(SearchSupport.count(total)) layouts (\(SearchSupport.rate(layoutRate))/s)"
                        if let bound = checker.runBound, rate > 0 {
                            line += ", \(s.runs) of ≤ \(SearchSupport.count(bound)) runs (\(SearchSupport.rate(rate))/s, at most \(SearchSupport.duration((bound - Double(s.runs)) / rate)) left)"
                            return line + ", \(SearchSupport.duration(s.seconds)) so far"
                        }
                    } else {
                        line += "\(s.states) states, depth \(s.depthReached)"
                    }
                    return line + ", \(s.runs) runs (\(SearchSupport.rate(rate))/s), \(SearchSupport.duration(s.seconds)) so far"
                }
                result = try checker.run()
                progress.finish()
            }
            var reportPath: String?
            var finding: Finding?
            if let c = result.failing, let (f, path) = try SearchSupport.report(c, item: item, engine: .modelChecker, spec: spec, seed: nil,
                                                                               sequence: result.sequence,
                                                                               layoutBound: depth == nil ? layoutVMAs : c.layout.vmas.count, out: common.out) {
                finding = f
                reportPath = path
                foundAny = true
            }
            let s = result.stats
            let unit = depth == nil ? "layouts" : "states"
            summaries.append(SearchSummary(spec: spec, property: name, engine: .modelChecker, found: finding != nil, runs: s.runs,
                                           runsPerSecond: s.runsPerSecond.rounded(), seconds: (s.seconds * 1000).rounded() / 1000,
                                           secondsToFirst: result.secondsToFirst.map { ($0 * 1000).rounded() / 1000 }, exhausted: s.exhausted,
                                           states: s.states, coverage: nil, report: reportPath, interrupted: result.interrupted,
                                           compiled: result.compiled,
                                           inputClasses: result.inputClasses.isEmpty ? nil : result.inputClasses.map(\.description)))
            if engine.engine == .compiled, !result.compiled {
                FileHandleStream.standardError.write("hugealign check: \(name) ran in the evaluator: \(result.interpretedBecause ?? "the compiled form was not adopted")\n")
            }
            let classes = result.inputClasses.isEmpty ? "" : ", one value of each class (" + result.inputClasses.map(\.description).joined(separator: "; ") + ")"
            let scopeText = "config \(item.config.name), " + (depth.map { "sequences ≤ \($0) syscalls" } ?? "layouts ≤ \(layoutVMAs) VMAs") + ", shard \(shard), \(s.runs) runs" + classes
            records.append(CheckRecord(file: spec, property: name, engine: .modelChecker,
                                       status: finding != nil ? .failed : (s.exhausted ? .passed : .error),
                                       summary: finding != nil ? "counterexample" : (s.exhausted ? "no counterexample (exhausted)" : "no counterexample (NOT exhausted)"),
                                       seconds: s.seconds, bounds: scopeText, failure: finding?.counterexample.failures.first,
                                       details: finding.map { CounterexampleReport(finding: $0, config: item.config).text() } ?? ""))
            if !common.json {
                let head = name.padding(toLength: 34, withPad: " ", startingAt: 0)
                let scope = depth.map { "sequences ≤ \($0) syscalls (reached depth \(s.depthReached))" } ?? "layouts ≤ \(layoutVMAs) VMAs"
                if let f = finding, let path = reportPath {
                    print("\(head) counterexample   after \(String(format: "%.3f", result.secondsToFirst ?? 0)) s; \(s.states) \(unit), \(s.runs) runs, \(SearchSupport.rate(s.runsPerSecond))/s [config \(item.config.name), \(scope), shard \(shard)]")
                    if let seq = f.sequence, !seq.isEmpty { print("    syscalls: " + seq.map(\.description).joined(separator: "; ")) }
                    print("    failed:  " + f.expected.joined(separator: "\n             "))
                    print("    inputs:  " + f.counterexample.inputs.map { "\($0.name) = \($0.rendered)\($0.relevant ? "" : " (any)")" }.joined(separator: ", "))
                    print("    report:  \(path) (+ .txt .svg)")
                } else {
                    print("\(head) \(s.exhausted ? "no counterexample (exhausted)" : "no counterexample (NOT exhausted)")  \(s.states) \(unit), \(s.runs) runs in \(String(format: "%.2f", s.seconds)) s (\(SearchSupport.rate(s.runsPerSecond))/s) [config \(item.config.name), \(scope), shard \(shard)]\(result.interrupted ? (interruption.happened ? " (interrupted)" : " (--time reached)") : "")")
                    if !result.inputClasses.isEmpty {
                        print("    inputs:  one value of each class that no run tells apart: " + result.inputClasses.map(\.description).joined(separator: "; "))
                    }
                }
            }
        }
        try ci.write(records, command: "check")
        if common.json { try SearchSupport.printJSON(summaries) }
        if foundAny { throw ExitCode(ExitStatus.counterexample.rawValue) }
        if interruption.happened || summaries.contains(where: { $0.exhausted == false }) { throw ExitCode(ExitStatus.unknown.rawValue) }
    }
}

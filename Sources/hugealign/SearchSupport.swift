import ArgumentParser
import Engines
import Foundation
import KernelC
import Placement
import Reports

/// What `fuzz`, `check` and `prove --out` share: picking properties, where reports go, progress.
enum SearchSupport {
    /// The properties of a spec (or the one named) under a configuration. A spec with no
    /// property checks nothing (exit 2); a `--property` it lacks is a usage error (exit 1).
    static func plan(_ spec: String, config: Config, property: String?, replacements: SpecPlan.Replacements? = nil) throws -> SpecPlan {
        _ = try SpecLoader.specFiles(in: [spec])
        let plan = try SpecPlan(file: spec, defaultConfig: config, only: property, replacements: replacements)
        if let property, plan.items.isEmpty {
            FileHandleStream.standardError.write("hugealign: no property named '\(property)' in \(spec)\n")
            throw ExitCode(ExitStatus.usage.rawValue)
        }
        if plan.items.isEmpty { throw InputError(file: spec, line: 0, message: "no properties: nothing was checked", text: "") }
        return plan
    }

    /// `--out DIR`, else a folder next to the spec: `specs/x.spec` → `specs/x.cex/`.
    static func outputDirectory(_ out: String?, spec: String) -> String {
        if let out { return out }
        return ((spec as NSString).deletingPathExtension) + ".cex"
    }

    /// Writes a finding's reports; returns the JSON path.
    static func write(_ finding: Finding, config: Config, smtlib2: String? = nil, to dir: String) throws -> String {
        let stem = "\(finding.property).\(finding.engine.rawValue)"
        let paths = try CounterexampleReport(finding: finding, config: config, smtlib2: smtlib2).write(to: dir, stem: stem)
        return paths.first { $0.hasSuffix(".json") } ?? dir
    }

    /// The finding for a failing case of a search engine: described (requests, locals, relevance)
    /// by the concrete runner, written with all its reports. Nil if the case does not fail.
    static func report(_ c: TestCase, item: SpecPlan.Item, engine: Finding.Engine, spec: String, seed: UInt64?,
                       sequence: [Finding.Syscall]?, layoutBound: Int, out: String?) throws -> (Finding, String)? {
        let runner = try ConcreteRunner(program: item.program, property: item.property, config: item.config)
        guard let cex = runner.counterexample(c, relevant: runner.relevance(c)) else { return nil }
        var bounds = Bounds(config: item.config.name, intBits: item.program.dataModel.intBits, longBits: item.program.dataModel.longBits,
                            unwind: runner.unwind, layoutVMAs: layoutBound)
        bounds.functions = item.program.functionSource
        let f = Finding(engine: engine, spec: spec, property: item.property.name, config: item.config.name, bounds: bounds, seed: seed,
                        sequence: sequence, counterexample: cex)
        return (f, try write(f, config: item.config, to: outputDirectory(out, spec: spec)))
    }

    static func printJSON(_ summaries: [SearchSummary]) throws {
        let enc = JSONEncoder()
        enc.outputFormatting = [.prettyPrinted, .sortedKeys]
        print(String(decoding: try enc.encode(summaries), as: UTF8.self))
    }


    /// A count for people: 3529, 1.2M, 4.0e12.
    static func count(_ x: Double) -> String {
        x < 1e6 ? String(format: "%.0f", x) : x < 1e9 ? String(format: "%.1fM", x / 1e6) : String(format: "%.1e", x)
    }

    /// Seconds for people: 42 s, 3 min, 2.5 h, 3.1 days.
    static func duration(_ s: Double) -> String {
        guard s.isFinite else { return "forever" }
        if s < 120 { return String(format: "%.0f s", s) }
        if s < 7200 { return String(format: "%.0f min", s / 60) }
        if s < 172_800 { return String(format: "%.1f h", s / 3600) }
        return String(format: "%.1f days", s / 86400)
    }

    static func rate(_ x: Double) -> String {
        x >= 1e6 ? String(format: "%.2fM", x / 1e6) : x >= 1e3 ? String(format: "%.1fk", x / 1e3) : String(format: "%.0f", x)
    }
}

/// The summary `--json` prints for fuzz and check.
struct SearchSummary: Codable {
    var spec: String
    var property: String
    var engine: Finding.Engine
    var found: Bool
    var runs: Int
    /// Runs stopped by a false assumption (they check nothing).
    var vacuous: Int = 0
    var runsPerSecond: Double
    var seconds: Double
    var secondsToFirst: Double?
    var exhausted: Bool?
    var states: Int?
    var coverage: Int?
    var report: String?
    var interrupted: Bool
    /// Whether the runs went through the compiled form (else the evaluator).
    var compiled: Bool?
    /// Model checker: parameters whose values were grouped into classes that no run tells apart,
    /// one value of each run ("len: 65 classes of 256 values").
    var inputClasses: [String]?
}

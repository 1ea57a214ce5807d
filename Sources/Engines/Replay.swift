import Foundation
import KernelC
import Placement

/// Re-runs a stored counterexample on the model: loads its spec and configuration, rebuilds the
/// layout (re-running the syscall sequence of a model-checker finding and checking each result),
/// runs the property with the stored inputs and compares the failures with the stored ones.
public enum Replay {
    public enum Answer: Equatable, Sendable {
        /// The same obligations fail at the same places.
        case reproduced(Counterexample)
        /// The property holds on these inputs now (the model or the property changed).
        case passes
        /// It fails differently, or the sequence no longer leads to the stored layout.
        case differs(String)
    }

    /// `report`: the JSON file the finding was read from (its text, for locating errors): the spec
    /// path stored in it is relative to where hugealign ran, so it is also looked for relative to
    /// the report's folder and that folder's parents.
    /// The stored spec path if it exists from here, else the first `ancestor/spec` that exists,
    /// walking up from the report's folder; else the stored path (whose error then names it).
    static func specPath(_ spec: String, report: String) -> String {
        let fm = FileManager.default
        if spec.hasPrefix("/") || fm.fileExists(atPath: spec) { return spec }
        var dir = ((report as NSString).deletingLastPathComponent as NSString).standardizingPath
        if !dir.hasPrefix("/") { dir = (fm.currentDirectoryPath as NSString).appendingPathComponent(dir) }
        while true {
            let candidate = (dir as NSString).appendingPathComponent(spec)
            if fm.fileExists(atPath: candidate) { return candidate }
            let parent = (dir as NSString).deletingLastPathComponent
            if parent == dir || parent.isEmpty { return spec }
            dir = parent
        }
    }

    public static func replay(_ f: Finding, report: String? = nil, text: String = "") throws -> Answer {
        // A config file is found beside the report (or, failing that, the spec); a malformed one
        // is its own error.
        let config: Config
        do {
            config = try Config.resolve(f.config, near: ((report ?? f.spec) as NSString).deletingLastPathComponent)
        } catch is Config.UnknownConfig {
            do {
                config = try Config.resolve(f.config, near: (f.spec as NSString).deletingLastPathComponent)
            } catch let unknown as Config.UnknownConfig {
                throw InputError(file: report ?? f.spec, line: 0, message: "\(unknown) in the counterexample", text: "")
            }
        }
        try f.validateLayout(file: report ?? f.spec, text: text, pageSize: config.number(.pageSize),
                             limit: config.number(.taskSizeMax))
        let spec = report.map { specPath(f.spec, report: $0) } ?? f.spec
        let plan = try SpecPlan(file: spec, defaultConfig: config, only: f.property)
        guard let item = plan.items.first else {
            throw InputError(file: spec, line: 0, message: "no property '\(f.property)' in \(spec)", text: "")
        }
        let runner = try ConcreteRunner(program: item.program, property: item.property, config: config, unwind: f.bounds.unwind)
        guard runner.parameters.count == f.counterexample.inputs.count else {
            return .differs("the property now has \(runner.parameters.count) parameters, the counterexample \(f.counterexample.inputs.count)")
        }
        var layout = f.layout
        if let seq = f.sequence {
            let v = Vocabulary(config: config)
            var l = Layout.empty
            for (n, step) in seq.enumerated() {
                var request = step
                request.result = nil
                guard let (next, done) = ModelChecker.apply(request, to: l, runner: runner, vocabulary: v, maxErrno: config.number(.maxErrno)),
                      done.result == step.result else {
                    return .differs("syscall \(n + 1) (\(step.description)) no longer gives the stored result")
                }
                l = next
            }
            guard l == layout else { return .differs("the syscall sequence no longer leads to the stored layout") }
            layout = l
        }
        let c = TestCase(values: f.values, layout: layout)
        guard let cex = runner.counterexample(c, relevant: f.counterexample.inputs.map(\.relevant)) else {
            return runner.run(c) == .vacuous ? .differs("an assumption of the property no longer holds for these inputs") : .passes
        }
        // Locations compared without their folder: the spec may be reached by another path from here.
        let key = { (fs: [Failure]) in fs.map { "\($0.kind)@\(($0.location as NSString).lastPathComponent)" } }
        guard key(cex.failures) == key(f.counterexample.failures) else {
            return .differs("it now fails with: " + cex.failures.map { "\($0.kind) at \($0.location)" }.joined(separator: "; "))
        }
        return .reproduced(cex)
    }
}

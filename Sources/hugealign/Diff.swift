import ArgumentParser
import Engines
import Foundation
import KernelC
import KernelTree
import Placement

/// `hugealign diff FUNCTION --kernel-tree A [--kernel-tree B]`: are two versions of a placement
/// function the same? Proved equal for every input within the bounds, or the smallest input where
/// they differ, replayed on both.
struct Diff: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Compare one function in two kernel trees, or in a tree and the bundled models.",
        discussion: """
        With two --kernel-tree options, FUNCTION of the first is compared with FUNCTION of the \
        second; with one, the tree's is compared with the bundled model (specs/kernel/v6.18). Both \
        are called with the same arguments on the same layout (every layout of at most --vmas VMAs) \
        and must return the same. Exit 0 equivalent within the stated bounds, 10 they differ (the \
        input is printed, replayed on both), 5 undecided, 2 a tree or function that cannot be read.
        """)

    @ArgumentParser.Argument(help: "The function to compare (as the kernel names it, e.g. vm_unmapped_area).")
    var function: String

    @Option(name: .customLong("kernel-tree"), help: "A kernel source tree or linux-source-*.tar.xz (once or twice).")
    var trees: [String] = []

    @Option(help: "The model spec for the bundled side (default: specs/kernel/v6.18/mmap.spec).")
    var model: String = "specs/kernel/v6.18/mmap.spec"

    @Option(name: .long, help: "Configuration.")
    var config = ConfigArgument(.x86_64)

    @Option(help: ArgumentHelp("What callers guarantee, as a C expression over the inputs (repeatable): the comparison is then for the inputs callers can give. A struct parameter's fields are named info_length, ...", valueName: "expression"))
    var assume: [String] = []

    @Option(help: "Layouts of at most this many VMAs.")
    var vmas: Int = 1

    @Option(help: "Loop unwinding bound.")
    var unwind: Int = 3

    @Option(name: .long, parsing: .unconditional, help: "Budget in seconds.")
    var timeout: Double = 120

    @Flag(help: "Print JSON.")
    var json = false

    @OptionGroup var solverOptions: SolverOptions

    func validate() throws {
        guard (1...2).contains(trees.count) else { throw ValidationError("give one or two --kernel-tree options") }
        guard (0...8).contains(vmas) else { throw ValidationError("--vmas must be in 0...8") }
        guard (1...64).contains(unwind) else { throw ValidationError("--unwind must be in 1...64") }
        try Validate.seconds(timeout, "--timeout")
    }

    func run() throws {
        let cfg = config.config
        func load(_ tree: String?) throws -> (Program, String) {
            guard let tree else {
                return (try SpecLoader.load(path: model, model: cfg.dataModel).program, "the bundled model (\(model))")
            }
            let t = try KernelTree(path: tree)
            let functions = try TreeFunctions(tree: t, config: cfg)
            if let e = functions.entries.first(where: { $0.function.name == function }), let d = functions.failure(of: e) { throw d }
            let program = try SpecLoader.load(path: model, model: cfg.dataModel, replacement: functions).program
            return (program, "\(tree)\(t.version.map { " (Linux \($0))" } ?? "")")
        }
        let (a, nameA) = try load(trees[0])
        let (b, nameB) = try load(trees.count == 2 ? trees[1] : nil)
        let diff: VersionDiff
        do {
            diff = try VersionDiff(function: function, a: a, b: b, config: cfg, vmas: vmas, unwind: unwind, names: (nameA, nameB), assumptions: assume)
        } catch let e as VersionDiff.Failure {
            throw InputError(file: function, line: 0, message: e.description, text: "")
        }
        var options = ProverOptions(config: cfg, timeoutSeconds: timeout, rlimit: nil, defaultUnwind: unwind,
                                    minimizationBudget: 64, keepQuery: false)
        options.defaultLayoutVMAs = vmas
        options.solver = try solverOptions.choice()
        let result = try Prover(options: options).prove(diff.property, in: diff.product, file: function)
        let header = "\(function): \(nameA) against \(nameB)"
        switch result.verdict {
        case .proved:
            print(json ? try jsonText(["function": function, "first": nameA, "second": nameB, "verdict": "equivalent", "bounds": "\(result.bounds)"])
                       : "\(header)\n  equivalent for every input  [\(result.bounds)]")
        case .counterexample(let c) where !c.failures.contains(where: { $0.text.hasSuffix(VersionDiff.comparisonMarker) })
                                          && c.failures.allSatisfy({ $0.kind == .unwinding || $0.kind == .invariant }):
            // Not a difference: on this input a loop ran past the bound (or past the invariant
            // hugealign supplies for it), so the results were not compared there.
            let inputs = c.inputs.map { "\($0.name) = 0x\(String($0.bits, radix: 16))" }.joined(separator: ", ")
            let what = c.failures.map(\.text).joined(separator: "; ")
            let reason = "\(what) on \(inputs): raise --unwind, or --assume what callers guarantee"
            print(json ? try jsonText(["function": function, "verdict": "unknown", "reason": reason]) : "\(header)\n  undecided: \(reason)")
            throw ExitCode(ExitStatus.unknown.rawValue)
        case .counterexample(let c):
            if json {
                let data = try JSONEncoder().encode(c)
                print(try jsonText(["function": function, "first": nameA, "second": nameB, "verdict": "differs", "bounds": "\(result.bounds)",
                                    "counterexample": try JSONSerialization.jsonObject(with: data)]))
            } else {
                let compared = c.failures.contains { $0.text.hasSuffix(VersionDiff.comparisonMarker) }
                print("\(header)\n  \(compared ? "they differ" : "a version fails on this input")  [\(result.bounds)]")
                print("  inputs:  " + c.inputs.map { "\($0.name) = 0x\(String($0.bits, radix: 16))\($0.relevant ? "" : " (any value)")" }.joined(separator: ", "))
                if let layout = c.layout, !layout.isEmpty {
                    print("  layout:  " + layout.map { "[0x\(String($0.start, radix: 16)), 0x\(String($0.end, radix: 16))) flags 0x\(String($0.flags, radix: 16))" }.joined(separator: ", "))
                }
                for (k, v) in c.locals.sorted(by: { $0.key < $1.key }) where k.contains("(first)") || k.contains("(second)") {
                    print("  \(k): \(v)")
                }
                for f in c.failures { print("  failed:  \(f.kind == .assertion ? "" : "\(f.kind): ")\(f.text) (\(f.location))") }
                print("  replay:  the concrete evaluator runs both versions on these inputs and gets these results")
            }
            throw ExitCode(ExitStatus.counterexample.rawValue)
        case .unknown(let reason):
            print(json ? try jsonText(["function": function, "verdict": "unknown", "reason": reason]) : "\(header)\n  undecided: \(reason)")
            throw ExitCode(ExitStatus.unknown.rawValue)
        case .internalError(let text):
            FileHandleStream.standardError.write("hugealign: internal error: \(text)\n")
            throw ExitCode(ExitStatus.internalError.rawValue)
        }
    }

    func jsonText(_ object: [String: Any]) throws -> String {
        String(decoding: try JSONSerialization.data(withJSONObject: object, options: [.prettyPrinted, .sortedKeys]), as: UTF8.self)
    }
}

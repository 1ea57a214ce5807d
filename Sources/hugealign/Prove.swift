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

    @Option(name: .long, help: "Configuration (\(Config.names.joined(separator: ", "))).")
    var config: String = "x86_64"

    @Option(name: .long, help: "Solver timeout per property, in seconds.")
    var timeout: Double = 30

    @Option(name: .long, help: "Z3 resource budget per property (deterministic: the same verdicts on a loaded machine), if set.")
    var rlimit: UInt64?

    @Option(name: .long, help: "Loop unwinding bound for properties without an 'unwind' clause.")
    var unwind: Int = 8

    @Option(name: .long, help: "Symbolic VMAs for properties that use the layout but have no 'layout vmas <= N' clause.")
    var vmas: Int = 4

    @Flag(name: .long, help: "Print results as JSON (schema in docs/json-report.md).")
    var json = false

    @Option(name: .customLong("smt2-out"), help: "Write each property's SMT-LIB2 query into this folder.")
    var smt2Out: String?

    @Flag(name: .customLong("check-expectations"), help: "Exit 0 when every verdict matches its '// expect:' comment, 10 otherwise.")
    var checkExpectations = false

    @Flag(name: .long, help: "Print solver statistics (checks, time) per property.")
    var stats = false

    @Option(help: "Properties proved in parallel (results are printed in order when all are done).")
    var jobs: Int = 1

    @Option(help: "Write each counterexample's reports (JSON, text, SVG, SMT-LIB2, C reproducer) into this folder.")
    var out: String?

    @Option(name: .customLong("minimize-budget"), help: "Solver checks spent shrinking a counterexample (0: report the first model).")
    var minimizeBudget: Int = 96

    func validate() throws {
        guard Config.named(config) != nil else {
            throw ValidationError("unknown config '\(config)'; known: \(Config.names.joined(separator: ", "))")
        }
        guard timeout > 0 else { throw ValidationError("--timeout must be positive") }
        guard (1...10_000).contains(unwind) else { throw ValidationError("--unwind must be in 1...10000") }
        guard (0...64).contains(vmas) else { throw ValidationError("--vmas must be in 0...64") }
        guard (1...64).contains(jobs) else { throw ValidationError("--jobs must be in 1...64") }
    }

    func run() throws {
        let cfg = Config.named(config)!
        var options = ProverOptions(config: cfg, timeoutSeconds: timeout, rlimit: rlimit, defaultUnwind: unwind,
                                    minimizationBudget: max(0, minimizeBudget), keepQuery: smt2Out != nil || out != nil)
        options.defaultLayoutVMAs = vmas
        // One prover per job; Ctrl-C interrupts the checks in progress and no new one starts.
        let provers = (0..<jobs).map { _ in Prover(options: options) }
        let interrupted = Interruption { for p in provers { p.interrupt() } }
        var results: [PropertyResult] = []
        var diagnostics: [String] = []
        var internalFailure = false

        let files: [String]
        do {
            files = try SpecLoader.specFiles(in: paths)
        } catch let d as Diagnostic {
            FileHandleStream.standardError.write("hugealign: \(d.message)\n")
            throw ExitCode(ExitStatus.inputError.rawValue)
        }
        if let dir = smt2Out {
            try? FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        }
        // Plan every file first (spec errors are reported here), then prove.
        var work: [(file: String, item: SpecPlan.Item)] = []
        for file in files {
            do {
                let plan = try SpecPlan(file: file, defaultConfig: cfg, only: property)
                work += plan.items.map { (file, $0) }
            } catch let d as Diagnostic {
                diagnostics.append(d.description)
                FileHandleStream.standardError.write(d.description + "\n")
            }
        }
        let found = !work.isEmpty
        var lastFile: String?
        // Prints one result and writes its files; results come in plan order.
        func emit(_ index: Int, _ outcome: Result<PropertyResult, Error>) throws {
            let (file, item) = work[index]
            if !json && file != lastFile { print("\(file):"); lastFile = file }
            let r: PropertyResult
            switch outcome {
            case .success(let x): r = x
            case .failure(let error):
                let msg = "\(file): property \(item.property.name): \(error)"
                diagnostics.append(msg)
                FileHandleStream.standardError.write(msg + "\n")
                return
            }
            if case .internalError = r.verdict { internalFailure = true }
            results.append(r)
            if let dir = smt2Out, let q = r.smtlib2 {
                let stem = ((file as NSString).lastPathComponent as NSString).deletingPathExtension
                try AtomicFile.write(q, to: (dir as NSString).appendingPathComponent("\(stem).\(item.property.name).smt2"))
            }
            if let dir = out, case .counterexample(let cex) = r.verdict {
                let f = Finding(engine: "prover", spec: file, property: item.property.name, config: item.config.name, bounds: r.bounds,
                                seed: nil, sequence: nil, counterexample: cex)
                _ = try SearchSupport.write(f, config: item.config, smtlib2: r.smtlib2, to: dir)
            }
            if !json {
                print("  " + TextReport.line(r))
                let d = TextReport.details(r)
                if !d.isEmpty { print(d.split(separator: "\n").map { "  " + $0 }.joined(separator: "\n")) }
                if stats { print("      stats: \(r.solverChecks) solver checks, first check \(String(format: "%.4f", r.firstCheckSeconds)) s, total \(String(format: "%.4f", r.seconds)) s, \(r.resourcesUsed) resource units") }
            }
        }
        if jobs == 1 {
            for index in work.indices {
                if interrupted.happened { break }
                try emit(index, Result { try provers[0].prove(work[index].item, file: work[index].file) })
            }
        } else {
            // Each job takes the next property; results are printed in plan order at the end.
            final class Shared: @unchecked Sendable {
                let lock = NSLock()
                var next = 0
                var outcomes: [Int: Result<PropertyResult, Error>] = [:]
            }
            let shared = Shared()
            let items = work
            DispatchQueue.concurrentPerform(iterations: jobs) { j in
                while true {
                    shared.lock.lock()
                    let index = shared.next
                    shared.next += 1
                    shared.lock.unlock()
                    if index >= items.count || interrupted.happened { return }
                    let r = Result { try provers[j].prove(items[index].item, file: items[index].file) }
                    shared.lock.lock(); shared.outcomes[index] = r; shared.lock.unlock()
                }
            }
            for index in work.indices { if let o = shared.outcomes[index] { try emit(index, o) } }
        }
        if let name = property, !found && diagnostics.isEmpty {
            FileHandleStream.standardError.write("hugealign: no property named '\(name)' in \(paths.joined(separator: " "))\n")
            throw ExitCode(ExitStatus.usage.rawValue)
        }
        if json {
            print(try JSONReport(results: results, diagnostics: diagnostics).encoded())
        } else {
            print(TextReport.summary(results) + (interrupted.happened ? " (interrupted: results so far)" : ""))
        }
        let status: ExitStatus
        if internalFailure { status = .internalError }
        else if !diagnostics.isEmpty { status = .inputError }
        else if checkExpectations {
            let bad = results.filter { !$0.matchesExpectation }
            status = bad.isEmpty ? .ok : (bad.contains { $0.verdict.name == "unknown" } ? .unknown : .counterexample)
        }
        else if results.contains(where: { $0.verdict.name == "counterexample" }) { status = .counterexample }
        else if results.contains(where: { $0.verdict.name == "unknown" }) || interrupted.happened { status = .unknown }
        else { status = .ok }
        if status != .ok { throw ExitCode(status.rawValue) }
    }
}

/// Ctrl-C: the first interrupts the running check and stops after it, so results so far are
/// written; the second exits at once.
final class Interruption: @unchecked Sendable {
    private var source: DispatchSourceSignal?
    private let lock = NSLock()
    private var count = 0
    var happened: Bool { lock.lock(); defer { lock.unlock() }; return count > 0 }

    init(onInterrupt: @escaping @Sendable () -> Void) {
        signal(SIGINT, SIG_IGN)
        let s = DispatchSource.makeSignalSource(signal: SIGINT, queue: .global())
        s.setEventHandler { [weak self] in
            guard let self else { return }
            self.lock.lock()
            self.count += 1
            let n = self.count
            self.lock.unlock()
            if n > 1 { Foundation.exit(130) }
            FileHandleStream.standardError.write("\nhugealign: interrupted; finishing with the results so far (Ctrl-C again to quit)\n")
            onInterrupt()
        }
        s.resume()
        source = s
    }
}

/// The run that Ctrl-C should stop, for commands that run one search after another.
final class StopTarget: @unchecked Sendable {
    private let lock = NSLock()
    private var action: (@Sendable () -> Void)?
    func set(_ a: @escaping @Sendable () -> Void) { lock.lock(); action = a; lock.unlock() }
    func fire() { lock.lock(); let a = action; lock.unlock(); a?() }
}

/// stderr as a text stream.
enum FileHandleStream {
    static let standardError = StandardError()
    struct StandardError {
        func write(_ s: String) { FileHandle.standardError.write(Data(s.utf8)) }
    }
}

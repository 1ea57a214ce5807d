import ArgumentParser
import Engines
import Foundation
import KernelC
import KernelTree
import Placement
import Reports

struct Report: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Prove the specs of a folder and write a Markdown results page (verdicts, bounds, times, counterexample pictures).")

    @ArgumentParser.Argument(help: "Spec files or folders.") var paths: [String]
    @Option(help: "The page to write (e.g. docs/seed-results.md).") var out: String
    @Option(help: "The page's title.") var title: String = "hugealign results"
    @Option(parsing: .unconditional, help: "Wall-clock bound of each property in seconds; the budget that decides is Z3's resource count (deterministic, so the page is the same on a busy machine).")
    var timeout: Double = ProverOptions.deterministicTimeoutSeconds

    @Option(parsing: .unconditional, help: "Properties proved in parallel (the page is the same whatever the number).")
    var jobs: Int = 1

    @Option(name: .customLong("kernel-tree"), help: "Prove the properties against this kernel tree's placement functions (repeatable): the page then has a column per tree beside the bundled models' verdicts.")
    var trees: [String] = []

    @OptionGroup var solverOptions: SolverOptions

    func validate() throws {
        try Validate.seconds(timeout, "--timeout")
        guard (1...64).contains(jobs) else { throw ValidationError("--jobs must be in 1...64") }
    }

    func run() throws {
        let files = try SpecLoader.specFiles(in: paths)
        if !trees.isEmpty { return try versionsPage(files) }
        let byFile = try prove(files, replacements: nil)
        let pages = files.map { ResultsPage.File(path: $0, text: readWholeFile($0) ?? "", results: byFile.results[$0] ?? []) }
        let command = "hugealign report \(paths.joined(separator: " ")) --out \(out)" + (title == "hugealign results" ? "" : " --title \"\(title)\"")
        try AtomicFile.write(ResultsPage.markdown(title: title, command: command, files: pages), to: out)
        print("wrote \(out)")
        if byFile.internalError { throw ExitCode(ExitStatus.internalError.rawValue) }
        if byFile.mismatch { throw ExitCode(ExitStatus.counterexample.rawValue) }
    }

    /// Every property of the files proved (under `replacements`), by file, in plan order.
    func prove(_ files: [String], replacements: SpecPlan.Replacements?) throws -> (results: [String: [PropertyResult]], mismatch: Bool, internalError: Bool) {
        var options = ProverOptions.deterministic()
        options.timeoutSeconds = timeout
        options.solver = try solverOptions.choice()
        let work = try ProofCampaign.plan(files, replacements: replacements)
        if work.isEmpty { throw InputError(file: "hugealign", line: 0, message: "no properties in \(paths.joined(separator: " ")): nothing was checked", text: "") }
        let campaign = ProofCampaign(work: work, options: options, jobs: jobs)
        let interruption = Interruption { campaign.interrupt() }
        var byFile: [String: [PropertyResult]] = [:]
        var mismatch = false, internalError = false
        try campaign.run { index, outcome in
            guard let outcome else { return }
            let r = try outcome.get()
            print(TextReport.line(r))
            if !r.matchesExpectation { mismatch = true }
            if case .internalError = r.verdict { internalError = true }
            byFile[work[index].file, default: []].append(r)
        }
        _ = interruption
        if let stopped = campaign.stopReason {
            FileHandleStream.standardError.write("hugealign report: \(stopped.text); the page is not written\n")
            throw ExitCode(ExitStatus.unknown.rawValue)
        }
        return (byFile, mismatch, internalError)
    }

    /// `--kernel-tree`: a column per tree beside the bundled models' verdicts (docs/kernel-versions.md).
    func versionsPage(_ files: [String]) throws {
        var bundled: [(file: String, property: String, expected: String, notes: [String])] = []
        for file in files {
            for item in try SpecPlan(file: file, defaultConfig: .x86_64).items {
                bundled.append((file, item.property.name, item.property.expected?.rawValue ?? "—", item.property.versionNotes))
            }
        }
        var columns: [VersionsPage.Column] = []
        var mismatch = false, internalError = false
        for path in trees {
            let tree = try KernelTree(path: path)
            let cache = TreeCache(tree: tree)
            let proved = try prove(files, replacements: { try cache.functions(for: $0) })
            mismatch = mismatch || proved.mismatch
            internalError = internalError || proved.internalError
            columns.append(VersionsPage.Column(name: "Linux \(tree.version ?? path)", results: files.flatMap { proved.results[$0] ?? [] }))
        }
        let command = "hugealign report \(paths.joined(separator: " "))" + trees.map { " --kernel-tree \($0)" }.joined()
            + " --out \(out)" + (title == "hugealign results" ? "" : " --title \"\(title)\"")
        try AtomicFile.write(VersionsPage.markdown(title: title, command: command, bundled: bundled, columns: columns), to: out)
        print("wrote \(out)")
        if internalError { throw ExitCode(ExitStatus.internalError.rawValue) }
        if mismatch { throw ExitCode(ExitStatus.counterexample.rawValue) }
    }
}

import ArgumentParser
import Engines
import Foundation
import KernelC
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

    @OptionGroup var tree: KernelTreeOptions

    func validate() throws {
        try Validate.seconds(timeout, "--timeout")
        guard (1...64).contains(jobs) else { throw ValidationError("--jobs must be in 1...64") }
    }

    func run() throws {
        let files = try SpecLoader.specFiles(in: paths)
        var options = ProverOptions.deterministic()
        options.timeoutSeconds = timeout
        var work: [ProofCampaign.Work] = []
        let replacements = try tree.replacements()
        // A folder may hold model-only specs (no properties) that others include: they add nothing.
        for file in files {
            work += try SpecPlan(file: file, defaultConfig: .x86_64, replacements: replacements).items.map { ProofCampaign.Work(file: file, item: $0) }
        }
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
        let pages = files.map { ResultsPage.File(path: $0, text: readWholeFile($0) ?? "", results: byFile[$0] ?? []) }
        let command = "hugealign report \(paths.joined(separator: " "))" + (tree.kernelTree.map { " --kernel-tree \($0)" } ?? "")
            + " --out \(out)" + (title == "hugealign results" ? "" : " --title \"\(title)\"")
        let source = work.first?.item.program.functionSource
        try AtomicFile.write(ResultsPage.markdown(title: title, command: command, files: pages, source: source), to: out)
        print("wrote \(out)")
        if internalError { throw ExitCode(ExitStatus.internalError.rawValue) }
        if mismatch { throw ExitCode(ExitStatus.counterexample.rawValue) }
    }
}

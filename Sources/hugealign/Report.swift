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

    func validate() throws { try Validate.seconds(timeout, "--timeout") }

    func run() throws {
        let files = try CLIError.specFiles(paths)
        var options = ProverOptions.deterministic()
        options.timeoutSeconds = timeout
        let prover = Prover(options: options)
        var pages: [ResultsPage.File] = []
        var mismatch = false, internalError = false
        for file in files {
            let plan = try SearchSupport.plan(file, config: .x86_64, property: nil)
            var results: [PropertyResult] = []
            for item in plan.items {
                let r = try prover.prove(item, file: file)
                print(TextReport.line(r))
                if !r.matchesExpectation { mismatch = true }
                if case .internalError = r.verdict { internalError = true }
                results.append(r)
            }
            pages.append(ResultsPage.File(path: file, text: readWholeFile(file) ?? "", results: results))
        }
        let command = "hugealign report \(paths.joined(separator: " ")) --out \(out)" + (title == "hugealign results" ? "" : " --title \"\(title)\"")
        try AtomicFile.write(ResultsPage.markdown(title: title, command: command, files: pages), to: out)
        print("wrote \(out)")
        if internalError { throw ExitCode(ExitStatus.internalError.rawValue) }
        if mismatch { throw ExitCode(ExitStatus.counterexample.rawValue) }
    }
}

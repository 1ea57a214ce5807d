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
    @Option(help: "Solver timeout per property, in seconds.") var timeout: Double = 60

    func run() throws {
        let files: [String]
        do { files = try SpecLoader.specFiles(in: paths) } catch let d as Diagnostic {
            FileHandleStream.standardError.write("hugealign: \(d.message)\n")
            throw ExitCode(ExitStatus.inputError.rawValue)
        }
        let prover = Prover(options: ProverOptions(config: .x86_64, timeoutSeconds: timeout))
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

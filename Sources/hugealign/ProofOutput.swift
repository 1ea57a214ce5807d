import Engines
import Foundation
import Reports

/// What `prove` prints and writes as results arrive: a verdict line per property under its file's
/// name (or JSON at the end), the SMT-LIB2 query and counterexample reports when asked, the
/// diagnostics, and from all of it the exit status (design §4).
struct ProofOutput {
    let json: Bool
    let stats: Bool
    let smt2Out: String?
    let reports: String?
    private(set) var results: [PropertyResult] = []
    private(set) var diagnostics: [String] = []
    private var lastFile: String?

    init(json: Bool, stats: Bool, smt2Out: String?, reports: String?) {
        self.json = json
        self.stats = stats
        self.smt2Out = smt2Out
        self.reports = reports
    }

    mutating func diagnose(_ message: String) {
        diagnostics.append(message)
        FileHandleStream.standardError.write(message + "\n")
    }

    mutating func emit(_ w: ProofCampaign.Work, _ outcome: Result<PropertyResult, Error>) {
        if !json && w.file != lastFile { print("\(w.file):"); lastFile = w.file }
        let r: PropertyResult
        switch outcome {
        case .success(let x): r = x
        case .failure(let error):
            diagnose("\(w.file): property \(w.item.property.name): \(error)")
            return
        }
        results.append(r)
        do {
            if let dir = smt2Out, let q = r.smtlib2 {
                let stem = ((w.file as NSString).lastPathComponent as NSString).deletingPathExtension
                try AtomicFile.write(q, to: (dir as NSString).appendingPathComponent("\(stem).\(w.item.property.name).smt2"))
            }
            if let dir = reports, case .counterexample(let cex) = r.verdict {
                let f = Finding(engine: .prover, spec: w.file, property: w.item.property.name, config: w.item.config.name, bounds: r.bounds,
                                seed: nil, sequence: nil, counterexample: cex)
                _ = try SearchSupport.write(f, config: w.item.config, smtlib2: r.smtlib2, to: dir)
            }
        } catch {
            diagnose("hugealign: cannot write the reports of \(w.item.property.name): \(CLIError.describe(error))")
        }
        guard !json else { return }
        print("  " + TextReport.line(r))
        let d = TextReport.details(r)
        if !d.isEmpty { print(d.split(separator: "\n").map { "  " + $0 }.joined(separator: "\n")) }
        if stats {
            print("      stats: \(r.solverChecks) solver checks, first check \(String(format: "%.4f", r.firstCheckSeconds)) s, total \(String(format: "%.4f", r.seconds)) s, \(r.resourcesUsed) resource units\(r.bitwuzlaProofs > 0 ? ", \(r.bitwuzlaProofs) proved by Bitwuzla \(SolverChoice.bitwuzlaVersion ?? "")" : "")\(r.bitwuzlaModels > 0 ? ", the model by Bitwuzla \(SolverChoice.bitwuzlaVersion ?? "")" : "")\(r.newerZ3Proofs > 0 ? ", \(r.newerZ3Proofs) proved by Z3 \(SolverChoice.newerZ3Version ?? "")" : "")\(r.pruningChecks > 0 ? ", \(r.prunedCalls) of \(r.pruningChecks) costly calls asked about skipped as infeasible" : "")")
        }
    }

    /// The JSON document, or the summary line.
    func finish(stopped: ProofCampaign.StopReason?) throws {
        if json {
            print(try JSONReport(results: results, diagnostics: diagnostics).encoded())
        } else if !results.isEmpty || diagnostics.isEmpty {
            print(TextReport.summary(results) + (stopped.map { " (\($0.text): results so far)" } ?? ""))
        }
    }

    func status(checkExpectations: Bool, stopped: Bool) -> ExitStatus {
        if results.contains(where: { $0.verdict.kind == .internalError }) { return .internalError }
        if !diagnostics.isEmpty { return .inputError }
        if checkExpectations {
            let bad = results.filter { !$0.matchesExpectation }
            if !bad.isEmpty { return bad.contains { $0.verdict.kind == .unknown } ? .unknown : .counterexample }
            return stopped ? .unknown : .ok
        }
        if results.contains(where: { $0.verdict.kind == .counterexample }) { return .counterexample }
        if results.contains(where: { $0.verdict.kind == .unknown }) || stopped { return .unknown }
        return .ok
    }
}

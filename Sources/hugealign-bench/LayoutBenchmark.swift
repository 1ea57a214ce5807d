import Engines
import Foundation
import KernelC

/// Issue 10's first acceptance point: every layout property of specs/properties proved at 64 bits
/// on x86_64 for every layout (`layout any`), each alone and end to end (the CLI's defaults: a
/// 30 s budget, the solvers this machine has, every core for its side-by-side checks), `runs`
/// times — the machine's speed drifts, so the median and the worst are shown. The contracts such
/// a proof uses are proved first, once per process as in a run, and shown on lines of their own.
func benchLayout(runs: Int, only: String? = nil) throws {
    var options = ProverOptions(timeoutSeconds: 30)
    options.concreteSearchRuns = 20_000
    let prover = Prover(options: options)
    let files = try SpecLoader.specFiles(in: [repoPath("specs/properties")])
    say("| property (x86_64, every layout) | median | worst | verdict |")
    say("|---|---|---|---|")
    var proved: Set<String> = []
    var over: [String] = []
    for file in files {
        let plan = try SpecPlan(file: file, defaultConfig: .x86_64)
        for item in plan.items where item.property.anyLayout && item.config.name.hasPrefix("x86_64") {
            if let only, item.property.name != only { continue }
            // Innermost first, so that each line is that contract's own proof.
            for (c, options, key, _) in prover.contractProofs(item) where proved.insert(key).inserted {
                let r = try prover.proveContract(c, in: item.program, file: file, options: options)
                say("| contract of `\(c.name)` (\(item.config.name), once per run) | \(String(format: "%.2f s", r.seconds)) | | \(r.verdict.kind.rawValue) |")
            }
            var times: [Double] = []
            var verdicts: Set<String> = []
            for _ in 0..<runs {
                let r = try prover.prove(item, file: file)
                times.append(r.seconds)
                verdicts.insert(r.verdict.kind.rawValue)
            }
            times.sort()
            let median = times[times.count / 2]
            if median > 1 { over.append(item.property.name) }
            say("| `\(item.property.name)`\(item.config.name == "x86_64" ? "" : " (\(item.config.name))") | "
                + "\(String(format: "%.2f s", median)) | \(String(format: "%.2f s", times.last ?? 0)) | \(verdicts.sorted().joined(separator: ", ")) |")
        }
    }
    say("over 1 s (median): \(over.isEmpty ? "none" : over.joined(separator: ", "))")
}

import Engines
import Foundation
import KernelC

/// `prove specs --check-expectations --jobs N` as the CI runs it, timed once per solver choice
/// (`SolverChoice`): wall time, the sum of the properties' times, whether every verdict was the
/// expected one, and the slowest properties side by side. Issue 10 asks for ≤ 60 s on 2 cores.
func benchSuite(jobs: Int, solvers: [SolverChoice]) throws {
    let work = try ProofCampaign.plan(try SpecLoader.specFiles(in: [repoPath("specs")]))
    var times: [SolverChoice: [String: Double]] = [:]
    for solver in solvers {
        if solver != .z3 && SolverChoice.bitwuzlaVersion == nil {
            say("suite, \(solver.rawValue): Bitwuzla is not installed (pip install bitwuzla); skipped")
            continue
        }
        var options = ProverOptions.deterministic()
        options.solver = solver
        let start = ContinuousClock.now
        var expected = 0, sum = 0.0
        var mine: [String: Double] = [:]
        try ProofCampaign(work: work, options: options, jobs: jobs).run { i, outcome in
            guard let r = try outcome?.get() else { return }
            if r.expected == nil || r.expected?.rawValue == r.verdict.kind.rawValue { expected += 1 }
            sum += r.seconds
            mine[work[i].item.property.name] = r.seconds
        }
        let wall = (ContinuousClock.now - start).seconds
        times[solver] = mine
        say("suite, --solver \(solver.rawValue), \(jobs) jobs: \(work.count) properties, \(expected) as expected; wall \(String(format: "%.1f", wall)) s, sum of properties \(String(format: "%.1f", sum)) s")
    }
    guard let first = solvers.first, let base = times[first] else { return }
    let others = solvers.dropFirst().filter { times[$0] != nil }
    say("| property | " + ([first] + others).map { "--solver \($0.rawValue)" }.joined(separator: " | ") + " |")
    say("|---|" + String(repeating: "---|", count: 1 + others.count))
    for (name, t) in base.sorted(by: { $0.value > $1.value }).prefix(12) {
        say("| `\(name)` | " + ([t] + others.map { times[$0]?[name] ?? .nan }).map { String(format: "%.2f s", $0) }.joined(separator: " | ") + " |")
    }
}

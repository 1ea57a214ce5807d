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

/// The properties of the 64-bit specs that name contracts, proved with them and without (issue 10's
/// before/after): each contract's own proof first (once per configuration, as in a run), then each
/// property through the proved contracts — its own time — and the same property with its calls
/// encoded as they are, within `seconds`. `only`: one spec file's name (placement_64_fit.spec).
func benchContracts(seconds: Double, only: String? = nil) throws {
    var options = ProverOptions(timeoutSeconds: seconds)
    options.concreteSearchRuns = 20_000
    let prover = Prover(options: options)
    say("| contract or property | config | with contracts | without |")
    say("|---|---|---|---|")
    func shown(_ r: PropertyResult) -> String {
        let verdict: String
        switch r.verdict {
        case .proved: verdict = "proved"
        case .counterexample: verdict = "counterexample"
        case .unknown(let why): verdict = "unknown (\(why.prefix(40)))"
        case .internalError: verdict = "internal error"
        }
        return "\(verdict), \(String(format: "%.2f", r.seconds)) s"
    }
    // A contract is proved once per configuration: the second spec shares the first's proof.
    var proved: Set<String> = []
    for name in ["placement_64.spec", "vm_unmapped_area_64.spec", "placement_64_fit.spec"] where only == nil || name == only {
        let file = repoPath("specs/properties/\(name)")
        let plan = try SpecPlan(file: file, defaultConfig: .x86_64)
        for item in plan.items where !item.property.contracts.isEmpty {
            for c in item.property.contracts.map({ item.program.contracts[$0] }) where proved.insert("\(c.name) \(item.config.name)").inserted {
                let r = try prover.proveContract(c, in: item.program, file: file, config: item.config)
                say("| contract of `\(c.name)` | \(item.config.name) | \(shown(r)) (its own proof) | — |")
            }
            let with = try prover.prove(item, file: file)
            var plain = item
            plain.property.contracts = []
            let without = try prover.prove(plain, file: file)
            say("| `\(item.property.name)` | \(item.config.name) | \(shown(with)) | \(shown(without)) |")
        }
    }
}

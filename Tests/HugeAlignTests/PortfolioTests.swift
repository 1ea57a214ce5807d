import Engines
import Foundation
import KernelC
import SMT
import Testing

/// The solver portfolio (`--solver`): Bitwuzla's `unsat` is a proof, every model and counterexample
/// stays Z3's, a canceled check stops its worker, and a missing Bitwuzla is said, not hidden.
/// Bitwuzla is optional (`pip install bitwuzla`): without it these tests are skipped.
@Suite(.serialized, .enabled(if: ExternalSolver.bitwuzla.version != nil, "Bitwuzla's Python binding is not installed (pip install bitwuzla)"))
struct PortfolioTests {
    func prove(_ spec: String, _ property: String, solver: SolverChoice) throws -> PropertyResult {
        let path = Paths.repo(spec)
        var options = ProverOptions.deterministic(config: .scaled8)
        options.solver = solver
        let unit = try SpecLoader.load(path: path, model: options.config.dataModel)
        let p = try #require(unit.program.properties.first { $0.name == property })
        return try Prover(options: options).prove(p, in: unit.program, file: path)
    }

    /// The same proof with and without Bitwuzla; with it, Bitwuzla gave it and Z3 spent nothing.
    @Test func bitwuzlaProvesWhatZ3Proves() throws {
        let z3 = try prove("specs/properties/vm_unmapped_area.spec", "unmapped_area_in_window_bottomup", solver: .z3)
        let both = try prove("specs/properties/vm_unmapped_area.spec", "unmapped_area_in_window_bottomup", solver: .portfolio)
        #expect(z3.verdict == .proved(vacuous: false))
        #expect(both.verdict == z3.verdict)
        #expect(z3.bitwuzlaProofs == 0)
        #expect(both.bitwuzlaProofs > 0)
        #expect(both.resourcesUsed < z3.resourcesUsed)
    }

    /// A counterexample is Z3's model, minimised and replayed as without the portfolio: the same
    /// values, whoever else was asked.
    @Test func counterexamplesStayZ3s() throws {
        let z3 = try prove("specs/properties/vm_unmapped_area.spec", "unmapped_area_topdown_guard_gap_at_zero", solver: .z3)
        let both = try prove("specs/properties/vm_unmapped_area.spec", "unmapped_area_topdown_guard_gap_at_zero", solver: .portfolio)
        guard case .counterexample(let a) = z3.verdict, case .counterexample(let b) = both.verdict else {
            Issue.record("expected counterexamples: \(z3.verdict), \(both.verdict)")
            return
        }
        #expect(a.inputs.map(\.bits) == b.inputs.map(\.bits))
        #expect(a.layout == b.layout)
        #expect(both.bitwuzlaProofs == 0)
    }

    /// Where Z3 leaves a property unknown and Bitwuzla found a model, that model — replayed — is the
    /// counterexample (a budget in seconds; with one in units the report stays Z3's).
    @Test func bitwuzlaModelWhereZ3HasNone() throws {
        // A 64-bit product of two 32-bit primes: Bitwuzla factors it at once, Z3 does not in seconds.
        let text = """
        property product(unsigned long x, unsigned long y)
        {
            assume(x > 1 && y > 1 && x < (1UL << 32) && y < (1UL << 32));
            assert(x * y != 0xffffffea00000055UL);
        }
        """
        let unit = try SpecLoader.load(text: text, path: "product.spec")
        func run(_ solver: SolverChoice, seconds: Double) throws -> PropertyResult {
            var options = ProverOptions(config: .x86_64, timeoutSeconds: seconds, minimizationBudget: 0)
            options.solver = solver
            return try Prover(options: options).prove(unit.program.properties[0], in: unit.program, file: "product.spec")
        }
        let z3 = try run(.z3, seconds: 3)
        #expect(z3.verdict.kind == .unknown, "Z3 factored it after all: \(z3.verdict)")
        let both = try run(.portfolio, seconds: 4)
        guard case .counterexample(let c) = both.verdict else { Issue.record("expected a counterexample: \(both.verdict)"); return }
        #expect(both.bitwuzlaModels == 1)
        #expect(c.inputs[0].bits &* c.inputs[1].bits == 0xffffffea00000055)
        #expect(Set([c.inputs[0].bits, c.inputs[1].bits]) == [4294967291, 4294967279])
    }

    /// Two rounds of a multiply-xorshift mix colliding on a sum and a product: well beyond 10 s.
    static let hard = """
    (declare-fun x () (_ BitVec 64))
    (declare-fun y () (_ BitVec 64))
    (define-fun m ((v (_ BitVec 64))) (_ BitVec 64) (bvxor (bvmul (bvxor v (bvlshr v #x000000000000001f)) #xff51afd7ed558ccd) (bvlshr v #x000000000000000b)))
    (assert (= (m (m (bvadd x y))) (m (m (bvmul x y)))))
    (assert (not (= (bvadd x y) (bvmul x y))))
    """

    /// A canceled check ends at once (its worker is killed), and the next check gets a new worker.
    @Test func canceledCheckStopsItsWorker() throws {
        let start = ContinuousClock.now
        let r = ExternalSolver.bitwuzla.check(Self.hard, milliseconds: 120_000) { w in
            guard let w else { return }
            DispatchQueue.global().asyncAfter(deadline: .now() + 0.5) { w.cancel() }
        }
        let took = ContinuousClock.now - start
        #expect(took > .milliseconds(400) && took < .seconds(10), "took \(took)")
        guard case .unknown = r else { Issue.record("a canceled check must be unknown, got \(r)"); return }
        let easy = "(declare-fun x () (_ BitVec 8))\n(assert (bvult x x))\n"
        #expect(ExternalSolver.bitwuzla.check(easy, milliseconds: 10_000) == .unsat)
        #expect(ExternalSolver.bitwuzla.check("(declare-fun x () (_ BitVec 8))\n(assert (= x #x05))\n", milliseconds: 10_000) == .sat)
    }

    /// A race (`ExternalSolver.race`, the pruning's two opinions at once) ends with its first
    /// decisive answer: the other solver's worker is stopped (its answer says so), and the next
    /// checks still get workers. An abandoned race stops every worker. With no decisive answer,
    /// each answers on its own.
    @Test func aRaceStopsTheSlowerOpinion() throws {
        let easy = "(declare-fun x () (_ BitVec 8))\n(assert (bvult x x))\n"
        let (winner, answers) = ExternalSolver.race([(.bitwuzla, Self.hard, 120_000), (.bitwuzla, easy, 10_000)]) { _, r in r == .unsat }
        #expect(winner == 1)
        #expect(answers[1] == .unsat)
        #expect(answers[0] == .unknown(reason: "bitwuzla worker stopped"), "the slower one ran on: \(answers[0])")
        // Abandoned (Ctrl-C, a spent budget): every worker is stopped, none decides.
        let asked = ContinuousClock.now
        let abandoned = ExternalSolver.race([(.bitwuzla, Self.hard, 120_000)], abandon: { ContinuousClock.now - asked > .milliseconds(300) }) { _, _ in true }
        #expect(abandoned.winner == nil)
        #expect(abandoned.answers == [.unknown(reason: "bitwuzla worker stopped")], "\(abandoned.answers)")
        let sat = "(declare-fun x () (_ BitVec 8))\n(assert (= x #x05))\n"
        let undecided = ExternalSolver.race([(.bitwuzla, sat, 10_000), (.bitwuzla, easy, 10_000)]) { _, _ in false }
        #expect(undecided.winner == nil)
        #expect(undecided.answers == [.sat, .unsat])
    }

    /// The JSON report says which proofs Bitwuzla gave, and nothing when Z3 decided alone.
    @Test func jsonSaysWhoProved() throws {
        let spec = Paths.repo("specs/examples/thp_alignment_lemma.spec")
        func entries(_ solver: String) throws -> [[String: Any]] {
            let r = try runCLI(["prove", spec, "--json", "--check-expectations", "--solver", solver])
            #expect(r.status == 0, "\(r.out)\(r.err)")
            let json = try JSONSerialization.jsonObject(with: Data(r.out.utf8)) as? [String: Any]
            return json?["results"] as? [[String: Any]] ?? []
        }
        let both = try entries("portfolio")
        #expect(both.contains { $0["verdict"] as? String == "proved" && $0["bitwuzla"] as? String == "proof" })
        #expect(both.allSatisfy { $0["verdict"] as? String == "proved" || $0["bitwuzla"] == nil })
        let z3 = try entries("z3")
        #expect(!z3.isEmpty && z3.allSatisfy { $0["bitwuzla"] == nil })
    }

    /// `--solver portfolio` without Bitwuzla is exit 3 with what to install (prove, report); `auto`
    /// then proves with Z3 alone.
    @Test func missingBitwuzlaIsSaid() throws {
        let spec = Paths.repo("specs/examples/thp_alignment_lemma.spec")
        let missing = ["HUGEALIGN_PYTHON": "/nonexistent/python3"]
        let portfolio = try runCLI(["prove", spec, "--solver", "portfolio"], environment: missing)
        #expect(portfolio.status == 3)
        #expect(portfolio.err.contains("pip install bitwuzla"))
        // The same option on the other commands that prove.
        let page = try temporaryFolder("portfolio") + "/page.md"
        let report = try runCLI(["report", "specs/examples", "--out", page, "--solver", "portfolio"], environment: missing)
        #expect(report.status == 3 && report.err.contains("pip install bitwuzla"), "\(report.out)\(report.err)")
        let auto = try runCLI(["prove", spec, "--stats", "--check-expectations"], environment: missing)
        #expect(auto.status == 0, "\(auto.out)\(auto.err)")
        #expect(!auto.out.contains("Bitwuzla"))
        let with = try runCLI(["prove", spec, "--stats", "--check-expectations", "--solver", "portfolio"])
        #expect(with.status == 0, "\(with.out)\(with.err)")
        #expect(with.out.contains("proved by Bitwuzla"))
    }

    /// A worker ends when its parent does, even while something else still holds its stdin open
    /// (as a second worker that inherited the pipe did, so two workers outlived hugealign and a
    /// caller reading hugealign's stderr to its end waited for ever). The worker's parent here is
    /// a shell the test kills; the test keeps the worker's stdin open.
    @Test func workersEndWithTheirParent() throws {
        let stdin = Pipe(), out = Pipe()
        let shell = Process()
        shell.executableURL = URL(fileURLWithPath: "/bin/sh")
        let python = ProcessInfo.processInfo.environment["HUGEALIGN_PYTHON"] ?? "python3"
        // A background job of sh reads /dev/null unless its stdin comes from another descriptor.
        shell.arguments = ["-c", "exec 3<&0; \(python) -u -c \"$HX_SCRIPT\" <&3 >/dev/null 2>&1 & echo $!; wait"]
        shell.environment = ProcessInfo.processInfo.environment.merging(["HX_SCRIPT": ExternalSolver.script]) { $1 }
        shell.standardInput = stdin
        shell.standardOutput = out
        try shell.run()
        var line = Data()
        while !line.contains(UInt8(ascii: "\n")) {
            let d = out.fileHandleForReading.availableData
            if d.isEmpty { break }
            line.append(d)
        }
        let worker = try #require(pid_t(String(decoding: line, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)))
        // Let it start (import bitwuzla, start its watch) before its parent goes.
        Thread.sleep(forTimeInterval: 1.5)
        #expect(Self.running(worker), "the worker did not start")
        kill(shell.processIdentifier, SIGKILL)
        shell.waitUntilExit()
        var gone = false
        for _ in 0..<100 where !gone {
            gone = !Self.running(worker)
            if !gone { Thread.sleep(forTimeInterval: 0.1) }
        }
        #expect(gone, "the worker outlived its parent by 10 s")
        if !gone { kill(worker, SIGKILL) }
        try? stdin.fileHandleForWriting.close()
    }

    /// Whether `pid` runs (a zombie waiting for its new parent to reap it does not).
    static func running(_ pid: pid_t) -> Bool {
        guard let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8),
              let close = stat.lastIndex(of: ")") else { return false }
        let state = stat[stat.index(close, offsetBy: 2)...].prefix(1)
        return state != "Z" && state != "X"
    }
}

/// The portfolio's newer Z3 (pip's `z3-solver`, newer than the linked libz3): its `unsat` on the
/// integer forms is the proof where it is installed, and `--solver z3` never asks it.
@Suite(.enabled(if: ExternalSolver.z3.version != nil, "no Z3 newer than the linked libz3 (pip install z3-solver)"))
struct NewerZ3Tests {
    @Test func itProvesTheIntegerFormsAndZ3AloneDoesNotAskIt() throws {
        let path = Paths.repo("specs/properties/vm_unmapped_area_64.spec")
        func prove(_ solver: SolverChoice) throws -> PropertyResult {
            // arm64: the x86_64 property goes through the contracts, whose proofs Z3 4.8 alone
            // takes minutes over.
            var options = ProverOptions.deterministic(config: .arm64_4k)
            options.solver = solver
            let unit = try SpecLoader.load(path: path, model: options.config.dataModel)
            let p = try #require(unit.program.properties.first { $0.name == "unmapped_area_in_window_bottomup_arm64" })
            return try Prover(options: options).prove(p, in: unit.program, file: path)
        }
        let auto = try prove(.auto), alone = try prove(.z3)
        #expect(auto.verdict == .proved(vacuous: false))
        #expect(alone.verdict == auto.verdict)
        #expect(auto.newerZ3Proofs > 0)
        #expect(alone.newerZ3Proofs == 0 && alone.bitwuzlaProofs == 0)
        #expect(auto.resourcesUsed < alone.resourcesUsed)
    }
}

/// Where no newer Z3 is installed, an integer-form property the linked Z3 leaves unknown says
/// what would decide it; with `--solver z3` (asked for) it does not.
@Suite struct MissingNewerZ3Tests {
    @Test func unknownIntegerFormsNameThePackage() throws {
        let spec = Paths.repo("specs/properties/vm_unmapped_area_64.spec")
        let missing = ["HUGEALIGN_PYTHON": "/nonexistent/python3"]
        let args = ["prove", spec, "--property", "unmapped_area_free_bottomup_arm64", "--timeout", "3"]
        let auto = try runCLI(args, environment: missing)
        #expect(auto.out.contains("unknown") && auto.out.contains("pip install z3-solver"), "\(auto.out)\(auto.err)")
        let alone = try runCLI(args + ["--solver", "z3"], environment: missing)
        #expect(alone.out.contains("unknown") && !alone.out.contains("pip install z3-solver"), "\(alone.out)\(alone.err)")
    }
}

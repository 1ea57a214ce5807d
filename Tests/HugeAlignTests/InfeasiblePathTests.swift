@testable import Engines
import Foundation
import HugeAlignTesting
import KernelC
import Placement
import SMT
import Semantics
import Testing

/// The prover's pruning of costly calls on infeasible paths (`InfeasiblePaths`): it must skip only
/// what no execution reaches. (That it brings the hint properties over every layout in reach is
/// checked where specs/properties/placement_64.spec is proved, `SpecSuiteTests`.)
@Suite struct InfeasiblePathTests {
    /// A costly callee (it loops) whose assertion fails for x == 3, called on a dead path, on a
    /// live one, and on a path that only a later assumption closes.
    static let spec = """
    static unsigned long costly(unsigned long x)
    {
        unsigned long i, s = 0;

        for (i = 0; i < 2; i++)
            s += x;
        assert(s != 6);
        return s;
    }

    property dead_call(unsigned long x)
    {
        assume(x > 10);
        if (x < 5)
            costly(x);
        assert(x > 10);
    }

    property live_call(unsigned long x)
    {
        assume(x < 5);
        if (x != 0)
            costly(x);
        assert(x < 5);
    }

    property closed_later(unsigned long x)
    {
        if (x < 5)
            costly(x);
        assume(x > 10);
        assert(x > 10);
    }
    """

    func prove(prune: Bool) throws -> [String: PropertyResult] {
        try proveAll(Self.spec, config: .x86_64) {
            $0.pruneInfeasibleCalls = prune
            $0.concreteSearchRuns = 0
        }
    }

    @Test func prunesOnlyWhatNoExecutionReaches() throws {
        let pruned = try prove(prune: true)
        let full = try prove(prune: false)
        for name in ["dead_call", "live_call", "closed_later"] {
            #expect(pruned[name]?.verdict.kind == full[name]?.verdict.kind, "\(name): pruning changed the verdict")
        }
        #expect(pruned["dead_call"]?.verdict.kind == .proved)
        #expect(pruned["dead_call"]?.prunedCalls == 1)
        // The live call stays, and its failure is found and replayed.
        #expect(pruned["live_call"]?.prunedCalls == 0)
        guard case .counterexample(let c)? = pruned["live_call"]?.verdict else {
            Issue.record("live_call: \(String(describing: pruned["live_call"]?.verdict))")
            return
        }
        #expect(c.inputs.first { $0.name == "x" }?.bits == 3)
        // Only assumptions made before the call count: this one is asked about and kept.
        #expect(pruned["closed_later"]?.prunedCalls == 0 && (pruned["closed_later"]?.pruningChecks ?? 0) > 0)
        #expect(full["dead_call"]?.pruningChecks == 0)
    }

    /// The second opinion (Bitwuzla) is asked what the linked Z3 leaves undecided, each time with
    /// what is left of the property's total, and no more once less than half a second is left: a
    /// property loses at most that total to guards no solver decides.
    @Test func theSecondOpinionKeepsToItsTotal() throws {
        let c = Context()
        let domain = SymbolicDomain(context: c)
        var asked: [UInt32] = []
        // Z3 with one resource unit decides nothing; the "second opinion" takes 300 ms to say unknown.
        let paths = try InfeasiblePaths(context: c, domain: domain, limits: SolverLimits(rlimit: 1), external: { _, _, ms, _ in
            asked.append(ms)
            Thread.sleep(forTimeInterval: 0.3)
            return .unknown(reason: "test")
        }, externalTotalMilliseconds: 1_000, facts: { [] })
        let x = c.bvConst("x", width: 64)
        for i in 0..<5 {
            let guardTerm = x.mul(x).eq(c.bv(UInt64(2 * i + 3), width: 64))
            #expect(!paths.isInfeasible("costly", .term(guardTerm), []))
        }
        // 1 000 ms: asked with all of it, then with what the first 300 ms left, then no more.
        #expect(asked.count == 2)
        #expect(asked.first == 1_000)
        #expect((asked.last ?? 0) <= 700)
    }

    /// The newer Z3's opinion is asked about the relaxed integer form: a guard that is an order
    /// fact over 64-bit sums (here `x + len` wrapping below `x` while both stay under 2^46) is
    /// pruned by it alone — the linked Z3, held to one resource unit, decides nothing.
    @Test(.enabled(if: ExternalSolver.z3.version != nil, "no Z3 newer than the linked libz3 (pip install z3-solver)"))
    func theIntegerFormDecidesOrderGuards() throws {
        let c = Context()
        let x = c.bvConst("x", width: 64), len = c.bvConst("len", width: 64)
        let bound = c.bv(1 << 46, width: 64)
        let dead = x.ult(bound) && len.ult(bound) && x.add(len).ult(x)
        let live = x.ult(bound) && len.ult(bound) && x.add(len).ult(bound)
        for lanes in [1, 2] {
            let paths = try InfeasiblePaths(context: c, domain: SymbolicDomain(context: c), limits: SolverLimits(rlimit: 1),
                                            external: InfeasiblePaths.secondOpinion(bitwuzla: false, newerZ3: true, lanes: lanes),
                                            facts: { [] })
            #expect(paths.isInfeasible("costly", .term(dead), []))
            #expect(!paths.isInfeasible("costly", .term(live), []))
        }
    }

    /// The second opinion starts after a short first look by the linked Z3 and runs beside the rest
    /// of its limit: a proof by the second ends the linked check at once instead of after its limit
    /// (here 60 s on a question bit-blasting does not decide: that the largest 64-bit prime has no
    /// factors).
    @Test func aSecondOpinionsProofEndsTheLinkedCheck() throws {
        let c = Context()
        let x = c.bvConst("x", width: 64), y = c.bvConst("y", width: 64)
        let product = x.zeroExtend(to: 128).mul(y.zeroExtend(to: 128))
        let one = c.bv(1, width: 64)
        let factors = one.ult(x) && one.ult(y) && product.eq(c.bv(0xffff_ffff_ffff_ffc5, width: 64).zeroExtend(to: 128))
        var asked = 0
        let paths = try InfeasiblePaths(context: c, domain: SymbolicDomain(context: c), limits: SolverLimits(timeoutMilliseconds: 60_000),
                                        external: { _, _, _, _ in
            asked += 1
            Thread.sleep(forTimeInterval: 0.2)
            return .unsat
        }, facts: { [] })
        #expect(paths.isInfeasible("costly", .term(factors), []))
        #expect(asked == 1 && paths.overtaken == 1)
    }

    /// Once the property's time is up or the run interrupted, nothing more is asked: the call is
    /// kept (a bigger query, whose first check then answers at once).
    @Test func noQuestionsOnceStopped() throws {
        let c = Context()
        let x = c.bvConst("x", width: 64)
        let dead = x.ult(c.bv(5, width: 64)) && c.bv(10, width: 64).ult(x)
        for stopped in [false, true] {
            let paths = try InfeasiblePaths(context: c, domain: SymbolicDomain(context: c), limits: SolverLimits(timeoutMilliseconds: 1_000),
                                            external: nil, stop: { stopped }, facts: { [] })
            #expect(paths.isInfeasible("costly", .term(dead), []) == !stopped)
        }
    }
}

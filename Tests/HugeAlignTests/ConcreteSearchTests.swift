import Engines
import KernelC
import Placement
import Testing

/// The concrete search `prove` makes before the solver on properties over a symbolic layout: its
/// counterexamples are replayed like the solver's, it keeps to the property's layout bound (a bug
/// that needs more VMAs than the bound allows is not one within it), and turned off the solver
/// still decides alone.
@Suite struct ConcreteSearchTests {
    static let text = """
        #include "\(Paths.repo("specs/kernel/v6.18/vma.spec"))"
        // False as soon as there are two VMAs.
        property one_vma_only_LAYOUT(unsigned long a) config scaled8 layout vmas <= BOUND {
            struct vm_area_struct *v = find_vma(current->mm, 0);

            if (v)
                assert(!find_vma(current->mm, v->vm_end));
        }
        """

    func prove(bound: Int, searchRuns: Int) throws -> PropertyResult {
        let spec = Self.text.replacingOccurrences(of: "BOUND", with: "\(bound)").replacingOccurrences(of: "LAYOUT", with: "\(bound)")
        let unit = try SpecLoader.load(text: spec, path: "test.spec", model: Config.scaled8.dataModel)
        var options = ProverOptions.deterministic(config: .scaled8)
        options.concreteSearchRuns = searchRuns
        let p = try #require(unit.program.properties.first)
        return try Prover(options: options).prove(p, in: unit.program, file: "test.spec")
    }

    @Test func findsLayoutBugsBeforeTheSolverAndReplaysThem() throws {
        let r = try prove(bound: 3, searchRuns: 2000)
        guard case .counterexample(let c) = r.verdict else {
            Issue.record("expected a counterexample, got \(r.verdict)")
            return
        }
        #expect(r.concreteSearchRuns != nil, "the concrete search should find this one")
        #expect(c.failures.first?.kind == .assertion)
        // Within the bound, and at least the two VMAs the bug needs.
        #expect((2...3).contains(c.layout?.count ?? 0), "\(String(describing: c.layout))")
    }

    @Test func keepsToTheLayoutBound() throws {
        let r = try prove(bound: 1, searchRuns: 2000)
        #expect(r.verdict == .proved(vacuous: false), "\(r.verdict)")
        #expect(r.concreteSearchRuns == nil)
    }

    @Test func offLeavesTheSolverAlone() throws {
        let r = try prove(bound: 3, searchRuns: 0)
        guard case .counterexample = r.verdict else {
            Issue.record("expected a counterexample from the solver, got \(r.verdict)")
            return
        }
        #expect(r.concreteSearchRuns == nil)
    }
}

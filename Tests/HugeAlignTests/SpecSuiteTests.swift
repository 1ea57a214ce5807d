import Engines
import Foundation
import HugeAlignTesting
import KernelC
import Placement
import Testing

/// Every spec under specs/ is proved once per test run and each verdict must match its `// expect:`
/// annotation. specs/seed is proved by `SeedResultsTests`, through `hugealign report`, which fails
/// on any unexpected verdict.
@Suite struct SpecSuiteTests {
    static let specs: [String] = ((try? SpecLoader.specFiles(in: [Paths.repo("specs")])) ?? [])
        .filter { !$0.hasPrefix(Paths.repo("specs/seed") + "/") && !sixtyFourBitLayouts.contains($0) }

    /// The 64-bit layout proofs, which need a newer Z3 than Debian's (the solver portfolio): those
    /// of vm_unmapped_area, and the placement path's over every layout (through the searches'
    /// contracts, specs/properties/contracts.h, whose proofs take the newer Z3's integer checks).
    static let sixtyFourBitLayouts = [Paths.repo("specs/properties/vm_unmapped_area_64.spec"), placementOverEveryLayout, whichFitOverEveryLayout]

    @Test func thereAreSpecs() {
        #expect(Self.specs.count >= 2)
    }

    @Test(arguments: specs)
    func verdictsMatchAnnotations(spec: String) throws {
        let results = try expectVerdicts(inSpec: spec)
        try modelCheckerAgrees(spec: spec, results: results)
    }

    /// The placement path's layout properties over every layout at 64 bits.
    static let placementOverEveryLayout = Paths.repo("specs/properties/placement_64.spec")
    /// Which fit the placement path takes, over every layout at 64 bits: the loops unwound.
    static let whichFitOverEveryLayout = Paths.repo("specs/properties/placement_64_fit.spec")

    @Test(.enabled(if: SolverChoice.newerZ3Version != nil,
                   "no Z3 newer than the linked libz3 (pip install z3-solver): the 64-bit layout proofs are out of reach"),
          arguments: sixtyFourBitLayouts)
    func sixtyFourBitLayoutProofs(spec: String) throws {
        let results = try expectVerdicts(inSpec: spec)
        let plan = try SpecPlan(file: spec, defaultConfig: .x86_64)
        // A property that names contracts was proved through them: each contract was proved.
        for item in plan.items where !item.property.contracts.isEmpty {
            let r = results.first { $0.property == item.property.name }
            #expect(r?.bounds.contracts?.count == item.property.contracts.count && r?.bounds.contractsNotUsed == nil,
                    "\(item.property.name): \(String(describing: r?.bounds))")
        }
        if spec == Self.whichFitOverEveryLayout {
            // Every layout, every loop unwound once (one pass is enough, which the unwinding check
            // proved) — in the property, or in the proof of the contract of an anonymous mmap it
            // calls through, for two calls as for one.
            #expect(results.count >= 3 && results.allSatisfy { $0.bounds.anyLayout == true })
            #expect(results.allSatisfy { $0.bounds.invariantLoopsUnwound == true || $0.bounds.contracts?.first?.hasPrefix("anon_mmap") == true })
        } else if spec == Self.placementOverEveryLayout {
            // In reach only because the searches after the hint checks are skipped (InfeasiblePaths).
            #expect(results.allSatisfy { $0.bounds.anyLayout == true && $0.prunedCalls > 0 })
        } else {
            #expect(results.count >= 10)
            #expect(results.allSatisfy { $0.newerZ3Proofs > 0 }, "every proof here takes the newer Z3's integer checks")
        }
    }

    /// Prover ≡ model checker on every scaled property: a property the prover proved has no
    /// counterexample in the model checker's runs, and one it refuted is not exhausted clean by it.
    func modelCheckerAgrees(spec: String, results: [PropertyResult]) throws {
        let plan = try SpecPlan(file: spec, defaultConfig: .x86_64)
        for item in plan.items where item.config.dataModel.longBits <= 16 {
            guard let r = results.first(where: { $0.property == item.property.name }) else { continue }
            var o = CheckOptions()
            o.vmas = item.property.layoutVMAs ?? 1
            o.maxRuns = 150_000
            let c = try ModelChecker(program: item.program, property: item.property, config: item.config, options: o).run()
            switch r.verdict {
            case .proved:
                #expect(c.failing == nil, "\(item.property.name): proved, but the model checker fails it with \(String(describing: c.failing))")
            case .counterexample:
                #expect(c.failing != nil || !c.stats.exhausted, "\(item.property.name): refuted by the prover, but the model checker exhausted its layouts without a failure")
            default:
                break
            }
        }
    }
}

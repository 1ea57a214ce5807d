import Foundation
import HugeAlignTesting
import KernelC
import Testing

/// Every spec under specs/ is proved once per test run and each verdict must match its `// expect:`
/// annotation. specs/seed is proved by `SeedResultsTests`, through `hugealign report`, which fails
/// on any unexpected verdict.
@Suite struct SpecSuiteTests {
    static let specs: [String] = ((try? SpecLoader.specFiles(in: [Paths.repo("specs")])) ?? [])
        .filter { !$0.hasPrefix(Paths.repo("specs/seed") + "/") }

    @Test func thereAreSpecs() {
        #expect(Self.specs.count >= 2)
    }

    @Test(arguments: specs)
    func verdictsMatchAnnotations(spec: String) throws {
        try expectVerdicts(inSpec: spec)
    }
}

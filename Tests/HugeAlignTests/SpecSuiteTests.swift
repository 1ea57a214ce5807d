import Foundation
import HugeAlignTesting
import KernelC
import Testing

/// Every spec under specs/ is proved and each verdict must match its `// expect:` annotation.
@Suite struct SpecSuiteTests {
    static let specs: [String] = (try? SpecLoader.specFiles(in: [Paths.repo("specs")])) ?? []

    @Test func thereAreSpecs() {
        #expect(Self.specs.count >= 2)
    }

    @Test(arguments: specs)
    func verdictsMatchAnnotations(spec: String) throws {
        try expectVerdicts(inSpec: spec)
    }
}

@testable import Engines
import Testing

/// The budget that makes verdicts and reports deterministic: when it counts Z3 resource units, no
/// step of a property may depend on the clock (a loaded machine once cut minimisation short and
/// changed docs/seed-results.md).
@Suite struct BudgetTests {
    @Test func unitPhasesIgnoreTheClock() {
        var b = Budget(seconds: 100, resources: 1_000_000)
        b.startPhase(seconds: 0, units: 10)
        #expect(!b.exhausted, "a zero-second phase must not end a unit-counted phase")
        #expect(b.limits(.quick)?.rlimit == 10)
        b.endPhase()
        #expect(b.limits(.quick)?.rlimit == 1_000_000)
    }

    @Test func timePhasesUseTheClock() {
        var b = Budget(seconds: 100, resources: nil)
        b.startPhase(seconds: 0, units: 10)
        #expect(b.exhausted)
        b.endPhase()
        #expect(!b.exhausted)
    }
}

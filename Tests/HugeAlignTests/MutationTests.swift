import Engines
import Foundation
import KernelC
import Testing

/// Mutation testing on a small model whose mutants' fates are known by hand: `cap(x)` clamps to
/// 100 and one property says the result is at most 100.
@Suite struct MutationTests {
    static let model = """
    // A clamp, as a placement model would cap an address.
    unsigned long cap(unsigned long x)
    {
        if (x > 100)
            return 100;
        return x;
    }
    """
    static let properties = """
    #include "model/cap.spec"

    // expect: proved
    property cap_bounded(unsigned long x)
    {
        assert(cap(x) <= 100);
    }
    """

    func campaign(_ options: MutationOptions = MutationOptions()) throws -> MutationCampaign {
        let dir = try temporaryFolder("mutation")
        try FileManager.default.createDirectory(atPath: dir + "/model", withIntermediateDirectories: true)
        try Self.model.write(toFile: dir + "/model/cap.spec", atomically: true, encoding: .utf8)
        try Self.properties.write(toFile: dir + "/props.spec", atomically: true, encoding: .utf8)
        return try MutationCampaign(models: dir + "/model", specs: [dir + "/props.spec"], options: options)
    }

    @Test func everyMutationAppliesAndChangesTheFunction() throws {
        let c = try campaign()
        #expect(c.targets == ["cap"])
        #expect(c.mutations.count >= 8)
        let program = c.oracles[0].item.program
        let index = program.functions.firstIndex { $0.name == "cap" }!
        let text = { (p: Program) in IRText(program: p, function: p.functions[index]).full(p.functions[index].body) }
        let original = text(program)
        var seen: [String: String] = [:]
        for m in c.mutations {
            let p = try #require(Mutator(program: program).apply(m), "\(m.id) does not apply")
            #expect(text(p) != original, "\(m.id) (\(m.op)) changes nothing")
            #expect(m.original != m.mutated)
            // No two mutants make the same function text.
            #expect(seen[text(p)] == nil, "\(m.id) repeats \(seen[text(p)] ?? "")")
            seen[text(p)] = m.id
        }
        // Dropping `return 100`, the only statement of an `if` without `else`, is the `if`'s own
        // "→ ;" mutant: it is not made a second time.
        #expect(c.mutations.filter { $0.op == .droppedCondition && $0.mutated == ";" }.count == 1)
        #expect(!c.mutations.contains { $0.op == .droppedReturn })
        // The numbering is the same when enumerated again, and past its end nothing applies.
        #expect(Mutator(program: program).mutations(of: index) == c.mutations)
        var beyond = c.mutations[0]
        beyond.ordinal = c.mutations.count
        #expect(Mutator(program: program).apply(beyond) == nil)
    }

    @Test func killedSurvivedAndEquivalentAreTold() throws {
        let c = try campaign()
        let results = try c.mutations.map { try c.run($0) }
        #expect(results.allSatisfy { $0.seconds > 0 })
        #expect(c.progress.done == results.count && c.progress.killed == results.filter { $0.status == .killed }.count)
        func result(_ op: MutationOperator, _ from: String, _ to: String) -> MutantResult? {
            results.first { $0.mutation.op == op && $0.mutation.original == from && $0.mutation.mutated == to }
        }
        // `x >= 100` returns 100 at 100 as well: the same function.
        #expect(result(.relational, "x > 100", "x >= 100")?.status == .equivalent)
        // Returning 99 keeps the property but changes the function: a survivor, shown to differ.
        let low = try #require(result(.constant, "100", "99"), "\(results.map { ($0.mutation.op, $0.mutation.original, $0.mutation.mutated) })")
        #expect(low.status == .survived || low.status == .equivalent)
        let survivors = results.filter { $0.status == .survived }
        #expect(!survivors.isEmpty)
        for s in survivors { #expect(s.equivalence?.hasPrefix("differs") == true, "\(s.mutation.id): \(s.equivalence ?? "-")") }
        // Negating the test returns x > 100 unclamped: killed, with a counterexample that fails.
        let negated = try #require(results.first { $0.mutation.op == .negatedCondition })
        #expect(negated.status == .killed)
        #expect(negated.killedBy?.counterexample?.failures.isEmpty == false)
        let summary = MutationSummary(models: "m", specs: [], oracles: [], functions: ["cap"], results: results, seconds: 0, interrupted: false)
        #expect(summary.score > 50 && summary.score < 100)
        #expect(summary.disagreements.isEmpty)
    }

    @Test func allEnginesAgreeOnEveryMutant() throws {
        var o = MutationOptions()
        o.allEngines = true
        o.equivalence = false
        let c = try campaign(o)
        let results = try c.mutations.map { try c.run($0) }
        let summary = MutationSummary(models: "m", specs: [], oracles: [], functions: ["cap"], results: results, seconds: 0, interrupted: false)
        #expect(summary.disagreements.isEmpty, "\(summary.disagreements.map(\.1))")
        // Every mutant got a fuzzer and a prover verdict.
        for r in results {
            #expect(Set(r.checks.map(\.engine)) == [.fuzzer, .prover], "\(r.mutation.id)")
        }
    }

    /// A mask that overflows to 0 in scaled8 (PUD_SIZE is 64 there; so does the mutant's, one bit
    /// higher) makes the two equal there but not in x86_64: a
    /// mutant is equivalent only when it is in every configuration its properties run in.
    @Test func equivalenceHoldsInEveryConfigurationOrNotAtAll() throws {
        let dir = try temporaryFolder("mutation-configs")
        try FileManager.default.createDirectory(atPath: dir + "/model", withIntermediateDirectories: true)
        try """
        unsigned long high_bits(unsigned long x)
        {
            return x & (PUD_SIZE << 2);
        }
        """.write(toFile: dir + "/model/m.spec", atomically: true, encoding: .utf8)
        try """
        #include "model/m.spec"

        // expect: proved
        property small(unsigned long x) config scaled8
        {
            assert(high_bits(x) <= x);
        }

        // expect: proved
        property wide(unsigned long x)
        {
            assert(high_bits(x) <= x);
        }
        """.write(toFile: dir + "/p.spec", atomically: true, encoding: .utf8)
        var o = MutationOptions()
        o.fuzzRuns = 200
        let c = try MutationCampaign(models: dir + "/model", specs: [dir + "/p.spec"], options: o)
        #expect(Set(c.oracles.map(\.item.config.name)) == ["scaled8", "x86_64"])
        let narrower = try #require(c.mutations.first { $0.op == .shiftWidth && $0.mutated.hasSuffix("(2 + 1)") }, "\(c.mutations.map(\.mutated))")
        let r = try c.run(narrower)
        // x & 8 GiB keeps high_bits(x) <= x: it survives, and it differs from x & 4 GiB at 64 bits.
        #expect(r.status == .survived)
        #expect(r.equivalence?.hasPrefix("differs") == true && r.equivalence?.contains("x86_64") == true, "\(r.equivalence ?? "-")")
    }

    /// A `bool` function's mutant that keeps the property but answers differently at the boundary is
    /// shown to differ (a `bool` result is compared as C compares it).
    @Test func boolResultsAreCompared() throws {
        let dir = try temporaryFolder("mutation-bool")
        try FileManager.default.createDirectory(atPath: dir + "/model", withIntermediateDirectories: true)
        try """
        bool below(unsigned long x)
        {
            return x < 100;
        }
        """.write(toFile: dir + "/model/m.spec", atomically: true, encoding: .utf8)
        try """
        #include "model/m.spec"

        // expect: proved
        property below_is_small(unsigned long x)
        {
            assert(!below(x) || x <= 100);
        }
        """.write(toFile: dir + "/p.spec", atomically: true, encoding: .utf8)
        var o = MutationOptions()
        o.fuzzRuns = 200
        let c = try MutationCampaign(models: dir + "/model", specs: [dir + "/p.spec"], options: o)
        let m = try #require(c.mutations.first { $0.op == .relational }, "\(c.mutations.map(\.mutated))")
        let r = try c.run(m)
        #expect(r.status == .survived)
        #expect(r.equivalence?.hasPrefix("differs: x = 0x64") == true, "\(r.equivalence ?? "-")")
    }
}

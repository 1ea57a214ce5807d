import Engines
import Placement
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
        #expect(r.equivalence?.hasPrefix("differs at below_is_small's calls: x = 0x64") == true, "\(r.equivalence ?? "-")")
        #expect(r.equivalence?.contains("differs where below_is_small calls it: x = 0x64") == true, "\(r.equivalence ?? "-")")
        #expect(r.equivalence?.contains("for every input: differs: x = 0x64") == true, "\(r.equivalence ?? "-")")
    }

    /// A mutant that differs only on inputs no property passes is equivalent where the properties
    /// call it — and stops being so when a property passes those inputs.
    @Test func equivalenceWhereThePropertiesCallIt() throws {
        let dir = try temporaryFolder("mutation-context")
        try FileManager.default.createDirectory(atPath: dir + "/model", withIntermediateDirectories: true)
        try Self.model.write(toFile: dir + "/model/cap.spec", atomically: true, encoding: .utf8)
        let small = """
        #include "model/cap.spec"

        // expect: proved
        property cap_small(unsigned long x)
        {
            unsigned long y;

            assume(x <= 50);
            y = cap(x);
            assert(y <= 100);
        }
        """
        try small.write(toFile: dir + "/small.spec", atomically: true, encoding: .utf8)
        var o = MutationOptions()
        o.fuzzRuns = 200
        var c = try MutationCampaign(models: dir + "/model", specs: [dir + "/small.spec"], options: o)
        // `return 100` → `return 99` (the other 100, in `x > 100`, makes a function equal to the original).
        let lower = try #require(c.mutations.last { $0.op == .constant && $0.original == "100" && $0.mutated == "99" })
        var r = try c.run(lower)
        #expect(r.status == .equivalent, "\(r.equivalence ?? "-") \(c.mutations.map { "\($0.id) \($0.original) \($0.mutated)" })")
        #expect(r.equivalence?.hasPrefix("equivalent where the properties call it: cap_small [") == true, "\(r.equivalence ?? "-")")
        #expect(r.equivalence?.contains("for every input: differs") == true, "\(r.equivalence ?? "-")")
        // A second property that clamps large values tells them apart, at x > 100.
        try (small + """

        // expect: proved
        property cap_large(unsigned long x)
        {
            assume(x > 1000);
            assert(cap(x) >= 99);
        }
        """).write(toFile: dir + "/small.spec", atomically: true, encoding: .utf8)
        c = try MutationCampaign(models: dir + "/model", specs: [dir + "/small.spec"], options: o)
        r = try c.run(lower)
        #expect(r.status == .survived)
        // The property's own call tells them apart too: not absorbed by a caller.
        #expect(r.equivalence?.hasPrefix("differs at cap_large's calls: x = ") == true, "\(r.equivalence ?? "-")")
        #expect(r.equivalence?.contains("differs where cap_large calls it: x = ") == true, "\(r.equivalence ?? "-")")
    }

    /// Reviewed survivors: an entry explains its survivor; one whose mutant is killed now, or whose
    /// operator is another (the numbers moved), is reported; bad lines are errors with their line.
    @Test func explanationsOfSurvivors() throws {
        let dir = try temporaryFolder("mutation-explained")
        let c = try campaign()
        let results = try c.mutations.map { try c.run($0) }
        let survivor = try #require(results.first { $0.status == .survived })
        let killed = try #require(results.first { $0.status == .killed })
        let other = MutationOperator.allCases.first { $0 != survivor.mutation.op }!
        let file = dir + "/explained.txt"
        try """
        # reviewed
        @why: a reason shared by several
        \(survivor.mutation.id) \(survivor.mutation.op.rawValue) @why
        \(killed.mutation.id) \(killed.mutation.op.rawValue) it used to survive
        """.write(toFile: file, atomically: true, encoding: .utf8)
        var applied = results
        var problems = try Explanations(file: file).apply(to: &applied)
        #expect(applied.first { $0.mutation.id == survivor.mutation.id }?.explanation == "a reason shared by several")
        #expect(problems.count == 1 && problems[0].contains(":4: \(killed.mutation.id) is killed now"), "\(problems)")
        var summary = MutationSummary(models: "m", specs: [], oracles: [], functions: ["cap"], results: applied, seconds: 0, interrupted: false)
        #expect(summary.unexplained.count == results.filter { $0.status == .survived }.count - 1)
        try "\(survivor.mutation.id) \(other.rawValue) moved\n".write(toFile: file, atomically: true, encoding: .utf8)
        applied = results
        problems = try Explanations(file: file).apply(to: &applied)
        #expect(problems.count == 1 && problems[0].contains("stale"), "\(problems)")
        #expect(applied.allSatisfy { $0.explanation == nil })
        for (bad, message) in [("cap#1 relational", "expected"), ("cap#1 sideways why", "unknown operator"), ("cap#1 relational @nowhere", "no reason @nowhere"),
                               ("@why no colon", "'@name: text'")] {
            try "# first\n\(bad)\n".write(toFile: file, atomically: true, encoding: .utf8)
            #expect { try Explanations(file: file) } throws: { e in
                (e as? InputError).map { $0.line == 2 && $0.message.contains(message) } ?? false
            }
        }
        // A rerun that kills a survivor decides it; one where it survives again keeps both runs' checks.
        var rerun = summary
        rerun.results = results.filter { $0.status == .survived }.map { r in
            var k = r
            if r.mutation.id == survivor.mutation.id { k.status = .killed; k.killedBy = killed.killedBy }
            k.equivalence = "compared again"
            return k
        }
        summary.results = results
        let merged = MutationSummary.merged([summary, rerun])
        #expect(merged.results.map(\.mutation.id) == results.map(\.mutation.id))
        #expect(merged.results.first { $0.mutation.id == survivor.mutation.id }?.status == .killed)
        #expect(merged.count(.killed) == summary.count(.killed) + 1)
        let again = try #require(results.first { $0.status == .survived && $0.mutation.id != survivor.mutation.id })
        // The same properties asked twice: only the later checks stay.
        #expect(merged.results.first { $0.mutation.id == again.mutation.id }?.checks.count == again.checks.count)
        #expect(merged.results.first { $0.mutation.id == again.mutation.id }?.equivalence == "compared again")
    }

    /// `--kill-with`: only the named properties may kill (a rerun against new properties); a mutant
    /// only another property kills survives, and is still compared where every property calls it.
    @Test func onlyTheNamedPropertiesKill() throws {
        var o = MutationOptions()
        o.fuzzRuns = 200
        o.killers = ["nothing_kills"]
        let dir = try temporaryFolder("mutation-killers")
        try FileManager.default.createDirectory(atPath: dir + "/model", withIntermediateDirectories: true)
        try Self.model.write(toFile: dir + "/model/cap.spec", atomically: true, encoding: .utf8)
        try (Self.properties + """

        // expect: proved
        property nothing_kills(unsigned long x)
        {
            assert(cap(x) == cap(x));
        }
        """).write(toFile: dir + "/props.spec", atomically: true, encoding: .utf8)
        let c = try MutationCampaign(models: dir + "/model", specs: [dir + "/props.spec"], options: o)
        let negated = try #require(c.mutations.first { $0.op == .negatedCondition })
        let r = try c.run(negated)
        #expect(r.status == .survived)
        #expect(Set(r.checks.map(\.property)) == ["nothing_kills"])
        #expect(r.equivalence?.contains("differs where cap_bounded calls it") == true, "\(r.equivalence ?? "-")")
    }

    /// A change in the mutated function's result that its caller absorbs (a comparison that gives
    /// the same answer) is equivalent at the property's own calls, though not where it is called.
    @Test func equivalenceAtThePropertysOwnCalls() throws {
        let dir = try temporaryFolder("mutation-observable")
        try FileManager.default.createDirectory(atPath: dir + "/model", withIntermediateDirectories: true)
        try """
        unsigned long cap(unsigned long x)
        {
            if (x > 100)
                return 100;
            return x;
        }

        unsigned long at_cap(unsigned long x)
        {
            return cap(x) >= 100;
        }
        """.write(toFile: dir + "/model/m.spec", atomically: true, encoding: .utf8)
        try """
        #include "model/m.spec"

        // expect: proved
        property at_cap_is_a_truth_value(unsigned long x)
        {
            assert(at_cap(x) <= 1);
        }
        """.write(toFile: dir + "/p.spec", atomically: true, encoding: .utf8)
        var o = MutationOptions()
        o.fuzzRuns = 200
        o.functions = ["cap"]
        let c = try MutationCampaign(models: dir + "/model", specs: [dir + "/p.spec"], options: o)
        let higher = try #require(c.mutations.last { $0.op == .constant && $0.original == "100" && $0.mutated == "101" })
        let r = try c.run(higher)
        #expect(r.status == .equivalent, "\(r.equivalence ?? "-")")
        #expect(r.equivalence?.hasPrefix("equivalent at the properties' own calls: at_cap_is_a_truth_value [") == true, "\(r.equivalence ?? "-")")
        #expect(r.equivalence?.contains("differs where at_cap_is_a_truth_value calls it") == true, "\(r.equivalence ?? "-")")
    }
}

@testable import Engines
import Foundation
import KernelC
import Placement
import Semantics
import Testing

/// The model checker's classes of input values that no run tells apart (`InputObservations`,
/// `InputClasses`): what they group, and that a value the program does tell apart is never grouped.
@Suite struct InputClassTests {
    func item(_ text: String, _ property: String, config: Config = .scaled8) throws -> SpecPlan.Item {
        let dir = try temporaryFolder("classes")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let path = dir + "/p.spec"
        try text.write(toFile: path, atomically: true, encoding: .utf8)
        return try #require(try SpecPlan(file: path, defaultConfig: config, only: property).items.first)
    }

    func check(_ it: SpecPlan.Item, classes: Bool = true, vmas: Int = 0) throws -> ModelCheckResult {
        var o = CheckOptions()
        o.vmas = vmas
        o.inputClasses = classes
        o.compiled = false
        return try ModelChecker(program: it.program, property: it.property, config: it.config, options: o).run()
    }

    /// do_mmap() reads the length as `!len` and `PAGE_ALIGN(len)` before it rounds it: one length
    /// of each class of those two (the first in order), and the same verdict on every layout.
    @Test func lengthsGroupByPageAlign() throws {
        let config = try #require(Config.named("scaled8-x86"))
        let it = try #require(try SpecPlan(file: Paths.repo("mutants/properties.spec"), defaultConfig: config, only: "placement_valid").items.first)
        let runner = try ConcreteRunner(program: it.program, property: it.property, config: config)
        let space = try InputSpace(runner: runner, vocabulary: Vocabulary(config: config))
        let len = try #require(runner.parameters.firstIndex { $0.name == "len" })
        var firsts: [UInt64] = []
        var keys = Set<[UInt64]>()
        for v in UInt64(0)..<256 where keys.insert([v == 0 ? 1 : 0, (v + 3) & 0xfc]).inserted { firsts.append(v) }
        #expect(space.domains[len] == firsts, "\(space.domains[len])")
        #expect(space.classes.map(\.description) == ["len: \(firsts.count) classes of 256 values"])
        // Parameters read as they are (the hint, through find_vma) keep every value.
        let addr = try #require(runner.parameters.firstIndex { $0.name == "addr" })
        #expect(InputObservations.of(parameter: addr, in: it.property.function, program: it.program) == nil)
        let off = try InputSpace(runner: runner, vocabulary: Vocabulary(config: config), classes: false)
        #expect(off.domains[len].count == 256 && off.classes.isEmpty)
    }

    /// A slot that holds the raw value on one path and a rounded one on another may hold the raw
    /// value after the join (branches, labels, loops): its reads there are observations. With the
    /// rounding taken as done on every path, 6 would share a class with 5 (PAGE_ALIGN 8) and the
    /// failure at 6 would be missed.
    @Test func joinsKeepTheRawValue() throws {
        let text = """
        static unsigned long branch(unsigned long len, unsigned long how)
        {
            if (how)
                len = PAGE_ALIGN(len);
            return len == 6;
        }
        static unsigned long label(unsigned long len, unsigned long how)
        {
            if (!how)
                goto out;
            len = PAGE_ALIGN(len);
        out:
            return len == 6;
        }
        static unsigned long loop(unsigned long len, unsigned long how)
        {
            unsigned long i;
            unsigned long seen = 0;
            for (i = 0; i < 2; i++) {
                if (i == 1 && !how)
                    seen = len == 6;
                len = PAGE_ALIGN(len);
            }
            return seen;
        }
        // expect: counterexample
        property via_branch(unsigned long len, unsigned long how) unwind 4
        {
            assume(how <= 1);
            assert(!branch(len, how));
        }
        // expect: counterexample
        property via_label(unsigned long len, unsigned long how) unwind 4
        {
            assume(how <= 1);
            assert(!label(len, how));
        }
        // expect: proved
        property via_loop(unsigned long len, unsigned long how) unwind 4
        {
            assume(how <= 1);
            assert(!loop(len, how));
        }
        """
        for name in ["via_branch", "via_label"] {
            let it = try item(text, name)
            let r = try check(it)
            #expect(r.failing?.values == [6, 0], "\(name): \(String(describing: r.failing?.values))")
        }
        // The loop rounds before its second pass, so 6 is never seen raw there; the analysis does not
        // tell the passes apart and keeps `len == 6` (a class more, not a wrong one).
        let it = try item(text, "via_loop")
        let r = try check(it)
        #expect(r.failing == nil && r.stats.exhausted)
        #expect(r.inputClasses.map(\.name) == ["len"])
    }

    /// Whatever the value is used for as it is — a layout question, a field, a sum with another
    /// value, a return — tells every value apart.
    @Test func usesAsItIsGroupNothing() throws {
        let text = """
        static unsigned long same(unsigned long x) { return x; }
        property to_layout(unsigned long len) { struct vm_area_struct *v = find_vma(current->mm, PAGE_ALIGN(len)); v = find_vma(current->mm, len); assert(1); }
        property to_field(unsigned long len) { struct vm_unmapped_area_info info = {}; info.length = len; assert(info.length != 100); }
        property with_other(unsigned long len, unsigned long b) { assume(b <= 1); assert(len + b != 100); }
        property returned(unsigned long len) { assert(same(len) != 100); }
        property rounded_only(unsigned long len) { assert(PAGE_ALIGN(len) != 100); }
        """
        for name in ["to_layout", "to_field", "with_other", "returned"] {
            let it = try item(text, name)
            #expect(InputObservations.of(parameter: 0, in: it.property.function, program: it.program) == nil, "\(name)")
        }
        let it = try item(text, "rounded_only")
        let obs = try #require(InputObservations.of(parameter: 0, in: it.property.function, program: it.program))
        #expect(obs.count == 1)
    }

    /// Classes change how many runs there are, never the verdict: the model checker with and
    /// without them on properties that fail at one value of a class or hold.
    @Test func sameVerdictsWithoutClasses() throws {
        let text = """
        // expect: counterexample
        property rounded(unsigned long len, unsigned long flags)
        {
            unsigned long l = PAGE_ALIGN(len);
            assume(flags <= 2);
            assert(!(l == 12 && flags == 2 && len != 0));
        }
        // expect: proved
        property holds(unsigned long len, unsigned long flags)
        {
            assume(flags <= 2);
            assert(PAGE_ALIGN(len) % PAGE_SIZE == 0 || flags > 2);
        }
        """
        for (name, fails) in [("rounded", true), ("holds", false)] {
            let it = try item(text, name)
            let with = try check(it), without = try check(it, classes: false)
            #expect((with.failing != nil) == fails && (without.failing != nil) == fails, "\(name)")
            #expect(with.stats.exhausted == !fails && with.stats.runs < without.stats.runs, "\(name): \(with.stats.runs) vs \(without.stats.runs)")
            if let c = with.failing {
                let runner = try ConcreteRunner(program: it.program, property: it.property, config: it.config)
                #expect(runner.run(c.values, in: IndexedAddressSpace(c.layout)).isFailure)
            }
        }
    }

    /// Random helpers that assign, copy, branch, loop, jump and call with the value: wherever the
    /// analysis groups values, every value of a class gives the helper the same result and the same
    /// obligations as the class's first value, with every value of the other parameter.
    @Test func randomProgramsKeepClassesSound() throws {
        var rng = SplitMix64(seed: 0xC1A55)
        func pick<T>(_ xs: [T]) -> T { xs[Int(rng.next() % UInt64(xs.count))] }
        func expr(_ depth: Int, _ vars: [String]) -> String {
            if depth == 0 || rng.next() % 4 == 0 {
                if rng.next() % 3 == 0 { return String(rng.next() % 100) }
                // Often only a part of a value is read (its high bits, a mask of it).
                let v = pick(vars)
                return rng.next() % 2 == 0 ? v : pick(["(\(v) >> 5)", "(\(v) & 96)", "(\(v) < 40)"])
            }
            switch rng.next() % 8 {
            case 0, 1: return "(\(expr(depth - 1, vars)) \(pick(["+", "-", "&", "|", "^"])) \(expr(depth - 1, vars)))"
            case 2: return "(\(expr(depth - 1, vars)) \(pick(["<<", ">>"])) \(rng.next() % 8))"
            case 3: return "(\(expr(depth - 1, vars)) \(pick(["==", "!=", "<", ">="])) \(expr(depth - 1, vars)))"
            case 4: return "(\(expr(depth - 1, vars)) / \(1 + rng.next() % 7))"
            case 5: return "PAGE_ALIGN(\(expr(depth - 1, vars)))"
            case 6: return "(\(expr(depth - 1, vars)) ? \(expr(depth - 1, vars)) : \(expr(depth - 1, vars)))"
            default: return "!(\(expr(depth - 1, vars)))"
            }
        }
        func statement(_ depth: Int) -> String {
            let vars = ["x", "y", "t"]
            switch rng.next() % (depth == 0 ? 4 : 8) {
            case 0: return rng.next() % 2 == 0 ? "\(pick(vars)) = \(expr(2, vars));" : "x = \(pick(["PAGE_ALIGN(x)", "x >> 3", "x & 0x70"]));"
            case 1: return "t = x;"
            case 2: return "if (\(expr(2, vars))) goto out;"
            case 3: return "t = g(\(pick(vars)), \(pick(vars)));"
            case 4, 5: return "if (\(expr(2, vars))) { \(statement(depth - 1)) } else { \(statement(depth - 1)) }"
            default: return "for (i = 0; i < 2; i++) { \(statement(depth - 1)) \(statement(depth - 1)) }"
            }
        }
        var grouped = 0
        for n in 0..<100 {
            let body = (0..<4).map { _ in "    " + statement(2) }.joined(separator: "\n")
            let text = """
            static unsigned long g(unsigned long u, unsigned long w)
            {
                if (\(expr(2, ["u", "w"])))
                    u = \(expr(2, ["u", "w"]));
                return \(expr(2, ["u", "w"]));
            }
            static unsigned long h(unsigned long x, unsigned long y)
            {
                unsigned long t = 0;
                unsigned long i;
            \(body)
            out:
                return \(expr(2, ["x", "y", "t"]));
            }
            property p(unsigned long a, unsigned long b) unwind 4
            {
                assume(b < 4);
                assert(h(a, b) != 77);
            }
            """
            let it = try item(text, "p")
            let runner = try ConcreteRunner(program: it.program, property: it.property, config: it.config)
            let domain = Array(UInt64(0)..<256)
            guard let (firsts, classOf) = InputClasses.classes(domain, parameter: 0, runner: runner), firsts.count < 256 else { continue }
            grouped += 1
            let h = try #require(it.program.functions.first { $0.name == "h" })
            func run(_ a: UInt64, _ b: UInt64) -> String {
                let (r, trace) = runner.evaluator.call(h, arguments: [.word(a), .word(b)])
                let failed = trace.obligations.filter { $0.violated }.map { "\($0.location)" }
                return "\(String(describing: r)) \(failed)"
            }
            var wrong: [String] = []
            for v in domain where wrong.isEmpty {
                let first = firsts[classOf[Int(v)]]
                for b in UInt64(0)..<4 where run(v, b) != run(first, b) {
                    wrong.append("a = \(v) (class of \(first)), b = \(b): \(run(v, b)) vs \(run(first, b))")
                }
            }
            #expect(wrong.isEmpty, "program \(n):\n\(text)\n\(wrong.joined(separator: "\n"))")
        }
        // The programs must exercise the grouping, or agreeing says nothing.
        #expect(grouped >= 25, "only \(grouped) of 100 programs grouped values")
    }
}

import Engines
import Foundation
import HugeAlignTesting
import KernelC
import Placement
import Testing

@Suite struct ProverTests {
    let lemma = Paths.repo("specs/examples/thp_alignment_lemma.spec")

    func prove(_ text: String, config: Config = .x86_64, timeout: Double = ProverOptions.deterministicTimeoutSeconds,
               rlimit: UInt64? = ProverOptions.deterministicResources) throws -> [PropertyResult] {
        let unit = try SpecLoader.load(text: text, path: "test.spec", model: config.dataModel)
        let prover = Prover(options: ProverOptions(config: config, timeoutSeconds: timeout, rlimit: rlimit))
        return try unit.program.properties.map { try prover.prove($0, in: unit.program, file: "test.spec") }
    }

    @Test func lemmaIsProvedWithStatedBounds() throws {
        let r = try #require(try expectProved(inSpec: lemma, property: "thp_alignment_lemma"))
        #expect(r.bounds.longBits == 64 && r.bounds.config == "x86_64")
        #expect(r.bounds.description.contains("loops unwound"))
    }

    @Test func signSlipIsRefutedWithMinimalReplayedValues() throws {
        let c = try #require(try expectCounterexample(inSpec: lemma, property: "thp_alignment_sign_slip"))
        let byName = Dictionary(uniqueKeysWithValues: c.inputs.map { ($0.name, $0) })
        // Minimised: the smallest failing offset with ret at 0.
        #expect(byName["ret"]?.bits == 0)
        #expect(byName["off"]?.bits == 1)
        // The shift does not matter: every size in range fails for these ret/off.
        #expect(byName["shift"]?.relevant == false)
        #expect(byName["off"]?.relevant == true)
        #expect(c.failures.first?.kind == .assertion)
        #expect(c.locals["va"] == .word(0xfff))
    }

    @Test func vacuousProofsAreFlagged() throws {
        let r = try prove("property p(unsigned long x) { assume(x < 1); assume(x > 2); assert(x == 7); }")
        #expect(r[0].verdict == .proved(vacuous: true))
        let ok = try prove("property p(unsigned long x) { assume(x < 10); assert(x < 11); }")
        #expect(ok[0].verdict == .proved(vacuous: false))
    }

    @Test func resourceLimitGivesUnknownNeverProved() throws {
        let text = """
        property hard(unsigned long x, unsigned long y)
        {
            assume(x > 1 && y > 1);
            assert(x * y != 0x1234567890abcdefUL);
        }
        """
        let r = try prove(text, rlimit: 5)
        guard case .unknown(let reason) = r[0].verdict else {
            Issue.record("expected unknown, got \(r[0].verdict)")
            return
        }
        #expect(!reason.isEmpty)
    }

    @Test func gotoAssumeAndAssertAreGuardedByTheirPath() throws {
        let text = """
        static unsigned long f(unsigned long x)
        {
            if (x > 10)
                goto big;
            assert(x <= 10);
            return x;
        big:
            assert(x > 10);
            return 100;
        }
        // expect: proved
        property paths(unsigned long x)
        {
            unsigned long r = f(x);
            if (r == 100)
                assume(x != 5);   // only constrains the path it is on
            assert(r == 100 || r == x);
        }
        """
        let r = try prove(text)
        #expect(r[0].verdict == .proved(vacuous: false))
    }

    @Test func scaledConfigChangesWordWidth() throws {
        let text = """
        property wraps(unsigned long x)
        {
            assert(x + PAGE_SIZE > x);
        }
        """
        let r = try prove(text, config: .scaled16)
        guard case .counterexample(let c) = r[0].verdict else {
            Issue.record("expected a counterexample, got \(r[0].verdict)")
            return
        }
        #expect(c.inputs[0].width == 16)
        #expect(c.inputs[0].bits >= 0xfffc)   // PAGE_SIZE is 4 bytes in scaled16
        #expect(r[0].bounds.longBits == 16)
    }

    @Test func missingReturnIsReported() throws {
        let text = """
        static unsigned long f(unsigned long x)
        {
            if (x)
                return 1;
        }
        property p(unsigned long x) { assert(f(x) <= 1); }
        """
        let r = try prove(text)
        guard case .counterexample(let c) = r[0].verdict else {
            Issue.record("expected a counterexample, got \(r[0].verdict)")
            return
        }
        #expect(c.failures.contains { $0.kind == .missingReturn })
        #expect(c.inputs[0].bits == 0)
    }

    @Test func smtlib2QueryIsKeptAndRunnable() throws {
        let unit = try SpecLoader.load(path: lemma)
        let prover = Prover(options: ProverOptions(keepQuery: true))
        let r = try prover.prove(unit.program.property(named: "thp_alignment_sign_slip")!, in: unit.program, file: lemma)
        let q = try #require(r.smtlib2)
        #expect(q.contains("(declare-fun off () (_ BitVec 64))"))
        #expect(q.contains("(check-sat)"))
    }
}

@Suite struct LayoutDefaultTests {
    @Test func layoutPropertiesDefaultToFourSymbolicVMAs() throws {
        let text = "property empty_space(unsigned long addr)\n{\n    assert(find_vma(current->mm, addr) == NULL);\n}\n"
        let unit = try SpecLoader.load(text: text, path: "test.spec")
        let r = try Prover(options: ProverOptions()).prove(unit.program.properties[0], in: unit.program, file: "test.spec")
        #expect(r.bounds.layoutVMAs == 4)
        guard case .counterexample(let c) = r.verdict else {
            Issue.record("expected a counterexample, got \(r.verdict)")
            return
        }
        // Minimised to a single VMA above the address.
        #expect(c.layout?.count == 1)
        #expect((c.layout?.first?.end ?? 0) > c.inputs[0].bits)
    }
}

import Engines
import KernelC
import Placement
import SMT
import Testing

/// The integer form must be exact: for fixed inputs, a term's integer value is its bit-vector
/// value (never a second one), for every operation the translation covers, at 8 and 64 bits.
@Suite struct IntegerTranslationTests {
    /// Operations over inputs x, y (and a small shift amount s), each with a reference value from
    /// Z3's own bit-vector evaluation.
    nonisolated(unsafe) static let operations: [(String, @Sendable (SBV, SBV, SBV, Context) -> SBV)] = [
        ("add", { x, y, _, _ in x.add(y) }),
        ("add3", { x, y, _, _ in x.add(y).add(x) }),
        ("sub", { x, y, _, _ in x.sub(y) }),
        ("neg", { x, _, _, _ in x.neg() }),
        ("not", { x, _, _, _ in x.not() }),
        ("mul const", { x, _, _, c in x.mul(c.bv(0x1d, width: x.width)) }),
        ("mul -1", { x, _, _, c in x.mul(c.bv(.max, width: x.width)) }),
        ("udiv const", { x, _, _, c in x.udiv(c.bv(6, width: x.width)) }),
        ("urem pow2", { x, _, _, c in x.urem(c.bv(8, width: x.width)) }),
        ("udiv 0", { x, _, _, c in x.udiv(c.bv(0, width: x.width)) }),
        ("and mask", { x, _, _, c in x.and(c.bv(0xf0f0_f0f0_f0f0_ff06, width: x.width)) }),
        ("or mask", { x, _, _, c in x.or(c.bv(0x0ff0_0000_0000_0f30, width: x.width)) }),
        ("xor mask", { x, _, _, c in x.xor(c.bv(0x5a5a_5a5a_5a5a_5a5a, width: x.width)) }),
        ("and", { x, y, _, _ in x.and(y) }),
        ("or", { x, y, _, _ in x.or(y) }),
        ("xor", { x, y, _, _ in x.xor(y) }),
        ("shl const", { x, _, _, c in x.shl(c.bv(3, width: x.width)) }),
        ("lshr const", { x, _, _, c in x.lshr(c.bv(3, width: x.width)) }),
        ("ashr const", { x, _, _, c in x.ashr(c.bv(3, width: x.width)) }),
        ("shl var", { x, _, s, _ in x.shl(s) }),
        ("lshr var", { x, _, s, _ in x.lshr(s) }),
        ("ashr var", { x, _, s, _ in x.ashr(s) }),
        ("page << s", { x, _, s, c in c.bv(0x1000, width: x.width).shl(s).sub(c.bv(0x1000, width: x.width)) }),
        ("x & (page << s) - page", { x, _, s, c in x.and(c.bv(0x10, width: x.width).shl(s).sub(c.bv(0x10, width: x.width))) }),
        ("extract+zext", { x, _, _, _ in x.extract(high: x.width - 2, low: 1).zeroExtend(to: x.width) }),
        ("sext", { x, _, _, _ in x.extract(high: x.width / 2 - 1, low: 0).signExtend(to: x.width) }),
        ("ite ult", { x, y, _, c in x.ult(y).ite(x, y) }),
        ("ite slt", { x, y, _, c in x.slt(y).ite(x.sub(y), y.sub(x)) }),
        ("ite sle/ule", { x, y, _, c in (x.sle(y) && !y.ule(x)).ite(c.bv(1, width: x.width), c.bv(2, width: x.width)) }),
    ]

    static let bitByBit: Set<String> = ["and", "or", "xor", "x & (page << s) - page"]

    static let samples: [(UInt64, UInt64, UInt64)] = [
        (0, 0, 0), (1, 0xffff_ffff_ffff_ffff, 1), (0x8000_0000_0000_0000, 0x7fff_ffff_ffff_ffff, 7),
        (0x1234_5678_9abc_def0, 0x0fed_cba9_8765_4321, 5), (0xffff_ffff_ffff_f000, 0x1000, 63), (0x80, 0x7f, 200),
    ]

    @Test(arguments: [8, 64])
    func integerValueIsTheBitVectorValue(width: Int) throws {
        // Bitwise operations between two inputs go bit by bit: exact at any width, but at 64 bits
        // each check takes the simplex seconds; 8 bits shows the same encoding.
        for (name, op) in Self.operations where width == 8 || !Self.bitByBit.contains(name) {
            for (vx, vy, vs) in Self.samples {
                let c = Context()
                let x = c.bvConst("x", width: width), y = c.bvConst("y", width: width), s = c.bvConst("s", width: width)
                let t = op(x, y, s, c)
                let pins = [(x, vx), (y, vy), (s, vs % UInt64(width + 2))]
                guard let expected = c.evaluate(t, assigning: pins) else {
                    Issue.record("\(name): no reference value")
                    continue
                }
                let r = c.bvConst("r", width: width)
                let solver = try IntegerSolver(c)
                for (input, value) in pins { try solver.assert(input.eq(c.bv(value, width: width))) }
                try solver.assert(r.eq(t))
                // The translated query has a model, and its r is the bit-vector value...
                #expect(try solver.check() == .sat, "\(name) at \(width) bits: no model")
                #expect(try solver.value(r, in: solver.model()) == expected, "\(name) at \(width) bits, x=\(vx) y=\(vy)")
                // ...and no other value is possible.
                try solver.assert(!r.eq(c.bv(expected, width: width)))
                #expect(try solver.check() == .unsat, "\(name) at \(width) bits: a second value, x=\(vx) y=\(vy)")
            }
        }
    }

    @Test func productOfTwoInputsIsUntranslatable() throws {
        let c = Context()
        let x = c.bvConst("x", width: 16), y = c.bvConst("y", width: 16)
        let solver = try IntegerSolver(c)
        #expect(throws: Untranslatable.self) { try solver.assert(x.mul(y).eq(c.bv(6, width: 16))) }
        // Nothing of the failed assertion stays behind.
        try solver.assert(x.eq(c.bv(3, width: 16)))
        #expect(try solver.check() == .sat)
    }

    /// The reason the integer form exists: an order fact over 64-bit sums that bit-blasting takes
    /// minutes for is decided at once.
    @Test func orderFactOverSumsIsProved() throws {
        let c = Context()
        let a = c.bvConst("a", width: 64), m = c.bvConst("m", width: 64), l = c.bvConst("l", width: 64)
        let h = c.bvConst("h", width: 64), t = c.bvConst("t", width: 64)
        let solver = try IntegerSolver(c, limits: SolverLimits(rlimit: 50_000_000))
        let length = l.add(m)
        try solver.assert(!length.ult(l))                  // no overflow of the padded length
        try solver.assert(!a.add(length).ult(a))           // nor of the window's end
        try solver.assert(a.add(length).ule(h))
        try solver.assert(t.ule(m))
        try solver.assert(!a.add(t).add(l).ule(h))         // negated claim
        #expect(try solver.check() == .unsat)
    }

    /// The relaxed form the newer Z3 gets keeps masks by constants exact, so page alignment still
    /// means something ("two page-aligned VMAs that do not start together are a page apart"), while
    /// the all-bounded one cannot prove it; a mask between inputs stays bounded in both, so a fact
    /// that needs its bits is not proved by either (`sat` is no model there: unknown).
    @Test func relaxedFormKeepsConstantMasksWhenAsked() throws {
        let c = Context()
        let x = c.bvConst("x", width: 64), y = c.bvConst("y", width: 64), m = c.bvConst("m", width: 64)
        let page = c.bv(0xfff, width: 64)
        func proves(_ facts: [SBool], keepsConstantMasks: Bool) throws -> Bool {
            let solver = try IntegerSolver(c, limits: SolverLimits(rlimit: 50_000_000), relaxed: true, keepsConstantMasks: keepsConstantMasks)
            for f in facts { try solver.assert(f) }
            return try solver.check() == .unsat
        }
        let aligned = [x.and(page).eq(c.bv(0, width: 64)), y.and(page).eq(c.bv(0, width: 64)), x.ult(y),
                       !x.add(c.bv(0x1000, width: 64)).ule(y)]
        #expect(try proves(aligned, keepsConstantMasks: true))
        #expect(try !proves(aligned, keepsConstantMasks: false))
        let betweenInputs = [x.and(m).eq(c.bv(0, width: 64)), m.eq(c.bv(1, width: 64)), !x.and(c.bv(1, width: 64)).eq(c.bv(0, width: 64))]
        #expect(try !proves(betweenInputs, keepsConstantMasks: true))
        // Bounded is still sound: what the exact form refutes stays refutable by order alone.
        #expect(try proves([m.ult(x.and(m))], keepsConstantMasks: true))
    }
}


/// `arithmetic both` splits asserts into obligations and decides each with its own engine: the
/// verdicts must be those of bit-blasting alone, a refutation a replayed one.
@Suite struct ArithmeticBothTests {
    static let spec = """
        property order_and_mask_hold(unsigned long x, unsigned long y) arithmetic both {
            assume(x < 100 && y < 100 && (x & 7) == 0);
            assert(x + y < 200 && ((x & 3) == 0 || x + y != 7));
        }
        property order_and_mask_fail(unsigned long x, unsigned long y) arithmetic both {
            assume(x < 100 && y < 100);
            assert(x + y < 200 && ((x & 3) == 0 || x + y != 7));
        }
        property order_fails(unsigned long x, unsigned long y) arithmetic both {
            assume(x < 100);
            assert(x == 0 || (x + y > x && (y & 1) == 0));
        }
        """

    func verdicts(_ arithmetic: Arithmetic?) throws -> [String: Verdict] {
        let unit = try SpecLoader.load(text: Self.spec, path: "test.spec", model: Config.x86_64.dataModel)
        var options = ProverOptions.deterministic()
        var out: [String: Verdict] = [:]
        for var p in unit.program.properties {
            if let arithmetic { p.arithmetic = arithmetic.rawValue }
            options.minimizationBudget = 0
            out[p.name] = try Prover(options: options).prove(p, in: unit.program, file: "test.spec").verdict
        }
        return out
    }

    @Test func sameVerdictsAsBitBlasting() throws {
        let both = try verdicts(nil), bv = try verdicts(.bitVector)
        #expect(both["order_and_mask_hold"] == .proved(vacuous: false))
        #expect(bv["order_and_mask_hold"] == .proved(vacuous: false))
        for name in ["order_and_mask_fail", "order_fails"] {
            guard case .counterexample(let c)? = both[name], case .counterexample? = bv[name] else {
                Issue.record("\(name): \(String(describing: both[name])) with both, \(String(describing: bv[name])) with bv")
                continue
            }
            #expect(c.failures.first?.kind == .assertion)
        }
    }
}

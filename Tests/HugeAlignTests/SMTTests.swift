import Foundation
import SMT
import Testing

@Suite struct SMTTests {
    @Test func satUnsatAndModelValues() throws {
        let c = Context()
        let s = try Solver(c)
        let x = c.bvConst("x", width: 16)
        s.assert(x.add(c.bv(3, width: 16)).eq(c.bv(1, width: 16)))  // x + 3 == 1 (mod 2^16)
        #expect(try s.check() == .sat)
        #expect(try s.model().value(x) == 0xfffe)
        s.push()
        s.assert(x.ult(c.bv(100, width: 16)))
        #expect(try s.check() == .unsat)
        s.pop()
        #expect(try s.check() == .sat)
    }

    @Test func signedOperationsFollowC() throws {
        let c = Context()
        let s = try Solver(c)
        let a = c.bvConst("a", width: 8), q = c.bvConst("q", width: 8), r = c.bvConst("r", width: 8)
        s.assert(a.eq(c.bv(0xf9, width: 8)))                       // -7
        s.assert(q.eq(a.sdiv(c.bv(2, width: 8))))
        s.assert(r.eq(a.srem(c.bv(2, width: 8))))
        #expect(try s.check() == .sat)
        let m = try s.model()
        #expect(try m.value(q) == 0xfd)   // -3: truncation toward zero
        #expect(try m.value(r) == 0xff)   // -1: sign of the dividend
        #expect(try m.value(a.ashr(c.bv(1, width: 8))) == 0xfc)
        #expect(try m.value(a.signExtend(to: 16)) == 0xfff9)
        #expect(try m.value(a.zeroExtend(to: 16)) == 0x00f9)
        #expect(try m.value(a.extract(high: 3, low: 0)) == 0x9)
    }

    @Test func timeoutOrResourceLimitGivesUnknownWithReason() throws {
        let c = Context()
        let s = try Solver(c, limits: SolverLimits(rlimit: 1))
        // A hard multiplication inverse problem cannot finish within rlimit 1.
        let x = c.bvConst("x", width: 64), y = c.bvConst("y", width: 64)
        s.assert(x.mul(y).eq(c.bv(0x1234_5678_9abc_def1, width: 64)))
        s.assert(x.ugtOne(c) && y.ugtOne(c))
        let r = try s.check()
        guard case .unknown(let reason) = r else {
            Issue.record("expected unknown, got \(r)")
            return
        }
        #expect(!reason.isEmpty)
    }

    @Test func exportedSMTLIB2ParsesBack() throws {
        let c = Context()
        let s = try Solver(c)
        let x = c.bvConst("x", width: 64)
        s.assert(x.and(c.bv(0xfff, width: 64)).eq(c.bv(0x123, width: 64)))
        let text = s.smtlib2(comment: "test query")
        #expect(text.contains("(declare-fun x () (_ BitVec 64))"))
        #expect(text.contains("(check-sat)\n"))
        #expect(!text.contains("(get-model)"))
        // Parses back through the C API.
        let c2 = Context()
        let parsed = try c2.parseSMTLIB2(text.replacingOccurrences(of: "(check-sat)\n", with: ""))
        let s2 = try Solver(c2)
        s2.assert(parsed)
        #expect(try s2.check() == .sat)
    }

    /// The printer (`SMTLIB2Writer`) says what Z3 holds: every operator the encodings use — the
    /// bit-vector form's and the integer form's — parses back to an equivalent assertion.
    /// `fixes`: a conjunct `x = numeral` (through `and` and double negation) fixes `x`; an order, a
    /// disjunction or another term's equality does not.
    @Test func aConjunctEqualToANumeralFixesItsTerm() {
        let c = Context()
        let x = c.bvConst("x", width: 8), y = c.bvConst("y", width: 8)
        #expect((x.eq(c.bv(0, width: 8)) && y.ult(c.bv(3, width: 8))).fixes(x))
        #expect((!(!x.eq(c.bv(5, width: 8)))).fixes(x))
        #expect(!(x.eq(c.bv(0, width: 8)) || y.eq(c.bv(0, width: 8))).fixes(x))
        #expect(!(x.ult(c.bv(1, width: 8)) && y.eq(c.bv(2, width: 8))).fixes(x))
        #expect(!x.eq(y).fixes(x))
    }

    @Test func exportedSMTLIB2IsTheSameQuery() throws {
        let c = Context()
        // 8 bits: the equivalence checks bit-blast multiplications and divisions.
        let x = c.bvConst("x", width: 8), y = c.bvConst("vma0.start", width: 8), b = c.boolConst("layout!found1")
        let k = { (v: UInt64) in c.bv(v, width: 8) }
        let terms: [SBool] = [
            (b && x.add(k(3)).ult(y)) || (!b && x.sub(y).ule(k(0xf0))),
            b.ite(x.mul(k(5)), y.udiv(k(7))).urem(k(11)).eq(x.and(y).or(x.xor(k(1)))),
            x.shl(k(3)).lshr(k(1)).ashr(k(2)).not().neg().slt(y.sdiv(k(3)).srem(k(5))),
            x.extract(high: 3, low: 0).zeroExtend(to: 8).sle(y.extract(high: 7, low: 4).signExtend(to: 8)),
            b.implies(x.eq(y)).iff(c.boolConst("any!2")),
        ]
        for (n, t) in terms.enumerated() {
            for integer in [false, true] {
                let text: String
                if integer {
                    let s = try IntegerSolver(c)
                    guard (try? s.assert(t)) != nil else { continue }
                    text = s.smtlib2()
                } else {
                    let s = try Solver(c)
                    s.assert(t)
                    text = s.smtlib2()
                }
                let parsed = try c.parseSMTLIB2(text.replacingOccurrences(of: "(check-sat)\n", with: ""))
                if !integer {
                    // Same context, same names: the parsed assertion is the same function of x, y, b.
                    let s = try Solver(c)
                    s.assert(!parsed.iff(t))
                    #expect(try s.check() == .unsat, "term \(n): \(text)")
                }
                // Either form is satisfiable or not as the original is.
                let original = integer ? try IntegerSolver(c) : nil
                try original?.assert(t)
                let s = try Solver(c, logic: integer ? "QF_LIA" : "QF_BV")
                s.assert(parsed)
                if let original { #expect(try s.check() == original.check(), "term \(n) (integer form)") }
            }
        }
    }

    /// Linear in the DAG: a term whose tree has 2⁶⁰ nodes but 180 distinct ones prints in a few
    /// kilobytes, and one nested 5 000 deep prints without exhausting the stack.
    @Test func exportedSMTLIB2IsLinearInTheDAG() throws {
        let c = Context()
        var v = c.bvConst("x", width: 64)
        for i in 0..<60 { v = c.boolConst("c\(i)").ite(v.add(c.bv(1, width: 64)), v.mul(v)) }
        let s = try Solver(c)
        s.assert(v.eq(c.bv(7, width: 64)))
        let text = s.smtlib2()
        #expect(text.utf8.count < 20_000)
        var deep = c.bvConst("y", width: 64)
        for i in 0..<5_000 { deep = deep.add(c.bv(UInt64(i % 7 + 1), width: 64)) }
        let d = try Solver(c)
        d.assert(deep.eq(c.bv(0, width: 64)))
        let parsed = try c.parseSMTLIB2(d.smtlib2().replacingOccurrences(of: "(check-sat)\n", with: ""))
        let check = try Solver(c)
        check.assert(!parsed.iff(deep.eq(c.bv(0, width: 64))))
        #expect(try check.check() == .unsat)
    }

    /// The z3 binary runs an exported query and exits 0 on both answers (an unsat query once ended
    /// in `(get-model)`, which z3 rejects with exit 1). CI installs z3; without it this is skipped.
    @Test(.enabled(if: FileManager.default.isExecutableFile(atPath: "/usr/bin/z3"), "needs the z3 binary (apt-get install z3)"),
          arguments: [("sat", 0x123 as UInt64), ("unsat", 0x1123 as UInt64)])
    func exportedQueriesRunInZ3(answer: String, value: UInt64) throws {
        let c = Context()
        let s = try Solver(c)
        let x = c.bvConst("x", width: 64)
        s.assert(x.and(c.bv(0xfff, width: 64)).eq(c.bv(value, width: 64)))
        let path = NSTemporaryDirectory() + "hugealign-test-\(getpid())-\(answer).smt2"
        defer { try? FileManager.default.removeItem(atPath: path) }
        try s.smtlib2(comment: "test query").write(toFile: path, atomically: true, encoding: .utf8)
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/usr/bin/z3")
        p.arguments = ["-smt2", path]
        let out = Pipe()
        p.standardOutput = out
        try p.run()
        let data = out.fileHandleForReading.readDataToEndOfFile()
        p.waitUntilExit()
        #expect(String(decoding: data, as: UTF8.self).hasPrefix(answer + "\n"))
        #expect(p.terminationStatus == 0)
    }

    /// Z3 errors reach Swift as `SMTError`; the process survives (the default handler would exit).
    @Test func z3ErrorsBecomeSwiftErrors() throws {
        let c = Context()
        let s = try Solver(c)
        let a = c.bvConst("a", width: 8), b = c.bvConst("b", width: 16)
        s.assert(a.unsafeRawAdd(b).eq(a))   // Z3 itself rejects the sort mismatch
        #expect(throws: SMTError.self) { try s.check() }
        // A parse error from Z3's SMT-LIB2 parser.
        #expect(throws: SMTError.self) { try Context().parseSMTLIB2("(assert (bvadd x))") }
        // An unknown solver parameter.
        #expect(throws: SMTError.self) { try s.setParameters(bools: ["no_such_parameter_here": true]) }
        // The context is still usable afterwards.
        c.clearError()
        let s2 = try Solver(c)
        s2.assert(a.eq(c.bv(1, width: 8)))
        #expect(try s2.check() == .sat)
    }

    @Test func widthMismatchIsReportedNotTrapped() throws {
        let c = Context()
        let s = try Solver(c)
        s.assert(c.bvConst("p", width: 8).add(c.bvConst("q", width: 32)).eq(c.bv(0, width: 8)))
        do {
            _ = try s.check()
            Issue.record("expected an error")
        } catch let e as SMTError {
            #expect(e.code == "Z3_SORT_ERROR")
            #expect(e.message.contains("widths 8 and 32"))
        }
    }
}

extension SBV {
    func ugtOne(_ c: Context) -> SBool { c.bv(1, width: width).ult(self) }
}

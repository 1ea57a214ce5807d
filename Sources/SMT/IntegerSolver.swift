import CZ3

/// A solver that decides bit-vector formulas through their exact integer form
/// (`IntegerTranslation`) with Z3's linear-arithmetic engine. It answers the same questions as
/// `Solver` — the same formulas, the same models of the bit-vector inputs — by another route, so
/// the prover can ask both (docs/verdicts.md, "Two arithmetics").
public final class IntegerSolver: @unchecked Sendable {
    public let context: Context
    let solver: Solver
    let translation: IntegerTranslation
    private var snapshots: [IntegerTranslation.Snapshot] = []
    /// Side conditions already handed to the solver.
    private var asserted = 0

    /// Inputs replaced by values in everything asserted (then simplified): a pinned shift amount
    /// makes its masks constants, which the integer form needs (a mask built from an input has
    /// no linear form but a bit-by-bit one).
    let fixed: [(input: SBV, value: UInt64)]

    /// Relaxed (`IntegerTranslation.relaxed`, `keepsConstantMasks`): "unsat" is a proof, "sat" is
    /// reported as unknown.
    public let relaxed: Bool

    public init(_ context: Context, limits: SolverLimits = SolverLimits(), fixing fixed: [(input: SBV, value: UInt64)] = [],
                relaxed: Bool = false, keepsConstantMasks: Bool = false) throws {
        self.context = context
        self.fixed = fixed
        self.relaxed = relaxed
        solver = try Solver(context, limits: limits, logic: "QF_LIA")
        translation = IntegerTranslation(context, relaxed: relaxed, keepsConstantMasks: keepsConstantMasks)
    }

    public func set(_ limits: SolverLimits) throws { try solver.set(limits) }

    /// Asserts the integer form of `b`; throws `Untranslatable` (and asserts nothing) when part of
    /// it has none.
    public func assert(_ b: SBool) throws {
        let saved = translation.snapshot()
        let t: Term
        do {
            let b = fixed.isEmpty ? b : SBool(context.substituteAndSimplify(b.term, fixed.map { ($0.input, $0.value) }, []))
            t = try translation.translate(b)
        } catch {
            translation.restore(saved)
            throw error
        }
        let side = translation.sideConditions
        for s in side[asserted...] { solver.assert(SBool(s)) }
        asserted = side.count
        solver.assert(SBool(t))
    }

    public func push() {
        snapshots.append(translation.snapshot())
        solver.push()
    }

    public func pop(_ n: UInt32 = 1) {
        for _ in 0..<n {
            solver.pop()
            if let s = snapshots.popLast() {
                translation.restore(s)
                asserted = translation.sideConditions.count
            }
        }
    }

    public func check() throws -> CheckResult {
        let r = try solver.check()
        if relaxed && r == .sat { return .unknown(reason: "a model of the relaxed integer form") }
        return r
    }
    public var resourceCount: UInt64 { solver.resourceCount }

    /// The model of the last `sat` check (its values of the bit-vector inputs: `value(_:in:)`).
    public func model() throws -> Model { try solver.model() }

    /// The value of a bit-vector input (a constant) in a model of this solver; an input the formula
    /// never mentions reads 0.
    public func value(_ input: SBV, in model: Model) throws -> UInt64 {
        let c = context.raw
        guard Z3_get_ast_kind(c, input.term.raw) == Z3_APP_AST, let app = Z3_to_app(c, input.term.raw),
              Z3_get_app_num_args(c, app) == 0 else {
            throw SMTError(code: "Z3_INVALID_ARG", message: "\(input) is not an input")
        }
        if let f = fixed.first(where: { $0.input.term.raw == input.term.raw }) { return f.value }
        let name = String(cString: Z3_get_symbol_string(c, Z3_get_decl_name(c, Z3_get_app_decl(c, app))))
        guard let v = translation.variables[name] else { return 0 }
        let term = try model.evaluate(v, shown: name)
        var out: UInt64 = 0
        guard Z3_get_numeral_uint64(c, term.raw, &out) else {
            throw SMTError(code: "Z3_INVALID_ARG", message: "model value of \(name) is not a 64-bit numeral")
        }
        return out
    }
}

extension IntegerSolver {
    /// The integer query as SMT-LIB2 (QF_LIA), for inspection and other solvers.
    public func smtlib2(comment: String? = nil) -> String {
        solver.smtlib2(comment: comment)
    }
}

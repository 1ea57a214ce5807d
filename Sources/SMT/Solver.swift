import CZ3

/// The answer to one satisfiability check.
public enum CheckResult: Equatable, Sendable {
    case sat
    case unsat
    /// Z3 gave up; the reason is `Z3_solver_get_reason_unknown` (e.g. "timeout", "canceled").
    case unknown(reason: String)
}

/// Limits for a check: wall-clock timeout and Z3's deterministic resource limit.
public struct SolverLimits: Sendable, Equatable {
    public var timeoutMilliseconds: UInt32?
    public var rlimit: UInt32?
    public init(timeoutMilliseconds: UInt32? = nil, rlimit: UInt32? = nil) {
        self.timeoutMilliseconds = timeoutMilliseconds
        self.rlimit = rlimit
    }
}

/// A Z3 solver over quantifier-free bit-vectors, with push/pop and SMT-LIB2 export.
public final class Solver: @unchecked Sendable {
    public let context: Context
    let raw: Z3_solver
    let logic: String

    /// `logic` picks Z3's strategy: QF_BV's (simplify, bit-blast, SAT) was the fastest of Z3's
    /// solvers on bit-vector queries; `IntegerSolver` asks for QF_LIA.
    public init(_ context: Context, limits: SolverLimits = SolverLimits(), logic: String = "QF_BV") throws {
        self.context = context
        self.logic = logic
        raw = Z3_mk_solver_for_logic(context.raw, Z3_mk_string_symbol(context.raw, logic))!
        Z3_solver_inc_ref(context.raw, raw)
        try set(limits)
    }

    deinit { Z3_solver_dec_ref(context.raw, raw) }

    /// Applies limits; also turns Z3's own Ctrl-C handling off (we interrupt explicitly).
    public func set(_ limits: SolverLimits) throws {
        try setParameters(bools: ["ctrl_c": false],
                          uints: ["timeout": limits.timeoutMilliseconds, "rlimit": limits.rlimit].compactMapValues { $0 })
    }

    /// Sets solver parameters by name; an unknown name is a Z3 error thrown here.
    public func setParameters(bools: [String: Bool] = [:], uints: [String: UInt32] = [:]) throws {
        let c = context.raw
        let p = Z3_mk_params(c)!
        Z3_params_inc_ref(c, p)
        defer { Z3_params_dec_ref(c, p) }
        for (k, v) in bools.sorted(by: { $0.key < $1.key }) { Z3_params_set_bool(c, p, Z3_mk_string_symbol(c, k), v) }
        for (k, v) in uints.sorted(by: { $0.key < $1.key }) { Z3_params_set_uint(c, p, Z3_mk_string_symbol(c, k), v) }
        Z3_solver_set_params(c, raw, p)
        context.checkError()
        try context.throwIfError()
    }

    public func assert(_ b: SBool) {
        Z3_solver_assert(context.raw, raw, b.term.raw)
        context.checkError()
    }

    public func push() { Z3_solver_push(context.raw, raw) }
    public func pop(_ n: UInt32 = 1) { Z3_solver_pop(context.raw, raw, n) }

    /// Checks the asserted formulas. Throws any pending Z3 error (from building them or from the check).
    public func check() throws -> CheckResult {
        try context.throwIfError()
        let r = Z3_solver_check(context.raw, raw)
        context.checkError()
        try context.throwIfError()
        switch r {
        case Z3_L_TRUE: return .sat
        case Z3_L_FALSE: return .unsat
        default: return .unknown(reason: String(cString: Z3_solver_get_reason_unknown(context.raw, raw)))
        }
    }

    /// Stops this solver's check in progress, from another thread (it answers unknown, "interrupted");
    /// outside a check it does nothing, and other solvers of the context are left alone.
    public func interrupt() { Z3_solver_interrupt(context.raw, raw) }

    /// Z3's resource counter after the last check ("rlimit count"): the deterministic measure of
    /// work that `rlimit` bounds. 0 when Z3 does not report it.
    public var resourceCount: UInt64 {
        guard let stats = Z3_solver_get_statistics(context.raw, raw) else { return 0 }
        Z3_stats_inc_ref(context.raw, stats)
        defer { Z3_stats_dec_ref(context.raw, stats) }
        for i in 0..<Z3_stats_size(context.raw, stats) where String(cString: Z3_stats_get_key(context.raw, stats, i)) == "rlimit count" {
            if Z3_stats_is_uint(context.raw, stats, i) { return UInt64(Z3_stats_get_uint_value(context.raw, stats, i)) }
            return UInt64(max(0, Z3_stats_get_double_value(context.raw, stats, i)))
        }
        return 0
    }

    /// The model of the last `sat` check.
    public func model() throws -> Model {
        guard let m = Z3_solver_get_model(context.raw, raw), context.checkError() else {
            try context.throwIfError()
            throw SMTError(code: "Z3_INVALID_USAGE", message: "no model available")
        }
        return Model(context, m)
    }

    /// The assertions as an SMT-LIB2 script that `z3 -smt2` runs: declarations, assertions and
    /// `(check-sat)`. No `(get-model)`: after `unsat` (a proof) it is an error and z3 exits 1; the
    /// comment says how to ask for the model of a `sat` answer.
    public func smtlib2(comment: String? = nil) -> String {
        var out = ""
        if let comment {
            for line in comment.split(separator: "\n", omittingEmptySubsequences: false) { out += "; \(line)\n" }
        }
        let vec = Z3_solver_get_assertions(context.raw, raw)!
        Z3_ast_vector_inc_ref(context.raw, vec)
        defer { Z3_ast_vector_dec_ref(context.raw, vec) }
        let assertions = (0..<Z3_ast_vector_size(context.raw, vec)).map { Z3_ast_vector_get(context.raw, vec, $0)! }
        out += SMTLIB2Writer.script(context, logic: logic, assertions: assertions)
        out += "(check-sat)\n; for the model of a sat answer: z3 -smt2 model=true FILE\n"
        return out
    }
}

/// A satisfying assignment.
public final class Model: @unchecked Sendable {
    let context: Context
    let raw: Z3_model

    init(_ context: Context, _ raw: Z3_model) {
        self.context = context
        self.raw = raw
        Z3_model_inc_ref(context.raw, raw)
    }

    deinit { Z3_model_dec_ref(context.raw, raw) }

    /// A term evaluated in the model, completed (unconstrained inputs read as 0).
    func evaluate(_ t: Term, shown: @autoclosure () -> String) throws -> Term {
        var out: Z3_ast?
        guard Z3_model_eval(context.raw, raw, t.raw, true, &out), let out else {
            context.checkError()
            try context.throwIfError()
            throw SMTError(code: "Z3_INVALID_ARG", message: "could not evaluate \(shown()) in the model")
        }
        return Term(context, out)
    }

    /// The value of a bit-vector term, completing the model (unconstrained inputs read as 0).
    public func value(_ t: SBV) throws -> UInt64 {
        let term = try evaluate(t.term, shown: "\(t)")
        var v: UInt64 = 0
        guard Z3_get_numeral_uint64(context.raw, term.raw, &v) else {
            throw SMTError(code: "Z3_INVALID_ARG", message: "model value of \(t) is not a numeral")
        }
        return v
    }

    public func value(_ b: SBool) throws -> Bool {
        let term = try evaluate(b.term, shown: "\(b)")
        switch Z3_get_bool_value(context.raw, term.raw) {
        case Z3_L_TRUE: return true
        case Z3_L_FALSE: return false
        default: throw SMTError(code: "Z3_INVALID_ARG", message: "model value of \(b) is not a Boolean")
        }
    }
}

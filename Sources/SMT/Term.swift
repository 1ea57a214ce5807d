import CZ3

/// One reference-counted Z3 AST. Keeps its context alive.
public final class Term: @unchecked Sendable {
    public let context: Context
    public let raw: Z3_ast

    /// Wraps a freshly made AST; a NULL (after an error) becomes a placeholder `false` and the error
    /// stays pending in the context.
    init(_ context: Context, _ ast: Z3_ast?) {
        self.context = context
        if context.checkError(), let ast {
            raw = ast
        } else {
            raw = Z3_mk_false(context.raw)
        }
        Z3_inc_ref(context.raw, raw)
    }

    deinit { Z3_dec_ref(context.raw, raw) }

    public var description: String { String(cString: Z3_ast_to_string(context.raw, raw)) }

    /// The operator and arguments of an application (nil: a variable's or numeral's AST that is
    /// no application, a quantifier): how the SMT layer reads the structure of a term.
    static func application(_ c: Z3_context, _ a: Z3_ast) -> (kind: Z3_decl_kind, arguments: [Z3_ast])? {
        guard Z3_get_ast_kind(c, a) == Z3_APP_AST, let app = Z3_to_app(c, a) else { return nil }
        return (Z3_get_decl_kind(c, Z3_get_app_decl(c, app)), (0..<Z3_get_app_num_args(c, app)).map { Z3_get_app_arg(c, app, $0)! })
    }

    var ctx: Z3_context { context.raw }
}

/// A Boolean term.
public struct SBool: @unchecked Sendable, CustomStringConvertible {
    public let term: Term
    public init(_ term: Term) { self.term = term }
    var ctx: Context { term.context }
    public var description: String { term.description }

    /// `true`/`false` when the term is literally that constant (no solving).
    public var literal: Bool? {
        let v = Z3_get_bool_value(ctx.raw, term.raw)
        if v == Z3_L_TRUE { return true }
        if v == Z3_L_FALSE { return false }
        return nil
    }

    public static prefix func ! (a: SBool) -> SBool {
        if let l = a.literal { return a.ctx.bool(!l) }
        return SBool(Term(a.ctx, Z3_mk_not(a.ctx.raw, a.term.raw)))
    }

    public static func && (a: SBool, b: SBool) -> SBool {
        if let l = a.literal { return l ? b : a }
        if let l = b.literal { return l ? a : b }
        return and([a, b], in: a.ctx)
    }

    public static func || (a: SBool, b: SBool) -> SBool {
        if let l = a.literal { return l ? a : b }
        if let l = b.literal { return l ? b : a }
        return or([a, b], in: a.ctx)
    }

    public static func and(_ xs: [SBool], in c: Context) -> SBool { junction(xs, unit: true, in: c, Z3_mk_and) }

    public static func or(_ xs: [SBool], in c: Context) -> SBool { junction(xs, unit: false, in: c, Z3_mk_or) }

    /// `and` (unit true) or `or` (unit false) of many terms, folding literals: the unit drops out,
    /// its negation decides the whole.
    static func junction(_ xs: [SBool], unit: Bool, in c: Context,
                         _ make: (Z3_context?, UInt32, UnsafePointer<Z3_ast?>?) -> Z3_ast?) -> SBool {
        let live = xs.filter { $0.literal != unit }
        if live.contains(where: { $0.literal == !unit }) { return c.bool(!unit) }
        if live.isEmpty { return c.bool(unit) }
        if live.count == 1 { return live[0] }
        let raws = live.map { Optional($0.term.raw) }
        return SBool(Term(c, raws.withUnsafeBufferPointer { make(c.raw, UInt32(live.count), $0.baseAddress) }))
    }

    public func implies(_ b: SBool) -> SBool { !self || b }

    public func iff(_ b: SBool) -> SBool {
        SBool(Term(ctx, Z3_mk_iff(ctx.raw, term.raw, b.term.raw)))
    }

    /// Whether the formula, read as a conjunction (through `and` and double negation), has a
    /// conjunct `x = numeral`: then `x` has one value wherever it holds. Syntactic, no solving.
    public func fixes(_ x: SBV) -> Bool {
        let c = ctx.raw
        var open = [term.raw], visited = 0
        while let a = open.popLast(), visited < 10_000 {
            visited += 1
            guard let (kind, args) = Term.application(c, a) else { continue }
            switch kind {
            case Z3_OP_AND: open += args
            case Z3_OP_NOT:
                if let inner = Term.application(c, args[0]), inner.kind == Z3_OP_NOT { open.append(inner.arguments[0]) }
            case Z3_OP_EQ where args.count == 2:
                if (args[0] == x.term.raw && Z3_is_numeral_ast(c, args[1])) || (args[1] == x.term.raw && Z3_is_numeral_ast(c, args[0])) {
                    return true
                }
            default: break
            }
        }
        return false
    }

    public func ite(_ a: SBool, _ b: SBool) -> SBool {
        if let l = literal { return l ? a : b }
        return SBool(Term(ctx, Z3_mk_ite(ctx.raw, term.raw, a.term.raw, b.term.raw)))
    }

    public func ite(_ a: SBV, _ b: SBV) -> SBV {
        if let l = literal { return l ? a : b }
        if a.width != b.width { return ctx.widthMismatch("ite", a.width, b.width) }
        return SBV(Term(ctx, Z3_mk_ite(ctx.raw, term.raw, a.term.raw, b.term.raw)), width: a.width)
    }
}

/// A bit-vector term of a fixed width (1...64). Operations are C's, without implicit conversion:
/// both operands must have the same width (a mismatch is recorded as an `SMTError`).
public struct SBV: @unchecked Sendable, CustomStringConvertible {
    public let term: Term
    public let width: Int
    public init(_ term: Term, width: Int) {
        self.term = term
        self.width = width
    }

    var ctx: Context { term.context }
    public var description: String { term.description }

    /// The value when the term is a numeral.
    public var numeral: UInt64? {
        guard Z3_is_numeral_ast(ctx.raw, term.raw) else { return nil }
        var v: UInt64 = 0
        return Z3_get_numeral_uint64(ctx.raw, term.raw, &v) ? v : nil
    }

    typealias Binary = (Z3_context?, Z3_ast?, Z3_ast?) -> Z3_ast?

    private func bin(_ op: String, _ b: SBV, _ f: Binary) -> SBV {
        if width != b.width { return ctx.widthMismatch(op, width, b.width) }
        return SBV(Term(ctx, f(ctx.raw, term.raw, b.term.raw)), width: width)
    }

    private func cmp(_ op: String, _ b: SBV, _ f: Binary) -> SBool {
        if width != b.width {
            ctx.record(SMTError(code: "Z3_SORT_ERROR", message: "\(op): widths \(width) and \(b.width) differ"))
            return ctx.falseTerm
        }
        return SBool(Term(ctx, f(ctx.raw, term.raw, b.term.raw)))
    }

    public func add(_ b: SBV) -> SBV { bin("bvadd", b, Z3_mk_bvadd) }
    public func sub(_ b: SBV) -> SBV { bin("bvsub", b, Z3_mk_bvsub) }
    public func mul(_ b: SBV) -> SBV { bin("bvmul", b, Z3_mk_bvmul) }
    public func udiv(_ b: SBV) -> SBV { bin("bvudiv", b, Z3_mk_bvudiv) }
    public func urem(_ b: SBV) -> SBV { bin("bvurem", b, Z3_mk_bvurem) }
    public func sdiv(_ b: SBV) -> SBV { bin("bvsdiv", b, Z3_mk_bvsdiv) }
    public func srem(_ b: SBV) -> SBV { bin("bvsrem", b, Z3_mk_bvsrem) }
    public func and(_ b: SBV) -> SBV { bin("bvand", b, Z3_mk_bvand) }
    public func or(_ b: SBV) -> SBV { bin("bvor", b, Z3_mk_bvor) }
    public func xor(_ b: SBV) -> SBV { bin("bvxor", b, Z3_mk_bvxor) }
    public func shl(_ b: SBV) -> SBV { bin("bvshl", b, Z3_mk_bvshl) }
    public func lshr(_ b: SBV) -> SBV { bin("bvlshr", b, Z3_mk_bvlshr) }
    public func ashr(_ b: SBV) -> SBV { bin("bvashr", b, Z3_mk_bvashr) }
    public func not() -> SBV { SBV(Term(ctx, Z3_mk_bvnot(ctx.raw, term.raw)), width: width) }
    public func neg() -> SBV { SBV(Term(ctx, Z3_mk_bvneg(ctx.raw, term.raw)), width: width) }

    public func eq(_ b: SBV) -> SBool { cmp("=", b, Z3_mk_eq) }
    public func ult(_ b: SBV) -> SBool { cmp("bvult", b, Z3_mk_bvult) }
    public func ule(_ b: SBV) -> SBool { cmp("bvule", b, Z3_mk_bvule) }
    public func slt(_ b: SBV) -> SBool { cmp("bvslt", b, Z3_mk_bvslt) }
    public func sle(_ b: SBV) -> SBool { cmp("bvsle", b, Z3_mk_bvsle) }

    /// Bits `high...low` (inclusive), as Z3's extract.
    public func extract(high: Int, low: Int) -> SBV {
        guard low >= 0, high >= low, high < width else {
            ctx.record(SMTError(code: "Z3_INVALID_ARG", message: "extract \(high):\(low) of a \(width)-bit term"))
            return ctx.bv(0, width: max(1, high - low + 1))
        }
        return SBV(Term(ctx, Z3_mk_extract(ctx.raw, UInt32(high), UInt32(low), term.raw)), width: high - low + 1)
    }

    public func zeroExtend(to w: Int) -> SBV {
        if w == width { return self }
        if w < width { return extract(high: w - 1, low: 0) }
        return SBV(Term(ctx, Z3_mk_zero_ext(ctx.raw, UInt32(w - width), term.raw)), width: w)
    }

    public func signExtend(to w: Int) -> SBV {
        if w == width { return self }
        if w < width { return extract(high: w - 1, low: 0) }
        return SBV(Term(ctx, Z3_mk_sign_ext(ctx.raw, UInt32(w - width), term.raw)), width: w)
    }

    /// `(condition, then, else)` when the term is an `ite`: lets a caller follow a merged value to
    /// the values it was merged from.
    public var iteParts: (condition: SBool, then: SBV, else: SBV)? {
        guard let (kind, args) = Term.application(ctx.raw, term.raw), kind == Z3_OP_ITE else { return nil }
        return (SBool(Term(ctx, args[0])), SBV(Term(ctx, args[1]), width: width), SBV(Term(ctx, args[2]), width: width))
    }

    /// Builds the term with a Z3 call that bypasses the width check (for tests of the error path).
    public func unsafeRawAdd(_ b: SBV) -> SBV {
        SBV(Term(ctx, Z3_mk_bvadd(ctx.raw, term.raw, b.term.raw)), width: width)
    }
}

extension Context {
    func widthMismatch(_ op: String, _ a: Int, _ b: Int) -> SBV {
        record(SMTError(code: "Z3_SORT_ERROR", message: "\(op): widths \(a) and \(b) differ"))
        return bv(0, width: a)
    }
}

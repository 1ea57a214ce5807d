import CZ3

/// A bit-vector operation the integer translation does not cover (e.g. the product of two inputs).
public struct Untranslatable: Error, CustomStringConvertible {
    public let operation: String
    public var description: String { "no integer form for \(operation)" }
}

/// Bit-vector formulas as linear integer arithmetic ("int-blasting"), exactly: every w-bit term
/// becomes an integer in [0, 2^w), and each wrap-around gets an explicit overflow variable
/// (`a + b = r + 2^w·o`, `o ∈ {0, 1}`). Masks, extracts and shifts by constants split a value at
/// the bit positions involved (`x = 2^k·q + r`, `0 ≤ r < 2^k`). The result is equisatisfiable with
/// the input, and a model of it gives every bit-vector input its value.
///
/// Why: bit-blasting decides facts like "a + m + l ≤ h and t ≤ m imply a + t + l ≤ h" at 64 bits in
/// minutes (a SAT solver has no notion of order over sums), while the simplex decides them in
/// milliseconds. The search windows of the placement code are made of exactly such facts.
final class IntegerTranslation {
    let context: Context
    var c: Z3_context { context.raw }
    let intSort: Z3_sort
    /// Defining constraints of the fresh variables, to be asserted with the translated formula.
    private(set) var sideConditions: [Term] = []
    /// Translations by source AST id; the source term is kept so that its id is not reused.
    private var cache: [UInt32: (source: Term, result: Term)] = [:]
    /// `x = 2^k·q + r` splits, by the id of `x` (an integer term) and k.
    private var splits: [SplitKey: (x: Term, q: Term, r: Term)] = [:]
    /// The integer variable of each bit-vector input, by the input's name.
    private(set) var variables: [String: Term] = [:]
    private var freshCount = 0

    struct SplitKey: Hashable {
        let term: UInt32
        let k: Int
    }

    /// An entry made since some snapshot, to be taken out again by `restore`. An undo log rather
    /// than copies of the tables: the solver takes a snapshot at every assert and push, and a copy
    /// of a large cache each time made long queries quadratic.
    private enum Entry {
        case cache(UInt32)
        case split(SplitKey)
        case variable(String)
    }
    private var journal: [Entry] = []

    /// Everything a `push` must be able to undo.
    struct Snapshot {
        let side: Int
        let journal: Int
    }

    /// Relaxed: a bitwise operation is only bounded (`x & m ≤ min(x, m)`, `x | m ≥ max(x, m)`, …)
    /// instead of split bit by bit. The formula then has more models, so its "unsat" is a proof
    /// and its "sat" means nothing: the linear engine decides the order facts of a query without
    /// the divisibility that masks bring (`IntegerSolver(relaxed:)`).
    let relaxed: Bool
    /// Relaxed, but a mask by a constant stays exact (its splits are linear), so flag tests and
    /// page alignment keep their meaning; only operations between inputs are bounded. Stronger,
    /// and harder: Z3 5.4 decides the layout queries' forms in 0.1–2 s, Z3 4.8 takes 25–30 s
    /// where its all-bounded form answers (uselessly) `sat` in a tenth of a second.
    let keepsConstantMasks: Bool

    init(_ context: Context, relaxed: Bool = false, keepsConstantMasks: Bool = false) {
        self.context = context
        self.relaxed = relaxed
        self.keepsConstantMasks = keepsConstantMasks
        intSort = Z3_mk_int_sort(context.raw)
    }

    /// The terms are released in a fixed order. Z3 reuses the ids of deleted terms, and ids steer
    /// its heuristics; a dictionary let go whole releases its entries in hash order, which Swift
    /// seeds per process — so the same query took 9.5 M resource units in one run and 15.7 M in
    /// the next, and `--check-expectations` budgets were not the same from run to run.
    deinit {
        for key in cache.keys.sorted() { cache[key] = nil }
        for key in splits.keys.sorted(by: { ($0.term, $0.k) < ($1.term, $1.k) }) { splits[key] = nil }
        for name in variables.keys.sorted() { variables[name] = nil }
    }

    func snapshot() -> Snapshot { Snapshot(side: sideConditions.count, journal: journal.count) }

    func restore(_ s: Snapshot) {
        sideConditions.removeLast(sideConditions.count - s.side)
        while journal.count > s.journal {
            switch journal.removeLast() {
            case .cache(let id): cache[id] = nil
            case .split(let key): splits[key] = nil
            case .variable(let name): variables[name] = nil
            }
        }
    }

    // MARK: - Integer terms

    private func keep(_ a: Z3_ast?) -> Term { Term(context, a) }

    func number(_ v: UInt64) -> Term { keep(Z3_mk_numeral(c, String(v), intSort)) }
    func number(negative v: UInt64) -> Term { keep(Z3_mk_numeral(c, v == 0 ? "0" : "-\(v)", intSort)) }

    /// 2^k, for 0 ≤ k ≤ 64.
    func power(_ k: Int) -> Term {
        k < 64 ? number(UInt64(1) << UInt64(k)) : keep(Z3_mk_numeral(c, "18446744073709551616", intSort))
    }

    /// 2^k − 1, for 0 ≤ k ≤ 64.
    func ones(_ k: Int) -> UInt64 { k >= 64 ? .max : (UInt64(1) << UInt64(k)) - 1 }

    func add(_ xs: [Term]) -> Term {
        if xs.count == 1 { return xs[0] }
        let raws: [Z3_ast?] = xs.map { $0.raw }
        return keep(raws.withUnsafeBufferPointer { Z3_mk_add(c, UInt32(xs.count), $0.baseAddress) })
    }

    func sub(_ a: Term, _ b: Term) -> Term {
        let raws: [Z3_ast?] = [a.raw, b.raw]
        return keep(raws.withUnsafeBufferPointer { Z3_mk_sub(c, 2, $0.baseAddress) })
    }

    func mul(_ a: Term, _ b: Term) -> Term {
        if let x = numeral(a), let y = numeral(b) {
            let (p, overflow) = x.multipliedReportingOverflow(by: y)
            if !overflow { return number(p) }
        }
        let raws: [Z3_ast?] = [a.raw, b.raw]
        return keep(raws.withUnsafeBufferPointer { Z3_mk_mul(c, 2, $0.baseAddress) })
    }

    func le(_ a: Term, _ b: Term) -> Term { keep(Z3_mk_le(c, a.raw, b.raw)) }
    func lt(_ a: Term, _ b: Term) -> Term { keep(Z3_mk_lt(c, a.raw, b.raw)) }
    func eq(_ a: Term, _ b: Term) -> Term { keep(Z3_mk_eq(c, a.raw, b.raw)) }
    func ite(_ cond: Term, _ a: Term, _ b: Term) -> Term { keep(Z3_mk_ite(c, cond.raw, a.raw, b.raw)) }

    func and(_ xs: [Term]) -> Term {
        let raws: [Z3_ast?] = xs.map { $0.raw }
        return keep(raws.withUnsafeBufferPointer { Z3_mk_and(c, UInt32(xs.count), $0.baseAddress) })
    }

    func or(_ xs: [Term]) -> Term {
        let raws: [Z3_ast?] = xs.map { $0.raw }
        return keep(raws.withUnsafeBufferPointer { Z3_mk_or(c, UInt32(xs.count), $0.baseAddress) })
    }

    /// A fresh integer in [lo, hi] (lo, hi as terms).
    func fresh(_ lo: Term, _ hi: Term) -> Term {
        freshCount += 1
        let v = keep(Z3_mk_const(c, Z3_mk_string_symbol(c, "int!\(freshCount)"), intSort))
        sideConditions.append(le(lo, v))
        sideConditions.append(le(v, hi))
        return v
    }

    /// `expr mod 2^w` when `expr` is known to lie in [lo·2^w, (hi+1)·2^w): `expr − 2^w·o` with a
    /// fresh overflow count `o ∈ [lo, hi]`.
    func wrap(_ expr: Term, width w: Int, overflow lo: Term, _ hi: Term, trivial: Bool = false) -> Term {
        if trivial { return expr }
        let o = fresh(lo, hi)
        let r = fresh(number(0), number(ones(w)))
        sideConditions.append(eq(r, sub(expr, mul(power(w), o))))
        return r
    }

    /// `x = 2^k·q + r` with `0 ≤ r < 2^k`, for `x ∈ [0, 2^w)`.
    func split(_ x: Term, at k: Int, width w: Int) -> (q: Term, r: Term) {
        // A constant splits into constants (a shift of a constant by an input has one per amount).
        if let v = numeral(x) { return (number(k >= 64 ? 0 : v >> UInt64(k)), number(v & ones(k))) }
        let key = SplitKey(term: Z3_get_ast_id(c, x.raw), k: k)
        if let s = splits[key] { return (s.q, s.r) }
        let q = fresh(number(0), number(ones(w - k)))
        let r = fresh(number(0), number(ones(k)))
        sideConditions.append(eq(x, add([mul(power(k), q), r])))
        splits[key] = (x, q, r)  // x kept alive: its id must not be reused
        journal.append(.split(key))
        return (q, r)
    }

    /// `x mod 2^k` of `x ∈ [0, 2^w)`.
    func low(_ x: Term, _ k: Int, width w: Int) -> Term {
        if k >= w { return x }
        if k <= 0 { return number(0) }
        return split(x, at: k, width: w).r
    }

    /// `x div 2^k` of `x ∈ [0, 2^w)`.
    func high(_ x: Term, _ k: Int, width w: Int) -> Term {
        if k <= 0 { return x }
        if k >= w { return number(0) }
        return split(x, at: k, width: w).q
    }

    /// `x & m` for a constant mask: the sum of x's bit runs that the mask keeps.
    func masked(_ x: Term, _ m: UInt64, width w: Int) -> Term {
        let m = m & ones(w)
        if m == 0 { return number(0) }
        if m == ones(w) { return x }
        var parts: [Term] = []
        var i = 0
        while i < w {
            if m >> UInt64(i) & 1 == 1 {
                var j = i
                while j < w && m >> UInt64(j) & 1 == 1 { j += 1 }
                // Bits i..<j of x, in place: (x mod 2^j) − (x mod 2^i).
                parts.append(i == 0 ? low(x, j, width: w) : sub(low(x, j, width: w), low(x, i, width: w)))
                i = j
            } else {
                i += 1
            }
        }
        return add(parts)
    }

    /// x's bits as 0/1 integers, lowest first (for bitwise operations between two inputs).
    func bits(_ x: Term, width w: Int) -> [Term] {
        var out: [Term] = []
        var terms: [Term] = []
        for i in 0..<w {
            let b = fresh(number(0), number(1))
            out.append(b)
            terms.append(mul(power(i), b))
        }
        sideConditions.append(eq(x, add(terms)))
        return out
    }

    // MARK: - Translation

    /// The integer (or Boolean) form of a bit-vector (or Boolean) term.
    func translate(_ t: Term) throws -> Term {
        let id = Z3_get_ast_id(c, t.raw)
        if let hit = cache[id] { return hit.result }
        let r = try translateUncached(t)
        cache[id] = (t, r)
        journal.append(.cache(id))
        return r
    }

    func translate(_ b: SBool) throws -> Term { try translate(b.term) }

    private func width(_ a: Z3_ast) -> Int { Int(Z3_get_bv_sort_size(c, Z3_get_sort(c, a))) }

    private func args(_ app: Z3_app) -> [Term] {
        (0..<Z3_get_app_num_args(c, app)).map { keep(Z3_get_app_arg(c, app, $0)) }
    }

    private func numeral(_ t: Term) -> UInt64? {
        guard Z3_is_numeral_ast(c, t.raw) else { return nil }
        var v: UInt64 = 0
        return Z3_get_numeral_uint64(c, t.raw, &v) ? v : nil
    }

    private func translateUncached(_ t: Term) throws -> Term {
        let a = t.raw
        let sortKind = Z3_get_sort_kind(c, Z3_get_sort(c, a))
        if sortKind == Z3_BV_SORT, Z3_is_numeral_ast(c, a) {
            guard let v = numeral(t) else { throw Untranslatable(operation: "a numeral wider than 64 bits") }
            return number(v)
        }
        guard Z3_get_ast_kind(c, a) == Z3_APP_AST, let app = Z3_to_app(c, a) else {
            throw Untranslatable(operation: "a quantifier or variable")
        }
        let decl = Z3_get_app_decl(c, app)
        let kind = Z3_get_decl_kind(c, decl)
        let children = args(app)
        if sortKind == Z3_BOOL_SORT { return try translateBool(t, kind: kind, children) }
        guard sortKind == Z3_BV_SORT else { throw Untranslatable(operation: "a term of another sort") }
        let w = width(a)
        switch kind {
        case Z3_OP_UNINTERPRETED where children.isEmpty:
            let name = String(cString: Z3_get_symbol_string(c, Z3_get_decl_name(c, decl)))
            if let v = variables[name] { return v }
            let v = keep(Z3_mk_const(c, Z3_mk_string_symbol(c, "int!" + name), intSort))
            sideConditions.append(le(number(0), v))
            sideConditions.append(le(v, number(ones(w))))
            variables[name] = v
            journal.append(.variable(name))
            return v
        case Z3_OP_ITE:
            return ite(try translate(children[0]), try translate(children[1]), try translate(children[2]))
        case Z3_OP_BADD:
            let xs = try children.map(translate)
            return wrap(add(xs), width: w, overflow: number(0), number(UInt64(xs.count - 1)))
        case Z3_OP_BSUB:
            let x = try translate(children[0]), y = try translate(children[1])
            return wrap(sub(x, y), width: w, overflow: number(negative: 1), number(0))
        case Z3_OP_BNEG:
            let x = try translate(children[0])
            return wrap(sub(number(0), x), width: w, overflow: number(negative: 1), number(0))
        case Z3_OP_BNOT:
            return sub(number(ones(w)), try translate(children[0]))
        case Z3_OP_BMUL:
            guard children.count == 2 else { throw Untranslatable(operation: "an n-ary product") }
            let (k, x): (UInt64, Term)
            if let v = numeral(children[0]) { (k, x) = (v, try translate(children[1])) }
            else if let v = numeral(children[1]) { (k, x) = (v, try translate(children[0])) }
            else { throw Untranslatable(operation: "the product of two inputs") }
            if k == 0 { return number(0) }
            if k == 1 { return x }
            // A large factor is a small negative one modulo 2^w (−1 for a negation).
            let negative = w == 64 ? k >= 1 << 63 : k >= 1 << UInt64(w - 1)
            if negative {
                let m = w == 64 ? 0 &- k : (UInt64(1) << UInt64(w)) - k
                return wrap(mul(number(negative: m), x), width: w, overflow: number(negative: m), number(0))
            }
            return wrap(mul(number(k), x), width: w, overflow: number(0), number(k - 1))
        case Z3_OP_BUDIV, Z3_OP_BUDIV_I, Z3_OP_BUREM, Z3_OP_BUREM_I:
            guard let d = numeral(children[1]) else { throw Untranslatable(operation: "division by an input") }
            let x = try translate(children[0])
            let isDiv = kind == Z3_OP_BUDIV || kind == Z3_OP_BUDIV_I
            if d == 0 { return isDiv ? number(ones(w)) : x }
            if d.nonzeroBitCount == 1 {
                let k = d.trailingZeroBitCount
                return isDiv ? high(x, k, width: w) : low(x, k, width: w)
            }
            let q = fresh(number(0), number(ones(w))), r = fresh(number(0), number(d - 1))
            sideConditions.append(eq(x, add([mul(number(d), q), r])))
            return isDiv ? q : r
        case Z3_OP_BAND, Z3_OP_BOR, Z3_OP_BXOR:
            if relaxed && (!keepsConstantMasks || children.filter({ numeral($0) == nil }).count > 1) {
                return try bounded(kind, children, width: w)
            }
            return try bitwise(kind, children, width: w)
        case Z3_OP_BSHL, Z3_OP_BLSHR, Z3_OP_BASHR:
            let x = try translate(children[0])
            let shift = { (s: Int) -> Term in self.shifted(kind, x, by: s, width: w) }
            if let s = numeral(children[1]) { return shift(s >= UInt64(w) ? w : Int(s)) }
            // A shift by an input: one case per amount.
            let amount = try translate(children[1])
            var r = shift(w)
            for s in (0..<w).reversed() { r = ite(eq(amount, number(UInt64(s))), shift(s), r) }
            return r
        case Z3_OP_ZERO_EXT:
            return try translate(children[0])
        case Z3_OP_SIGN_EXT:
            let w0 = width(children[0].raw)
            let x = try translate(children[0])
            let signBits = (ones(w) >> UInt64(w0)) << UInt64(w0)
            return ite(le(power(w0 - 1), x), add([x, number(signBits)]), x)
        case Z3_OP_EXTRACT:
            let hi = Int(Z3_get_decl_int_parameter(c, decl, 0)), lo = Int(Z3_get_decl_int_parameter(c, decl, 1))
            let w0 = width(children[0].raw)
            let x = try translate(children[0])
            return low(high(x, lo, width: w0), hi - lo + 1, width: w0 - lo)
        case Z3_OP_CONCAT:
            var r = try translate(children[0])
            for part in children.dropFirst() {
                r = add([mul(power(width(part.raw)), r), try translate(part)])
            }
            return r
        default:
            throw Untranslatable(operation: String(cString: Z3_func_decl_to_string(c, decl)))
        }
    }

    private func translateBool(_ t: Term, kind: Z3_decl_kind, _ children: [Term]) throws -> Term {
        switch kind {
        case Z3_OP_TRUE, Z3_OP_FALSE:
            return t
        case Z3_OP_UNINTERPRETED where children.isEmpty:
            return t
        case Z3_OP_AND:
            return and(try children.map(translate))
        case Z3_OP_OR:
            return or(try children.map(translate))
        case Z3_OP_NOT:
            return keep(Z3_mk_not(c, try translate(children[0]).raw))
        case Z3_OP_IMPLIES:
            return keep(Z3_mk_implies(c, try translate(children[0]).raw, try translate(children[1]).raw))
        case Z3_OP_XOR:
            return keep(Z3_mk_xor(c, try translate(children[0]).raw, try translate(children[1]).raw))
        case Z3_OP_IFF:
            return eq(try translate(children[0]), try translate(children[1]))
        case Z3_OP_ITE:
            return ite(try translate(children[0]), try translate(children[1]), try translate(children[2]))
        case Z3_OP_EQ:
            guard children.count == 2 else { throw Untranslatable(operation: "an n-ary equality") }
            return eq(try translate(children[0]), try translate(children[1]))
        case Z3_OP_DISTINCT:
            let xs = try children.map(translate)
            let raws: [Z3_ast?] = xs.map { $0.raw }
            return keep(raws.withUnsafeBufferPointer { Z3_mk_distinct(c, UInt32(xs.count), $0.baseAddress) })
        case Z3_OP_ULEQ, Z3_OP_ULT, Z3_OP_UGEQ, Z3_OP_UGT:
            let x = try translate(children[0]), y = try translate(children[1])
            switch kind {
            case Z3_OP_ULEQ: return le(x, y)
            case Z3_OP_ULT: return lt(x, y)
            case Z3_OP_UGEQ: return le(y, x)
            default: return lt(y, x)
            }
        case Z3_OP_SLEQ, Z3_OP_SLT, Z3_OP_SGEQ, Z3_OP_SGT:
            // Signed order: the upper half of [0, 2^w) comes first.
            let w = width(children[0].raw)
            let x = signed(try translate(children[0]), width: w), y = signed(try translate(children[1]), width: w)
            switch kind {
            case Z3_OP_SLEQ: return le(x, y)
            case Z3_OP_SLT: return lt(x, y)
            case Z3_OP_SGEQ: return le(y, x)
            default: return lt(y, x)
            }
        default:
            let decl = Z3_get_app_decl(c, Z3_to_app(c, t.raw))
            throw Untranslatable(operation: String(cString: Z3_func_decl_to_string(c, decl)))
        }
    }

    /// The two's-complement value of x ∈ [0, 2^w).
    private func signed(_ x: Term, width w: Int) -> Term {
        ite(le(power(w - 1), x), sub(x, power(w)), x)
    }

    /// `x << s`, `x >> s` (logical) or `x >> s` (arithmetic) for a constant s ≤ w.
    private func shifted(_ kind: Z3_decl_kind, _ x: Term, by s: Int, width w: Int) -> Term {
        switch kind {
        case Z3_OP_BSHL:
            return s >= w ? number(0) : mul(power(s), low(x, w - s, width: w))
        case Z3_OP_BLSHR:
            return high(x, s, width: w)
        default:
            let fill = s >= w ? ones(w) : (ones(w) >> UInt64(w - s)) << UInt64(w - s)
            return ite(le(power(w - 1), x), add([high(x, s, width: w), number(fill)]), high(x, s, width: w))
        }
    }

    /// and/or/xor only bounded (relaxed): `x & y ≤ x, y`; `x | y ≥ x, y`; both, and xor, within
    /// [0, 2^w). Constants fold; a term with one operand is the operand.
    private func bounded(_ kind: Z3_decl_kind, _ children: [Term], width w: Int) throws -> Term {
        let xs = try children.map(translate)
        if xs.count == 1 { return xs[0] }
        let r = fresh(number(0), number(ones(w)))
        switch kind {
        case Z3_OP_BAND: for x in xs { sideConditions.append(le(r, x)) }
        case Z3_OP_BOR: for x in xs { sideConditions.append(le(x, r)) }
        default: break
        }
        return r
    }

    /// and/or/xor: with one input and constants, by masks; between inputs, bit by bit.
    private func bitwise(_ kind: Z3_decl_kind, _ children: [Term], width w: Int) throws -> Term {
        var constant: UInt64 = kind == Z3_OP_BAND ? ones(w) : 0
        var others: [Term] = []
        for ch in children {
            if let v = numeral(ch) {
                switch kind {
                case Z3_OP_BAND: constant &= v
                case Z3_OP_BOR: constant |= v
                default: constant ^= v
                }
            } else {
                others.append(try translate(ch))
            }
        }
        if others.isEmpty { return number(constant) }
        if others.count == 1 {
            let x = others[0]
            switch kind {
            case Z3_OP_BAND: return masked(x, constant, width: w)
            // x | m = x + m − (x & m); x ^ m = x + m − 2·(x & m).
            case Z3_OP_BOR: return sub(add([x, number(constant)]), masked(x, constant, width: w))
            default: return sub(add([x, number(constant)]), mul(number(2), masked(x, constant, width: w)))
            }
        }
        // Between inputs: bit by bit, each result bit pinned by linear constraints.
        var acc = bits(others[0], width: w)
        for y in others.dropFirst() {
            let ys = bits(y, width: w)
            var out: [Term] = []
            for (a, b) in zip(acc, ys) {
                let sum = add([a, b])
                let d = fresh(number(0), number(1))
                switch kind {
                case Z3_OP_BAND: sideConditions += [le(d, a), le(d, b), le(sub(sum, number(1)), d)]
                case Z3_OP_BOR: sideConditions += [le(a, d), le(b, d), le(d, sum)]
                default:
                    // a ^ b = a + b − 2·(a & b).
                    let both = fresh(number(0), number(1))
                    sideConditions += [le(both, a), le(both, b), le(sub(sum, number(1)), both),
                                       eq(d, sub(sum, mul(number(2), both)))]
                }
                out.append(d)
            }
            acc = out
        }
        let combined = add(acc.enumerated().map { mul(power($0.offset), $0.element) })
        let cTerm = number(constant)
        switch kind {
        case Z3_OP_BAND: return constant == ones(w) ? combined : masked(combined, constant, width: w)
        case Z3_OP_BOR: return constant == 0 ? combined : sub(add([combined, cTerm]), masked(combined, constant, width: w))
        default: return constant == 0 ? combined : sub(add([combined, cTerm]), mul(number(2), masked(combined, constant, width: w)))
        }
    }
}

/// The assumptions a property makes before anything can fail, branch or change a parameter, and
/// that read only its parameters (through pure leading locals): the model checker prunes inputs
/// with them, the fuzzer draws inputs that satisfy them, and the compiled form tests them without
/// a run. An analysis of the checked IR, made once per property.
public struct LeadingAssumptions: @unchecked Sendable {
    /// Per parameter: the conjuncts whose last parameter read is this one.
    public var checks: [[Expr]]
    /// Leading locals with pure initial values (e.g. `off = pgoff << PAGE_SHIFT`), in order.
    public var locals: [(slot: Int, value: Expr)]
    /// What each of those locals reads.
    public var localReads: [Int: Set<Int>]

    /// Every conjunct, in parameter order.
    public var all: [Expr] { Array(checks.joined()) }

    /// The leading assumptions by the last parameter they read (those that are pure functions of the
    /// parameters), the pure leading locals, and what each of those locals reads.
    public static func checksByParameter(_ function: Function, program: Program) -> LeadingAssumptions {
        let count = function.parameters.count
        var checks = [[Expr]](repeating: [], count: count)
        let (assumptions, locals) = leading(function, program: program)
        var localReads: [Int: Set<Int>] = [:]
        for l in locals { localReads[l.slot] = reads(l.value, count: count, locals: localReads) }
        for e in assumptions {
            guard let reads = reads(e, count: count, locals: localReads) else { continue }
            checks[reads.max() ?? 0].append(e)
        }
        return LeadingAssumptions(checks: checks, locals: locals, localReads: localReads)
    }

    /// The `assume`s at the top of the property body, up to the first statement that could fail,
    /// branch or assign, and the locals declared on the way with pure initial values.
    ///
    /// A call among them whose arguments are pure (`r = search(len, low, …)`, the way the
    /// `vm_unmapped_area` properties keep their preconditions in a helper) contributes the callee's
    /// own leading assumptions, its parameters replaced by the arguments: they hold on every run
    /// that gets that far, and nothing before the call can fail. The scan stops after the call.
    static func leading(_ f: Function, program: Program?, depth: Int = 0) -> ([Expr], [(slot: Int, value: Expr)]) {
        // Multi-name declarations are blocks of their own: flatten them (not other statements).
        func flat(_ s: Stmt) -> [Stmt] {
            if case .block(let inner) = s { return inner.flatMap(flat) }
            return [s]
        }
        let items = flat(f.body)
        var out: [Expr] = []
        var locals: [(slot: Int, value: Expr)] = []
        var known: [Int: Set<Int>] = [:]
        let n = f.parameters.count
        for s in items {
            switch s {
            case .assume(let e):
                guard reads(e, count: n, locals: known) != nil else { return (out, locals) }
                // assume(a && b) is assume(a); assume(b) for pure a and b: each conjunct is then
                // tested as soon as its own parameters are fixed.
                func conjuncts(_ e: Expr) -> [Expr] {
                    if case .and(let x, let y) = e.kind { return conjuncts(x) + conjuncts(y) }
                    return [e]
                }
                out += conjuncts(e)
            case .declare(let slot, nil) where slot >= n: continue
            case .declare(let slot, let e?) where slot >= n && isPure(e):
                guard let r = reads(e, count: n, locals: known) else { continue }
                known[slot] = r
                locals.append((slot, e))
            case .declare(_, let e?), .expr(let e):
                if let program, depth < 4, let callee = calleeAssumptions(e, program: program, depth: depth, count: n, known: known) {
                    out += callee
                }
                return (out, locals)
            default: return (out, locals)
            }
        }
        return (out, locals)
    }

    /// For `call(args)` (or `x = call(args)`, converted or not) with pure arguments: the callee's
    /// leading assumptions with its parameters (and pure leading locals) replaced by the
    /// arguments; those that read anything else are left out.
    static func calleeAssumptions(_ e: Expr, program: Program, depth: Int, count n: Int, known: [Int: Set<Int>]) -> [Expr]? {
        var e = e
        while true {
            if case .convert(let x) = e.kind { e = x; continue }
            if case .assign(.local, let x) = e.kind { e = x; continue }
            break
        }
        guard case .call(let index, let args) = e.kind, index < program.functions.count else { return nil }
        var map: [Int: Expr] = [:]
        for (j, a) in args.enumerated() {
            guard case .value(let x) = a, reads(x, count: n, locals: known) != nil else { return nil }
            map[j] = x
        }
        let callee = program.functions[index]
        let (assumptions, locals) = leading(callee, program: program, depth: depth + 1)
        for l in locals { if let v = substitute(l.value, map) { map[l.slot] = v } }
        return assumptions.compactMap { substitute($0, map) }
    }

    /// `e` with each local load replaced by `map`'s expression; nil when it loads anything else.
    static func substitute(_ e: Expr, _ map: [Int: Expr]) -> Expr? {
        func go(_ e: Expr) -> Expr? {
            let k: Expr.Kind
            switch e.kind {
            case .constant, .config: return e
            case .load(.local(let s)): return map[s]
            case .unary(let op, let x): guard let a = go(x) else { return nil }; k = .unary(op, a)
            case .not(let x): guard let a = go(x) else { return nil }; k = .not(a)
            case .convert(let x): guard let a = go(x) else { return nil }; k = .convert(a)
            case .binary(let op, let x, let y): guard let a = go(x), let b = go(y) else { return nil }; k = .binary(op, a, b)
            case .compare(let op, let x, let y): guard let a = go(x), let b = go(y) else { return nil }; k = .compare(op, a, b)
            case .and(let x, let y): guard let a = go(x), let b = go(y) else { return nil }; k = .and(a, b)
            case .or(let x, let y): guard let a = go(x), let b = go(y) else { return nil }; k = .or(a, b)
            case .conditional(let c, let x, let y): guard let a = go(c), let b = go(x), let d = go(y) else { return nil }; k = .conditional(a, b, d)
            default: return nil
            }
            return Expr(k, e.type, e.location)
        }
        return go(e)
    }

    /// The parameters an expression reads (through pure leading locals too), or nil if it is not a
    /// pure function of parameters and constants (no calls, stores, layout queries, or operations
    /// that carry a check).
    public static func reads(_ e: Expr, count: Int, locals: [Int: Set<Int>]) -> Set<Int>? {
        guard isPure(e) else { return nil }
        var reads = Set<Int>()
        var ok = true
        func walk(_ e: Expr) {
            switch e.kind {
            case .constant, .config: break
            case .load(let lv):
                if case .local(let s) = lv, s < count { reads.insert(s) }
                else if case .local(let s) = lv, let r = locals[s] { reads.formUnion(r) }
                else { ok = false }
            default:
                guard let xs = operands(e) else { ok = false; return }
                xs.forEach(walk)
            }
        }
        walk(e)
        return ok ? reads : nil
    }

    /// The operands of an operator node of a pure expression (unary, binary, comparison, logic,
    /// `?:`, conversion); nil for any other node.
    public static func operands(_ e: Expr) -> [Expr]? {
        switch e.kind {
        case .unary(_, let x), .not(let x), .convert(let x): return [x]
        case .binary(_, let x, let y), .compare(_, let x, let y), .and(let x, let y), .or(let x, let y): return [x, y]
        case .conditional(let c, let x, let y): return [c, x, y]
        default: return nil
        }
    }

    public static func isPure(_ e: Expr) -> Bool {
        switch e.kind {
        case .constant, .config, .load: return true
        case .unary(_, let x), .not(let x), .convert(let x): return isPure(x)
        case .binary(let op, let x, let y):
            if op == .div || op == .rem { return false }
            if op == .shl || op == .shr {
                // A count that is a constant or a config value: an out-of-range one fails every run
                // at the same place, pruned or not.
                var count = y
                if case .convert(let inner) = count.kind { count = inner }
                switch count.kind {
                case .constant(let c): if c >= UInt64(e.type.bits) { return false }
                case .config: break
                default: return false
                }
            }
            return isPure(x) && isPure(y)
        case .compare(_, let x, let y), .and(let x, let y), .or(let x, let y): return isPure(x) && isPure(y)
        case .conditional(let c, let x, let y): return isPure(c) && isPure(x) && isPure(y)
        default: return false
        }
    }
}

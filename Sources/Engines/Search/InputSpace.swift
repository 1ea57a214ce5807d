import KernelC
import Placement
import Semantics

/// Every input of a property in a scaled configuration, enumerated depth-first over the
/// parameters. Pruning is sound: a leading `assume` of the property — one that comes before any
/// statement that could fail, branch or change a parameter — and that reads only parameters and
/// constants is tested as soon as the parameters it reads are fixed; an input that falsifies it
/// would only make a vacuous run. `struct file *` parameters range over NULL and the FILE_* kinds,
/// the only values the models tell apart.
public struct InputSpace: @unchecked Sendable {
    public let domains: [[UInt64]]
    /// Per parameter: the leading assumptions whose last parameter read is this one.
    let checks: [[Expr]]
    let runner: ConcreteRunner
    /// Leading locals with pure initial values (e.g. `off = pgoff << PAGE_SHIFT`), in order.
    let locals: [(slot: Int, value: Expr)]

    public init(runner: ConcreteRunner, vocabulary: Vocabulary) throws {
        self.runner = runner
        let params = runner.parameters
        var doms: [[UInt64]] = []
        for p in params {
            if p.type == .bool { doms.append([0, 1]); continue }
            if case .pointer(.file) = p.type { doms.append(vocabulary.fileKinds); continue }
            if case .pointer = p.type { doms.append([0]); continue }
            guard p.width <= 16 else {
                throw EvaluationError(message: "parameter '\(p.name)' has \(p.width) bits: exhaustive checking needs a scaled config (scaled8, scaled16)",
                                      location: runner.property.location)
            }
            doms.append(Array(0..<(UInt64(1) << UInt64(p.width))))
        }
        var (checks, locals, localReads) = InputSpace.checksByParameter(runner)
        self.locals = locals
        // Assumptions over one parameter filter its domain once.
        for i in params.indices {
            let single = checks[i].filter { e in
                let r = InputSpace.reads(e, count: params.count, locals: localReads)
                return r == [i] || r == []
            }
            if single.isEmpty { continue }
            var args = [UInt64](repeating: 0, count: params.count)
            doms[i] = doms[i].filter { v in
                args[i] = v
                return single.allSatisfy { runner.holds($0, args, locals: locals) }
            }
            checks[i].removeAll { e in single.contains { $0 === e } }
        }
        domains = doms
        self.checks = checks
    }

    /// The number of inputs left after the single-parameter filters (an upper bound on runs).
    public var size: Double { domains.reduce(1.0) { $0 * Double($1.count) } }

    /// Calls `body` with every input that passes the leading assumptions, in order; stops when
    /// `body` returns false. Returns false if stopped.
    @discardableResult
    public func forEach(_ body: ([UInt64]) -> Bool) -> Bool {
        var values = [UInt64](repeating: 0, count: domains.count)
        func go(_ i: Int) -> Bool {
            if i == domains.count { return body(values) }
            for v in domains[i] {
                values[i] = v
                if !checks[i].isEmpty && !runner.holdsAll(checks[i], values, locals: locals) { continue }
                if !go(i + 1) { return false }
            }
            return true
        }
        return go(0)
    }

    /// The leading assumptions by the last parameter they read (those that are pure functions of the
    /// parameters), the pure leading locals, and what each of those locals reads.
    static func checksByParameter(_ runner: ConcreteRunner) -> (checks: [[Expr]], locals: [(slot: Int, value: Expr)], localReads: [Int: Set<Int>]) {
        let count = runner.parameters.count
        var checks = [[Expr]](repeating: [], count: count)
        let (assumptions, locals) = InputSpace.leading(runner.property.function, program: runner.program)
        var localReads: [Int: Set<Int>] = [:]
        for l in locals { localReads[l.slot] = InputSpace.reads(l.value, count: count, locals: localReads) }
        for e in assumptions {
            guard let reads = InputSpace.reads(e, count: count, locals: localReads) else { continue }
            checks[reads.max() ?? 0].append(e)
        }
        return (checks, locals, localReads)
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
    static func reads(_ e: Expr, count: Int, locals: [Int: Set<Int>]) -> Set<Int>? {
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
    static func operands(_ e: Expr) -> [Expr]? {
        switch e.kind {
        case .unary(_, let x), .not(let x), .convert(let x): return [x]
        case .binary(_, let x, let y), .compare(_, let x, let y), .and(let x, let y), .or(let x, let y): return [x, y]
        case .conditional(let c, let x, let y): return [c, x, y]
        default: return nil
        }
    }

    static func isPure(_ e: Expr) -> Bool {
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

extension ConcreteRunner {
    /// Whether a pure expression over the parameters (and pure leading locals) holds for these values.
    func holds(_ e: Expr, _ values: [UInt64], locals: [(slot: Int, value: Expr)]) -> Bool {
        holdsAll([e], values, locals: locals)
    }

    /// Whether all of them hold, the locals computed once.
    func holdsAll(_ es: [Expr], _ values: [UInt64], locals: [(slot: Int, value: Expr)]) -> Bool {
        evaluator.allHold(es, locals: locals, in: property.function, arguments: arguments(values))
    }
}

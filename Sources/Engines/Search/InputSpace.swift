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
        var checks = [[Expr]](repeating: [], count: params.count)
        for e in InputSpace.leadingAssumptions(runner.property.function) {
            guard let reads = InputSpace.parameterReads(e, count: params.count) else { continue }
            checks[reads.max() ?? 0].append(e)
        }
        // Assumptions over one parameter filter its domain once.
        for i in params.indices {
            let single = checks[i].filter { InputSpace.parameterReads($0, count: params.count) == [i] || InputSpace.parameterReads($0, count: params.count) == [] }
            if single.isEmpty { continue }
            var args = [UInt64](repeating: 0, count: params.count)
            doms[i] = doms[i].filter { v in
                args[i] = v
                return single.allSatisfy { runner.holds($0, args) }
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
                if !checks[i].isEmpty && !checks[i].allSatisfy({ runner.holds($0, values) }) { continue }
                if !go(i + 1) { return false }
            }
            return true
        }
        return go(0)
    }

    /// The `assume`s at the top of the property body, up to the first statement that could fail,
    /// branch or assign a parameter.
    static func leadingAssumptions(_ f: Function) -> [Expr] {
        guard case .block(let items) = f.body else { return [] }
        var out: [Expr] = []
        let n = f.parameters.count
        for s in items {
            switch s {
            case .assume(let e):
                guard parameterReads(e, count: n) != nil else { return out }
                out.append(e)
            case .declare(let slot, nil) where slot >= n: continue
            case .declare(let slot, let e?) where slot >= n && isPure(e): continue
            default: return out
            }
        }
        return out
    }

    /// The parameters an expression reads, or nil if it is not a pure function of parameters
    /// and constants (no calls, stores, layout queries, or operations that carry a check).
    static func parameterReads(_ e: Expr, count: Int) -> Set<Int>? {
        guard isPure(e) else { return nil }
        var reads = Set<Int>()
        var ok = true
        func walk(_ e: Expr) {
            switch e.kind {
            case .constant, .config: break
            case .load(let lv):
                if case .local(let s) = lv, s < count { reads.insert(s) } else { ok = false }
            case .unary(_, let x), .not(let x), .convert(let x): walk(x)
            case .binary(_, let x, let y), .compare(_, let x, let y), .and(let x, let y), .or(let x, let y): walk(x); walk(y)
            case .conditional(let c, let x, let y): walk(c); walk(x); walk(y)
            default: ok = false
            }
        }
        walk(e)
        return ok ? reads : nil
    }

    static func isPure(_ e: Expr) -> Bool {
        switch e.kind {
        case .constant, .config, .load: return true
        case .unary(_, let x), .not(let x), .convert(let x): return isPure(x)
        case .binary(let op, let x, let y):
            if op == .div || op == .rem { return false }
            if op == .shl || op == .shr {
                guard case .constant(let c) = y.kind, c < UInt64(e.type.bits) else { return false }
            }
            return isPure(x) && isPure(y)
        case .compare(_, let x, let y), .and(let x, let y), .or(let x, let y): return isPure(x) && isPure(y)
        case .conditional(let c, let x, let y): return isPure(c) && isPure(x) && isPure(y)
        default: return false
        }
    }
}

extension ConcreteRunner {
    /// Whether a pure expression over the parameters holds for these values.
    func holds(_ e: Expr, _ values: [UInt64]) -> Bool {
        if case .truth(let t) = evaluator.evaluate(e, in: property.function, arguments: arguments(values)) { return t }
        return false
    }
}

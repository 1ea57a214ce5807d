/// The functions a function reaches through direct calls: the mutation campaign's oracles (which
/// properties can see a mutated function) and the compiled form's units (what a property needs).
public struct CallGraph {
    let program: Program

    public init(_ program: Program) { self.program = program }

    /// The indices of the functions `roots` call, directly or not (the roots themselves only when
    /// one reaches another).
    public func reachedIndices(from roots: [Function]) -> Set<Int> {
        var seen = Set<Int>()
        var work = roots.flatMap { callees($0.body) }
        while let f = work.popLast() {
            guard f < program.functions.count, seen.insert(f).inserted else { continue }
            work += callees(program.functions[f].body)
        }
        return seen
    }

    public func reached(from root: Function) -> Set<String> {
        Set(reachedIndices(from: [root]).map { program.functions[$0].name })
    }

    /// The functions that search the layout for a window (`vma_iter_area_lowest/highest`) or loop,
    /// themselves or through a callee: the calls whose symbolic encoding is large. `searches`:
    /// false over the abstract layout (`layout any`), where a search is one fresh address and its
    /// facts — a helper that only searches costs less than the question whether it runs (0.7 s of
    /// Bitwuzla's to say "it does", in the two-call THP property).
    public func costlyIndices(searches: Bool = true) -> Set<Int> {
        let direct = Set(program.functions.indices.filter { i in
            var costly = false
            Self.walk(program.functions[i].body,
                      expr: { if searches, case .layout(let q, _, _) = $0.kind, q == .areaLowest || q == .areaHighest { costly = true } },
                      loop: { costly = true })
            return costly
        })
        return Set(program.functions.indices.filter { i in
            direct.contains(i) || !reachedIndices(from: [program.functions[i]]).isDisjoint(with: direct)
        })
    }

    /// The functions a statement calls directly, in order (with repeats).
    public func callees(_ s: Stmt) -> [Int] {
        var out: [Int] = []
        Self.walk(s, expr: { if case .call(let f, _) = $0.kind { out.append(f) } })
        return out
    }

    /// The functions `root` reaches — by calls and by function designators — and `root` itself,
    /// in name order, with calls, designators and configuration values named rather than numbered:
    /// the same code in two programs reads the same (what a contract's proof is shared by,
    /// `ContractProofs`).
    public func code(reachedFrom root: Function) -> String {
        var reached: [Int: Function] = [:]
        func targets(_ f: Function) -> [Int] {
            var out: [Int] = []
            Self.walk(f.body, expr: { e in
                if case .call(let i, _) = e.kind { out.append(i) }
                if case .constant(let v) = e.kind, case .pointer(.function) = e.type, v != 0 { out.append(Int(v) - 1) }
            })
            return out
        }
        var work = targets(root)
        while let i = work.popLast() {
            guard i < program.functions.count, reached[i] == nil else { continue }
            reached[i] = program.functions[i]
            work += targets(program.functions[i])
        }
        func name(_ i: Int) -> String { i < program.functions.count ? program.functions[i].name : "#\(i)" }
        let configNames = program.configNames
        // Numbers that depend on the program become the names they stand for (`call#name`), in
        // constants no code can hold (a designator is an index + 1, a configuration an index).
        var names: [String: UInt64] = [:]
        func stand(_ s: String) -> UInt64 {
            if let v = names[s] { return v }
            names[s] = UInt64.max - UInt64(names.count)
            return names[s]!
        }
        func canonical(_ f: Function) -> String {
            var g = f
            g.body = f.body.mapExpressions { e in
                e.transformed { kind, type in
                    switch kind {
                    case .call(let i, let args): return .call(Int(truncatingIfNeeded: stand("call " + name(i))), args)
                    case .constant(let v) where v != 0:
                        if case .pointer(.function) = type { return .constant(stand("designator " + name(Int(v) - 1))) }
                        return kind
                    case .config(let i): return .config(Int(truncatingIfNeeded: stand("config " + configNames[i])))
                    default: return kind
                    }
                }
            }
            return "\(g)"
        }
        let body = ([root] + reached.values.sorted { $0.name < $1.name }).map(canonical).joined(separator: "\n")
        return body + "\n" + names.sorted { $0.value > $1.value }.map(\.key).joined(separator: ",")
    }

    /// Every expression of a statement, outermost first and in source order (`expr`), and every
    /// loop (`loop`): the one traversal the call graph's questions share.
    static func walk(_ s: Stmt, expr visit: (Expr) -> Void, loop: () -> Void = {}) {
        func e(_ x: Expr) {
            visit(x)
            switch x.kind {
            case .constant, .config, .load: break
            case .unary(_, let a), .not(let a), .convert(let a), .assign(_, let a), .postUpdate(_, let a): e(a)
            case .binary(_, let a, let b), .compare(_, let a, let b), .and(let a, let b), .or(let a, let b), .sequence(let a, let b): e(a); e(b)
            case .conditional(let c, let a, let b): e(c); e(a); e(b)
            case .call(_, let args): for case .value(let a) in args { e(a) }
            case .layout(_, let args, _): args.forEach(e)
            }
        }
        func st(_ s: Stmt) {
            switch s {
            case .expr(let x), .assume(let x): e(x)
            case .assert(let x, _, _): e(x)
            case .declare(_, let x): x.map(e)
            case .block(let ss): ss.forEach(st)
            case .ifElse(let c, let t, let f): e(c); st(t); f.map(st)
            case .loop(let l): loop(); l.condition.map(e); l.invariant.map(e); st(l.body); l.step.map(e)
            case .returnValue(let x, _): x.map(e)
            case .goto, .label, .breakLoop, .continueLoop: break
            }
        }
        st(s)
    }
}

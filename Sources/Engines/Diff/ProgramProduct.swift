import KernelC

/// Two checked programs as one: the second's functions appended to the first's under new names,
/// with its calls, function pointers and configuration values renumbered. Each half keeps its own
/// semantics (nothing is re-checked), so a property over the product compares two versions of the
/// same function — two kernel trees, or a tree and the bundled models — on the same inputs and the
/// same layout.
public enum ProgramProduct {
    /// `b`'s functions follow `a`'s, each renamed `name + suffix`. Returns the product and the
    /// index offset of `b`'s functions.
    public static func merge(_ a: Program, _ b: Program, suffix: String) -> (Program, offset: Int) {
        var product = a
        let offset = a.functions.count
        var configMap: [Int] = []
        for (name, type) in zip(b.configNames, b.configTypes) {
            if let i = product.configNames.firstIndex(of: name) {
                configMap.append(i)
            } else {
                configMap.append(product.configNames.count)
                product.configNames.append(name)
                product.configTypes.append(type)
            }
        }
        let remap = Renumbering(functionOffset: offset, configs: configMap)
        for f in b.functions {
            var g = f
            g.name += suffix
            g.body = remap.stmt(f.body)
            product.functions.append(g)
        }
        product.usesLayout = a.usesLayout || b.usesLayout
        return (product, offset)
    }

    struct Renumbering {
        let functionOffset: Int
        let configs: [Int]

        func expr(_ x: Expr) -> Expr {
            let k: Expr.Kind
            switch x.kind {
            case .constant(let v):
                // A function designator is its function's index + 1.
                if case .pointer(.function) = x.type, v != 0 { k = .constant(v + UInt64(functionOffset)) } else { return x }
            case .config(let i): k = .config(configs[i])
            case .load: return x
            case .unary(let op, let a): k = .unary(op, expr(a))
            case .binary(let op, let a, let b): k = .binary(op, expr(a), expr(b))
            case .compare(let op, let a, let b): k = .compare(op, expr(a), expr(b))
            case .not(let a): k = .not(expr(a))
            case .and(let a, let b): k = .and(expr(a), expr(b))
            case .or(let a, let b): k = .or(expr(a), expr(b))
            case .conditional(let c, let a, let b): k = .conditional(expr(c), expr(a), expr(b))
            case .convert(let a): k = .convert(expr(a))
            case .assign(let lv, let a): k = .assign(lv, expr(a))
            case .postUpdate(let lv, let a): k = .postUpdate(lv, updated: expr(a))
            case .sequence(let a, let b): k = .sequence(expr(a), expr(b))
            case .call(let f, let args):
                k = .call(f + functionOffset, args.map { if case .value(let v) = $0 { return .value(expr(v)) }; return $0 })
            case .layout(let q, let args, let out): k = .layout(q, args.map(expr), out: out)
            }
            return Expr(k, x.type, x.location)
        }

        func stmt(_ s: Stmt) -> Stmt {
            switch s {
            case .expr(let x): return .expr(expr(x))
            case .assume(let x): return .assume(expr(x))
            case .assert(let x, let t, let l): return .assert(expr(x), text: t, location: l)
            case .declare(let slot, let x): return .declare(slot, x.map(expr))
            case .block(let ss): return .block(ss.map(stmt))
            case .ifElse(let c, let t, let f): return .ifElse(expr(c), stmt(t), f.map(stmt))
            case .loop(var l):
                l.condition = l.condition.map(expr); l.body = stmt(l.body); l.step = l.step.map(expr); l.invariant = l.invariant.map(expr)
                return .loop(l)
            case .returnValue(let x, let l): return .returnValue(x.map(expr), l)
            case .goto, .label, .breakLoop, .continueLoop: return s
            }
        }
    }
}

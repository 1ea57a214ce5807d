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
            x.transformed { kind, type in
                switch kind {
                // A function designator is its function's index + 1.
                case .constant(let v):
                    if case .pointer(.function) = type, v != 0 { return .constant(v + UInt64(functionOffset)) }
                    return kind
                case .config(let i): return .config(configs[i])
                case .call(let f, let args): return .call(f + functionOffset, args)
                default: return kind
                }
            }
        }

        func stmt(_ s: Stmt) -> Stmt { s.mapExpressions(expr) }
    }
}

import KernelC
import Placement

/// Two versions of one function — from two kernel trees, or a tree and the bundled models — as a
/// property over their product: for every input (and every layout within the bound) both are
/// called with the same arguments, and their results (and what they return through
/// out-parameters) must be equal. Proved: equivalent within the bounds; a counterexample is the
/// smallest input where they differ, replayed on the product (so on both versions).
public struct VersionDiff {
    public struct Failure: Error, CustomStringConvertible {
        public let description: String
    }

    public let product: Program
    public let property: Property
    /// Ends the text of the comparison's own assertion (the others are the versions' own).
    public static let comparisonMarker = " (the two versions compared)"

    /// How an input's type is written in the spec language (for `assumptions`).
    static func typeText(_ t: CType, _ model: DataModel) -> String {
        switch t {
        case .bool: return "bool"
        case .pointer(.file): return "struct file *"
        case .int(let bits, let signed):
            let base = bits == model.longBits ? "long" : bits == model.intBits ? "int" : bits == model.shortBits ? "short" : "char"
            return (signed ? "" : "unsigned ") + base
        default: return "unsigned long"
        }
    }

    /// `function` of `a` against the same function of `b`, in `config`'s data model.
    /// `assumptions`: C expressions over the inputs (a struct parameter's fields are `info_length`,
    /// ...) that callers guarantee, such as `IS_ALIGNED(len, PAGE_SIZE)`: the comparison is then
    /// for the inputs callers can give, not for every value of the types.
    public init(function: String, a: Program, b: Program, config: Config, vmas: Int, unwind: Int, names: (String, String),
                assumptions: [String] = []) throws {
        guard let fa = a.functions.firstIndex(where: { $0.name == function }) else {
            throw Failure(description: "\(names.0) has no function '\(function)'")
        }
        guard let fbLocal = b.functions.firstIndex(where: { $0.name == function }) else {
            throw Failure(description: "\(names.1) has no function '\(function)'")
        }
        let f = a.functions[fa], g = b.functions[fbLocal]
        guard f.parameters.map(\.type) == g.parameters.map(\.type), f.returnType == g.returnType else {
            func sig(_ x: Function) -> String { "\(x.returnType) \(x.name)(\(x.parameters.map { "\($0.type) \($0.name)" }.joined(separator: ", ")))" }
            throw Failure(description: "the two versions of '\(function)' have different signatures, so no input is common to both:\n  \(names.0): \(sig(f))\n  \(names.1): \(sig(g))")
        }
        var (product, offset) = ProgramProduct.merge(a, b, suffix: "__second")
        product.functionSource = "\(names.0) (first) and \(names.1) (second)"
        let fb = fbLocal + offset
        let at = f.location
        let ul = product.dataModel.unsignedLong

        var params: [Parameter] = []
        var slotTypes: [CType] = []
        var slotNames: [String] = []
        func slot(_ name: String, _ type: CType) -> Int {
            slotTypes.append(type); slotNames.append(name); return slotTypes.count - 1
        }
        func configValue(_ name: String) -> Expr {
            if let i = product.configNames.firstIndex(of: name) { return Expr(.config(i), product.configTypes[i], at) }
            product.configNames.append(name)
            product.configTypes.append(ul)
            return Expr(.config(product.configNames.count - 1), ul, at)
        }
        // Inputs first (the property's parameters), then the locals each side is called with.
        var inputs: [(Parameter, Int)] = []
        for p in f.parameters {
            switch p.type {
            case .bool, .int, .pointer(.file):
                let s = slot(p.name, p.type)
                params.append(Parameter(name: p.name, type: p.type)); inputs.append((p, s))
            case .pointer(.record(let tag)):
                for field in CTypeNames.structFields[tag] ?? [] {
                    let s = slot("\(p.name)_\(field)", ul)
                    params.append(Parameter(name: "\(p.name)_\(field)", type: ul)); inputs.append((p, s))
                }
            case .pointer(.mm), .pointer(.integer): break
            default:
                throw Failure(description: "parameter '\(p.name)' of '\(function)' has type \(p.type), which cannot be an input of the comparison")
            }
        }
        var body: [Stmt] = []
        var compared: [(Expr, Expr, String)] = []
        func arguments(_ side: String) -> [Argument] {
            var out: [Argument] = []
            for (i, p) in f.parameters.enumerated() {
                switch p.type {
                case .pointer(.mm):
                    out.append(.value(Expr(.constant(1), p.type, at)))
                case .pointer(.record(let tag)):
                    let r = slot("\(p.name) (\(side))", .record(tag))
                    body.append(.declare(r, nil))
                    for (j, field) in (CTypeNames.structFields[tag] ?? []).enumerated() {
                        let input = slotNames.firstIndex(of: "\(p.name)_\(field)")!
                        body.append(.expr(Expr(.assign(.field(.local(r), j), Expr(.load(.local(input)), ul, at)), ul, at)))
                    }
                    out.append(.reference(.local(r)))
                case .pointer(.integer(let bits, let signed)):
                    let t = CType.int(bits: bits, signed: signed)
                    let o = slot("*\(p.name) (\(side))", t)
                    body.append(.declare(o, nil))
                    out.append(.reference(.local(o)))
                default:
                    let input = inputs.first { $0.0.name == p.name }!.1
                    out.append(.value(Expr(.load(.local(input)), p.type, at)))
                }
                _ = i
            }
            return out
        }
        // The callers' guarantees, checked as a property over the same inputs.
        if !assumptions.isEmpty {
            let decls = params.map { "\(VersionDiff.typeText($0.type, product.dataModel)) \($0.name)" }.joined(separator: ", ")
            let text = "property __callers(\(decls))\n{\n" + assumptions.map { "    assume(\($0));\n" }.joined() + "}\n"
            let checked = try SpecLoader.load(text: text, path: "<--assume>", model: product.dataModel).program
            var configMap: [Int] = []
            for (name, type) in zip(checked.configNames, checked.configTypes) {
                if let i = product.configNames.firstIndex(of: name) { configMap.append(i) } else {
                    configMap.append(product.configNames.count)
                    product.configNames.append(name)
                    product.configTypes.append(type)
                }
            }
            let remap = ProgramProduct.Renumbering(functionOffset: 0, configs: configMap)
            if case .block(let items) = checked.properties[0].function.body {
                for case .assume(let e) in items { body.append(.assume(remap.expr(e))) }
            }
        }
        // A file is one of the kinds the models know (NULL, plain, THP, shmem, hugetlbfs, DAX).
        for (p, s) in inputs where p.type == .pointer(.file) {
            let v = Expr(.convert(Expr(.load(.local(s)), p.type, at)), ul, at)
            body.append(.assume(Expr(.compare(.le, v, configValue("FILE_DAX")), .bool, at)))
        }
        let argsA = arguments("first"), argsB = arguments("second")
        let resultType: CType = f.returnType == .bool ? .int(bits: 32, signed: true) : f.returnType
        if f.returnType != .void {
            let ra = slot("result (first)", f.returnType), rb = slot("result (second)", f.returnType)
            body.append(.declare(ra, Expr(.call(fa, argsA), f.returnType, at)))
            body.append(.declare(rb, Expr(.call(fb, argsB), f.returnType, at)))
            let load = { (s: Int) -> Expr in
                let x = Expr(.load(.local(s)), f.returnType, at)
                return resultType == f.returnType ? x : Expr(.convert(x), resultType, at)
            }
            compared.append((load(ra), load(rb), "result"))
        } else {
            body.append(.expr(Expr(.call(fa, argsA), .void, at)))
            body.append(.expr(Expr(.call(fb, argsB), .void, at)))
        }
        for p in f.parameters {
            guard case .pointer(.integer(let bits, let signed)) = p.type else { continue }
            let t = CType.int(bits: bits, signed: signed)
            let a = slotNames.firstIndex(of: "*\(p.name) (first)")!, b = slotNames.firstIndex(of: "*\(p.name) (second)")!
            compared.append((Expr(.load(.local(a)), t, at), Expr(.load(.local(b)), t, at), "*\(p.name)"))
        }
        for (x, y, what) in compared {
            body.append(.assert(Expr(.compare(.eq, x, y), .bool, at), text: "\(what) of \(function): first == second" + VersionDiff.comparisonMarker, location: at))
        }
        let harness = Function(name: "diff_\(function)", parameters: params, returnType: .void, slotTypes: slotTypes,
                               slotNames: slotNames, labelNames: [], body: .block(body), location: at)
        property = Property(name: harness.name, function: harness, unwind: unwind, layoutVMAs: vmas, config: config.name,
                            expected: nil, location: at)
        self.product = product
    }
}

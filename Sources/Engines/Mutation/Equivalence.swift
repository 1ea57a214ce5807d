import Foundation
import KernelC
import Placement

/// Whether a mutated function returns what the original returns, for every input and layout within
/// the bounds of the properties that reach it, in each of their configurations: a product program
/// holding both versions and a property `F(args) == F__mutant(args)`, handed to the prover. Inputs are every value of the
/// parameters' types, more than any caller passes, so "differs" can be a difference callers never
/// see; "equivalent" is exact within the stated bounds.
struct Equivalence {
    let mutation: Mutation
    let oracles: [MutationOracle]
    let resources: UInt64

    typealias RunProver = (ProverOptions, (Prover) throws -> PropertyResult) throws -> PropertyResult

    /// (equivalent, what was shown). A change no oracle can notice must be invisible in every
    /// configuration the oracles run in, at the largest layout and loop bounds among them there: one
    /// product check per configuration, the scaled ones first (they decide fastest, and a difference
    /// found there ends it). `prover` runs a check with a prover the campaign can interrupt.
    func decide(prover: RunProver) throws -> (Bool, String) {
        var groups: [(oracle: MutationOracle, vmas: Int, unwind: Int)] = []
        let defaults = ProverOptions()
        for o in oracles {
            let p = o.item.property
            let vmas = p.layoutVMAs ?? (o.item.program.usesLayout ? defaults.defaultLayoutVMAs : 0)
            let unwind = p.unwind ?? defaults.defaultUnwind
            if let i = groups.firstIndex(where: { $0.oracle.item.config.name == o.item.config.name }) {
                groups[i].vmas = max(groups[i].vmas, vmas)
                groups[i].unwind = max(groups[i].unwind, unwind)
            } else {
                groups.append((o, vmas, unwind))
            }
        }
        guard !groups.isEmpty else { return (false, "not attempted: no property reaches the function") }
        groups.sort { ($0.oracle.item.config.dataModel.longBits <= 16 ? 0 : 1) < ($1.oracle.item.config.dataModel.longBits <= 16 ? 0 : 1) }
        var shown: [String] = []
        for g in groups {
            let (same, text) = try check(g.oracle, vmas: g.vmas, unwind: g.unwind, prover: prover)
            guard same else { return (false, text) }
            shown.append(text)
        }
        return (true, "equivalent for every input in " + shown.joined(separator: "; "))
    }

    /// One product check in the oracle's configuration: (proved equal, its bounds or what was found).
    func check(_ oracle: MutationOracle, vmas: Int, unwind: Int, prover: RunProver) throws -> (Bool, String) {
        let program = oracle.item.program
        guard let index = program.functions.firstIndex(where: { $0.name == mutation.function }),
              let mutant = Mutator(program: program).apply(mutation) else {
            return (false, "not attempted: the mutation does not apply in \(oracle.spec)")
        }
        let original = program.functions[index]
        guard original.returnType != .void else { return (false, "not attempted: the function returns nothing to compare") }
        for p in original.parameters {
            switch p.type {
            case .bool, .int, .pointer(.file): continue
            default: return (false, "not attempted: parameter \(p.name) has type \(p.type), which a property cannot take as an input")
            }
        }
        var product = program
        var copy = mutant.functions[index]
        copy.name = original.name + "__mutant"
        product.functions.append(copy)
        let at = original.location
        let args = original.parameters.indices.map { i in Argument.value(Expr(.load(.local(i)), original.parameters[i].type, at)) }
        // A `bool` result is compared as C compares it, promoted to `int` (the evaluator compares words).
        let compared: CType = original.returnType == .bool ? .int(bits: 32, signed: true) : original.returnType
        let call = { (f: Int) -> Expr in
            let c = Expr(.call(f, args), original.returnType, at)
            return compared == original.returnType ? c : Expr(.convert(c), compared, at)
        }
        let same = Expr(.compare(.eq, call(index), call(product.functions.count - 1)), .bool, at)
        let names = original.parameters.map(\.name).joined(separator: ", ")
        let body = Stmt.block([.assert(same, text: "\(original.name)(\(names)) == \(copy.name)(\(names))", location: at)])
        let harness = Function(name: "equivalent_\(original.name)", parameters: original.parameters, returnType: .void,
                               slotTypes: original.parameters.map(\.type), slotNames: original.parameters.map(\.name),
                               labelNames: [], body: body, location: at)
        let property = Property(name: harness.name, function: harness, unwind: unwind, layoutVMAs: vmas,
                                config: oracle.item.config.name, expected: nil, location: at)
        var o = ProverOptions.deterministic(config: oracle.item.config)
        o.rlimit = resources
        o.minimizationBudget = 24
        let r = try prover(o) { try $0.prove(property, in: product, file: oracle.spec) }
        switch r.verdict {
        case .proved:
            return (true, "[\(r.bounds)]")
        case .counterexample(let c):
            let inputs = c.inputs.map { "\($0.name) = 0x\(String($0.bits, radix: 16))" }.joined(separator: ", ")
            let layout = (c.layout ?? []).isEmpty ? "" : ", layout of \(c.layout!.count) VMA(s)"
            return (false, "differs: \(inputs)\(layout) [\(r.bounds)]")
        case .unknown(let reason):
            return (false, "unknown: \(reason) [\(r.bounds)]")
        case .internalError(let text):
            return (false, "internal error: \(text)")
        }
    }
}

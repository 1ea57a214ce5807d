import Foundation
import KernelC
import Placement

/// Whether a mutated function returns what the original returns, for every input and layout within
/// the bounds of a property that reaches it: a product program holding both versions and a
/// property `F(args) == F__mutant(args)`, handed to the prover. Inputs are every value of the
/// parameters' types, more than any caller passes, so "differs" can be a difference callers never
/// see; "equivalent" is exact within the stated bounds.
struct Equivalence {
    let mutation: Mutation
    let oracles: [MutationOracle]
    let resources: UInt64

    /// (equivalent, what was shown).
    /// `prover` runs the product property with a prover the campaign can interrupt.
    func decide(prover: (ProverOptions, (Prover) throws -> PropertyResult) throws -> PropertyResult) throws -> (Bool, String) {
        // The cheapest configuration first: a scaled space decides in a fraction of the time.
        guard let oracle = oracles.first(where: { $0.item.config.dataModel.longBits <= 16 }) ?? oracles.first else {
            return (false, "not attempted: no property reaches the function")
        }
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
        let call = { (f: Int) in Expr(.call(f, args), original.returnType, at) }
        let same = Expr(.compare(.eq, call(index), call(product.functions.count - 1)), .bool, at)
        let names = original.parameters.map(\.name).joined(separator: ", ")
        let body = Stmt.block([.assert(same, text: "\(original.name)(\(names)) == \(copy.name)(\(names))", location: at)])
        let harness = Function(name: "equivalent_\(original.name)", parameters: original.parameters, returnType: .void,
                               slotTypes: original.parameters.map(\.type), slotNames: original.parameters.map(\.name),
                               labelNames: [], body: body, location: at)
        let property = Property(name: harness.name, function: harness, unwind: oracle.item.property.unwind,
                                layoutVMAs: oracle.item.property.layoutVMAs, config: oracle.item.config.name, expected: nil, location: at)
        var o = ProverOptions.deterministic(config: oracle.item.config)
        o.rlimit = resources
        o.minimizationBudget = 24
        let r = try prover(o) { try $0.prove(property, in: product, file: oracle.spec) }
        switch r.verdict {
        case .proved:
            return (true, "equivalent for every input [\(r.bounds)]")
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

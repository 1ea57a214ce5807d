import Foundation
import KernelC
import Placement

/// Whether a mutated function returns what the original returns, in three strengths, each decided
/// by the prover:
/// - **for every input**: a product program holding both versions and a property
///   `F(args) == F__mutant(args)` over every value of the parameters' types (more than any caller
///   passes), in each configuration the properties run in;
/// - **where the properties call it**: each property that reaches the function is run with `F`
///   replaced by a wrapper that calls both versions, asserts their results equal and returns the
///   original's — so everything after the call is the original program, the property's own asserts
///   are dropped, and the only question is whether some call the property can make tells the two
///   apart. This is "equal for every input its callers can give", within each property's bounds.
/// - **at the property's own calls**: the same with the functions the property calls wrapped, and
///   mutant copies of everything down to `F` — a difference its callers absorb is none.
/// Each is tried only when the one before does not show them equal (it is cheaper, and implies
/// the next); a survivor that differs only on inputs no property passes is equivalent by the
/// second, one whose difference no caller passes on by the third.
struct Equivalence {
    let mutation: Mutation
    let oracles: [MutationOracle]
    let resources: UInt64

    typealias RunProver = (ProverOptions, (Prover) throws -> PropertyResult) throws -> PropertyResult

    /// What one product check showed, with its text (bounds, or where they differ, or why not).
    enum Shown {
        case equal(String)
        case differs(String)
        /// The prover gave up (or the check could not be built): no verdict either way.
        case undecided(String)

        var text: String {
            switch self { case .equal(let t), .differs(let t), .undecided(let t): return t }
        }
        var isEqual: Bool { if case .equal = self { return true }; return false }
    }

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
        var everyInput: String?
        for g in groups {
            let answer = try check(g.oracle, vmas: g.vmas, unwind: g.unwind, prover: prover)
            guard answer.isEqual else { everyInput = answer.text; break }
            shown.append(answer.text)
        }
        guard let everyInput else { return (true, "equivalent for every input in " + shown.joined(separator: "; ")) }
        // Not shown for every input: ask where the properties call it. A difference anywhere ends
        // it; an undecided property does not hide a difference another one shows.
        var contexts: [String] = []
        var undecided: String?
        var differs: String?
        contextLoop: for o in oracles {
            switch try inContext(o, prover: prover) {
            case .equal(let text): contexts.append("\(o.item.property.name) \(text)")
            case .undecided(let text): undecided = undecided ?? text
            case .differs(let text): differs = text; break contextLoop
            }
        }
        if differs == nil, undecided == nil {
            return (true, "equivalent where the properties call it: " + contexts.joined(separator: "; ") + "; for every input: \(everyInput)")
        }
        // The function's results differ somewhere (or that is undecided): whether the property can
        // see it is the question of its own calls' results.
        var seen: [String] = []
        for o in oracles {
            let answer = try inContext(o, observable: true, prover: prover)
            guard answer.isEqual else {
                return (false, "\(answer.text); \(differs ?? undecided!); for every input: \(everyInput)")
            }
            seen.append("\(o.item.property.name) \(answer.text)")
        }
        return (true, "equivalent at the properties' own calls: " + seen.joined(separator: "; ") + "; \(differs ?? undecided!); for every input: \(everyInput)")
    }

    /// The oracle's property with `F` wrapped: both versions called, their results asserted equal,
    /// the original's returned; the property's own asserts dropped (they hold: the rest of the run is
    /// the original's). (proved equal at every call the property makes, its bounds or what was found.)
    ///
    /// `observable`: instead of the mutated function, wrap each function the property itself calls
    /// that reaches it (with a mutant copy of every function on the way down): the question is
    /// then whether the property's own calls return the same — a difference in the mutated
    /// function that its callers absorb (a comparison that gives the same answer) is not one.
    func inContext(_ oracle: MutationOracle, observable: Bool = false, prover: RunProver) throws -> Shown {
        let program = oracle.item.program
        guard let index = program.functions.firstIndex(where: { $0.name == mutation.function }),
              let mutant = Mutator(program: program).apply(mutation) else {
            return .undecided("not attempted: the mutation does not apply in \(oracle.spec)")
        }
        guard observable else { return try compare([index], in: program, mutant: mutant, oracle, prover: prover, at: "where \(oracle.item.property.name) calls it") }
        // Every function that reaches the mutated one gets a mutant copy calling mutant copies.
        let graph = CallGraph(program)
        let onPath = program.functions.indices.filter { $0 == index || graph.reached(from: program.functions[$0]).contains(mutation.function) }
        let called = Set(graph.callees(oracle.item.property.function.body)).intersection(onPath)
        guard !called.isEmpty else { return .equal("[the property calls nothing that reaches it]") }
        return try compare(called.sorted(), in: program, mutant: mutant, remap: onPath, oracle, prover: prover,
                           at: "at \(oracle.item.property.name)'s calls")
    }

    /// The oracle's property with each function of `targets` wrapped (both versions called, results
    /// asserted equal, the original's returned). The mutant versions come from `mutant`; with
    /// `remap`, those functions get mutant copies too and the mutant versions call them.
    func compare(_ targets: [Int], in program: Program, mutant: Program, remap: [Int] = [], _ oracle: MutationOracle,
                 prover: RunProver, at place: String) throws -> Shown {
        var product = program
        var copies: [Int: Int] = [:]
        for f in remap {
            copies[f] = product.functions.count
            var c = mutant.functions[f]
            c.name += "__mutant"
            product.functions.append(c)
        }
        for (f, c) in copies { product.functions[c].body = Equivalence.redirect(product.functions[c].body, copies) }
        for index in targets {
            if let why = wrap(index, in: &product, mutant: mutant, copies: copies) { return .undecided(why) }
        }
        var property = oracle.item.property
        property.function.body = Equivalence.droppingAsserts(property.function.body)
        property.name = "equivalent_\(mutation.function)_in_\(property.name)"
        property.expected = nil
        return try prove(property, in: product, oracle, prover: prover, place: " " + place)
    }

    /// Proves a product property in the oracle's configuration: (proved, its bounds or what was
    /// found). `place` says where a difference was seen (empty: for every input).
    func prove(_ property: Property, in product: Program, _ oracle: MutationOracle, prover: RunProver, place: String) throws -> Shown {
        var o = ProverOptions.deterministic(config: oracle.item.config)
        o.rlimit = resources
        o.minimizationBudget = 24
        let r = try prover(o) { try $0.prove(property, in: product, file: oracle.spec) }
        switch r.verdict {
        case .proved(let vacuous):
            return .equal(vacuous ? "[vacuously: no run reaches the call; \(r.bounds)]" : "[\(r.bounds)]")
        case .counterexample(let c):
            let inputs = c.inputs.map { "\($0.name) = 0x\(String($0.bits, radix: 16))" }.joined(separator: ", ")
            let layout = (c.layout ?? []).isEmpty ? "" : ", layout of \(c.layout!.count) VMA(s)"
            return .differs("differs\(place): \(inputs)\(layout) [\(r.bounds)]")
        case .unknown(let reason):
            return .undecided("unknown\(place): \(reason) [\(r.bounds)]")
        case .internalError(let text):
            return .undecided("internal error: \(text)")
        }
    }

    /// Replaces function `index` of `product` by the wrapper; why not, when it cannot be compared.
    func wrap(_ index: Int, in product: inout Program, mutant: Program, copies: [Int: Int]) -> String? {
        let original = product.functions[index]
        guard original.returnType != .void else { return "not attempted: the function returns nothing to compare" }
        // Two calls in a row must see the same inputs: neither version may store into a struct it
        // was passed by address (the copy-back would feed the second call what the first wrote).
        let byAddress = Set(original.parameters.indices.filter { if case .pointer(.record) = original.parameters[$0].type { return true }; return false })
        for body in [original.body, mutant.functions[index].body] {
            var stored = Set<Int>()
            Loop.assignedSlots(body, into: &stored)
            if let p = stored.intersection(byAddress).min() {
                return "not attempted: it stores through its parameter \(original.parameters[p].name)"
            }
        }
        var keep = original
        keep.name = original.name + "__original"
        var changed = copies[index].map { product.functions[$0] } ?? mutant.functions[index]
        changed.name = original.name + "__mutant"
        product.functions += [keep, changed]
        let keepIndex = product.functions.count - 2, changedIndex = product.functions.count - 1
        let at = original.location
        let args = original.parameters.indices.map { i -> Argument in
            if case .pointer(.record) = original.parameters[i].type { return .reference(.local(i)) }
            return .value(Expr(.load(.local(i)), original.parameters[i].type, at))
        }
        let a = original.slotTypes.count, b = a + 1
        let compared: CType = original.returnType == .bool ? .int(bits: 32, signed: true) : original.returnType
        let load = { (slot: Int) -> Expr in
            let x = Expr(.load(.local(slot)), original.returnType, at)
            return compared == original.returnType ? x : Expr(.convert(x), compared, at)
        }
        let names = original.parameters.map(\.name).joined(separator: ", ")
        var wrapper = original
        wrapper.slotTypes += [original.returnType, original.returnType]
        wrapper.slotNames += ["__original_result", "__mutant_result"]
        wrapper.body = .block([
            .declare(a, Expr(.call(keepIndex, args), original.returnType, at)),
            .declare(b, Expr(.call(changedIndex, args), original.returnType, at)),
            .assert(Expr(.compare(.eq, load(a), load(b)), .bool, at),
                    text: "\(original.name)(\(names)) == \(changed.name)(\(names))", location: at),
            .returnValue(Expr(.load(.local(a)), original.returnType, at), at),
        ])
        product.functions[index] = wrapper
        return nil
    }

    /// The statement with every call to a function of `to`'s keys sent to its value instead.
    static func redirect(_ s: Stmt, _ to: [Int: Int]) -> Stmt {
        s.mapExpressions { e in
            e.transformed { kind, _ in
                if case .call(let f, let args) = kind { return .call(to[f] ?? f, args) }
                return kind
            }
        }
    }

    /// A property body whose asserts only evaluate their expressions (calls in them still run).
    static func droppingAsserts(_ s: Stmt) -> Stmt {
        switch s {
        case .assert(let e, _, _): return .expr(e)
        case .block(let ss): return .block(ss.map(droppingAsserts))
        case .ifElse(let c, let t, let f): return .ifElse(c, droppingAsserts(t), f.map(droppingAsserts))
        case .loop(var l): l.body = droppingAsserts(l.body); return .loop(l)
        default: return s
        }
    }

    /// One product check in the oracle's configuration: (proved equal, its bounds or what was found).
    func check(_ oracle: MutationOracle, vmas: Int, unwind: Int, prover: RunProver) throws -> Shown {
        let program = oracle.item.program
        guard let index = program.functions.firstIndex(where: { $0.name == mutation.function }),
              let mutant = Mutator(program: program).apply(mutation) else {
            return .undecided("not attempted: the mutation does not apply in \(oracle.spec)")
        }
        let original = program.functions[index]
        guard original.returnType != .void else { return .undecided("not attempted: the function returns nothing to compare") }
        for p in original.parameters {
            switch p.type {
            case .bool, .int, .pointer(.file): continue
            default: return .undecided("not attempted: parameter \(p.name) has type \(p.type), which a property cannot take as an input")
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
        return try prove(property, in: product, oracle, prover: prover, place: "")
    }
}

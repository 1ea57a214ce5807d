import Foundation
import KernelC
import Placement
import SMT
import Semantics
import Testing

/// Random C expressions over mixed-type inputs, evaluated by the one evaluator in both domains.
/// The symbolic result (a Z3 term over the inputs) must equal the concrete result for the same
/// inputs, and so must every check the evaluator adds (division by zero, shift range).
@Suite struct CrossValidationTests {
    struct Generator {
        var rng: SplitMix64
        let model: DataModel
        let types = ["unsigned char", "signed char", "unsigned short", "short", "int", "unsigned int", "long",
                     "unsigned long", "long long", "unsigned long long", "bool"]
        var paramTypes: [String] = []

        mutating func pick<T>(_ xs: [T]) -> T { xs[Int(rng.next() % UInt64(xs.count))] }

        mutating func literal() -> String {
            let w = model.longLongBits
            let interesting: [UInt64] = [0, 1, 2, 3, 7, 8, 12, 15, 16, 31, 32, 63, 64, 127, 128, 255, 4095, 4096,
                                         0x7fff, 0x8000, 0xffff, 0x7fff_ffff, 0x8000_0000, 0xffff_ffff, 0x1_0000_0000,
                                         0x7fff_ffff_ffff_ffff, .max, rng.next()]
            let v = pick(interesting) & (w >= 64 ? .max : (1 << UInt64(w)) - 1)
            // Unsigned suffix so every value fits the widest unsigned type of the model.
            let fitsInt = v >> UInt64(max(0, model.intBits - 1)) == 0
            return "0x" + String(v, radix: 16) + (fitsInt ? pick(["", "U", "UL", "ULL", "L"]) : "ULL")
        }

        mutating func expr(_ depth: Int) -> String {
            if depth == 0 || rng.next() % 5 == 0 {
                return rng.next() % 3 == 0 ? literal() : pick(["a", "b", "c"])
            }
            switch rng.next() % 9 {
            case 0, 1, 2:
                let op = pick(["+", "-", "*", "/", "%", "&", "|", "^", "<<", ">>"])
                return "(\(expr(depth - 1)) \(op) \(expr(depth - 1)))"
            case 3:
                let op = pick(["==", "!=", "<", "<=", ">", ">="])
                return "(\(expr(depth - 1)) \(op) \(expr(depth - 1)))"
            case 4:
                return "(\(expr(depth - 1)) \(pick(["&&", "||"])) \(expr(depth - 1)))"
            case 5:
                return "\(pick(["-", "~", "!"]))(\(expr(depth - 1)))"
            case 6:
                return "(\(expr(depth - 1)) ? \(expr(depth - 1)) : \(expr(depth - 1)))"
            default:
                return "((\(pick(types)))\(expr(depth - 1)))"
            }
        }

        mutating func function() -> String {
            paramTypes = (0..<3).map { _ in pick(types) }
            return "unsigned long long f(\(paramTypes[0]) a, \(paramTypes[1]) b, \(paramTypes[2]) c)\n{\n    return \(expr(4));\n}\n"
        }
    }

    static let models: [(String, DataModel)] = [
        ("8-bit", DataModel(intBits: 8, longBits: 8, longLongBits: 8)),
        ("16-bit", DataModel(intBits: 16, longBits: 16, longLongBits: 16)),
        ("32-bit (ILP32)", DataModel(intBits: 32, longBits: 32, longLongBits: 64)),
        ("64-bit (LP64)", .lp64),
    ]

    @Test(arguments: 0..<4)
    func bothDomainsAgree(modelIndex: Int) throws {
        let (label, model) = Self.models[modelIndex]
        var gen = Generator(rng: SplitMix64(seed: 0x5eed + UInt64(modelIndex)), model: model)
        var compared = 0, obligationsCompared = 0
        let perModel = 2600
        var context = Context()
        for n in 0..<perModel {
            if n % 200 == 0 { context = Context() }  // keep each context small
            let text = gen.function()
            let program: Program
            do {
                program = try SpecLoader.load(text: text, model: model).program
            } catch {
                Issue.record("[\(label)] generated code rejected: \(error)\n\(text)")
                continue
            }
            let fn = program.functions[0]
            let concrete = try Evaluator(program: program, config: .x86_64, domain: ConcreteDomain(), unwind: 1)
            let symbolic = try Evaluator(program: program, config: .x86_64, domain: SymbolicDomain(context: context), unwind: 1)
            var concreteArgs: [Value<ConcreteDomain>] = []
            var symbolicArgs: [Value<SymbolicDomain>] = []
            var pairs: [(SBV, UInt64)] = []
            var bools: [(SBool, Bool)] = []
            for (i, t) in fn.parameters.enumerated() {
                let raw = gen.rng.next()
                if case .bool = t.type {
                    let b = raw & 1 == 1
                    let term = context.boolConst("p\(n)_\(i)")
                    concreteArgs.append(.truth(b))
                    symbolicArgs.append(.truth(.term(term)))
                    bools.append((term, b))
                } else {
                    let w = concrete.width(t.type)
                    // Mostly edge values, sometimes random.
                    let edges: [UInt64] = [0, 1, 2, .max, 1 << UInt64(w - 1), (1 << UInt64(w - 1)) &- 1, 12, 63, 64]
                    let v = (raw % 3 == 0 ? raw : edges[Int(raw % UInt64(edges.count))]) & (w >= 64 ? .max : (1 << UInt64(w)) - 1)
                    let term = context.bvConst("p\(n)_\(i)", width: w)
                    concreteArgs.append(.word(v))
                    symbolicArgs.append(.word(.term(term)))
                    pairs.append((term, v))
                }
            }
            let (cv, ctrace) = concrete.call(fn, arguments: concreteArgs)
            let (sv, strace) = symbolic.call(fn, arguments: symbolicArgs)
            guard case .word(let expected)? = cv, case .word(let sym)? = sv else {
                Issue.record("[\(label)] no result\n\(text)")
                continue
            }
            let retBits = concrete.width(fn.returnType)
            let dom = SymbolicDomain(context: context)
            let got = context.evaluate(dom.term(sym, bits: retBits), assigning: pairs, booleans: bools)
            #expect(got == expected, "[\(label)] symbolic \(got.map { String($0, radix: 16) } ?? "nil") vs concrete \(String(expected, radix: 16))\n\(text)inputs: \(concreteArgs)")
            compared += 1
            // The evaluator's own checks agree too (same obligations, same verdicts).
            #expect(ctrace.obligations.count <= strace.obligations.count)
            let concreteFailed = Set(ctrace.obligations.filter { $0.violated }.map { "\($0.kind)@\($0.location)" })
            let symbolicFailed = Set(strace.obligations.filter {
                context.evaluate(dom.term($0.violated), assigning: pairs, booleans: bools) == true
            }.map { "\($0.kind)@\($0.location)" })
            #expect(concreteFailed == symbolicFailed, "[\(label)] obligations differ\n\(text)")
            obligationsCompared += strace.obligations.count
            try context.throwIfError()
        }
        #expect(compared == perModel)
        print("cross-validation [\(label)]: \(compared) expressions, \(obligationsCompared) obligations compared")
    }

    /// A sample also goes through the full solver path the prover uses (assert inputs, check, model).
    @Test func solverModelsAgreeWithConcrete() throws {
        let model = DataModel.lp64
        var gen = Generator(rng: SplitMix64(seed: 99), model: model)
        for n in 0..<150 {
            let text = gen.function()
            let program = try SpecLoader.load(text: text, model: model).program
            let fn = program.functions[0]
            let ctx = Context()
            let concrete = try Evaluator(program: program, config: .x86_64, domain: ConcreteDomain(), unwind: 1)
            let symbolic = try Evaluator(program: program, config: .x86_64, domain: SymbolicDomain(context: ctx), unwind: 1)
            let solver = try Solver(ctx)
            var cargs: [Value<ConcreteDomain>] = [], sargs: [Value<SymbolicDomain>] = []
            for (i, t) in fn.parameters.enumerated() {
                let raw = gen.rng.next()
                if case .bool = t.type {
                    let term = ctx.boolConst("b\(i)")
                    solver.assert(raw & 1 == 1 ? term : !term)
                    cargs.append(.truth(raw & 1 == 1)); sargs.append(.truth(.term(term)))
                } else {
                    let w = concrete.width(t.type)
                    let v = raw & (w >= 64 ? .max : (1 << UInt64(w)) - 1)
                    let term = ctx.bvConst("x\(i)", width: w)
                    solver.assert(term.eq(ctx.bv(v, width: w)))
                    cargs.append(.word(v)); sargs.append(.word(.term(term)))
                }
            }
            guard case .word(let expected)? = concrete.call(fn, arguments: cargs).0,
                  case .word(let sym)? = symbolic.call(fn, arguments: sargs).0 else { continue }
            #expect(try solver.check() == .sat)
            let got = try solver.model().value(SymbolicDomain(context: ctx).term(sym, bits: 64))
            #expect(got == expected, "case \(n)\n\(text)")
        }
    }
}

import Foundation
import KernelC
import Placement
import SMT
import Semantics

/// How the prover runs.
public struct ProverOptions: Sendable {
    public var config: Config
    public var timeoutSeconds: Double
    public var rlimit: UInt32?
    /// Loop bound for properties without an `unwind N` clause.
    public var defaultUnwind: Int
    /// Solver checks spent making counterexample values small (0 disables minimisation).
    public var minimizationBudget: Int
    public var keepQuery: Bool
    /// Symbolic VMAs for properties that query the layout without a `layout vmas <= N` clause.
    public var defaultLayoutVMAs = 4

    public init(config: Config = .x86_64, timeoutSeconds: Double = 30, rlimit: UInt32? = nil, defaultUnwind: Int = 8,
                minimizationBudget: Int = 96, keepQuery: Bool = false) {
        self.config = config
        self.timeoutSeconds = timeoutSeconds
        self.rlimit = rlimit
        self.defaultUnwind = defaultUnwind
        self.minimizationBudget = minimizationBudget
        self.keepQuery = keepQuery
    }
}

/// Proves a property for all inputs (within its bounds) or finds a counterexample that the concrete
/// domain replays. Proved = the negated property is UNSAT; every SAT model is replayed before it is
/// reported, and one that does not replay is an internal error, never a counterexample.
public final class Prover: @unchecked Sendable {
    public let options: ProverOptions
    /// The context of the check in progress, so Ctrl-C can interrupt it.
    private let lock = NSLock()
    private var running: Context?

    public init(options: ProverOptions) { self.options = options }

    /// Interrupts the check in progress (its verdict becomes unknown: "canceled").
    public func interrupt() {
        lock.lock()
        running?.interrupt()
        lock.unlock()
    }

    /// Proves one planned property under its own configuration.
    public func prove(_ item: SpecPlan.Item, file: String) throws -> PropertyResult {
        var options = self.options
        options.config = item.config
        return try run(item.property, in: item.program, file: file, options: options)
    }

    /// Throws `EvaluationError` when the spec needs a value the config lacks.
    public func prove(_ property: Property, in program: Program, file: String) throws -> PropertyResult {
        try run(property, in: program, file: file, options: options)
    }

    func run(_ property: Property, in program: Program, file: String, options: ProverOptions) throws -> PropertyResult {
        let clock = ContinuousClock()
        let start = clock.now
        let unwind = property.unwind ?? options.defaultUnwind
        let vmas = property.layoutVMAs ?? (program.usesLayout ? options.defaultLayoutVMAs : nil)
        let bounds = Bounds(config: options.config.name, intBits: program.dataModel.intBits,
                            longBits: program.dataModel.longBits, unwind: unwind, layoutVMAs: vmas)
        var result = PropertyResult(file: file, property: property.name, verdict: .unknown(reason: "not run"), bounds: bounds,
                                    seconds: 0, expected: property.expected, smtlib2: nil, solverChecks: 0)
        do {
            let session = try Session(property: property, program: program, options: options, unwind: unwind, vmas: vmas ?? 0)
            lock.lock(); running = session.context; lock.unlock()
            defer { lock.lock(); running = nil; lock.unlock() }
            if options.keepQuery {
                result.smtlib2 = session.query(comment: "hugealign: \(file): property \(property.name)\nbounds: \(bounds)\nsat = counterexample, unsat = proved")
            }
            result.verdict = try session.decide()
            result.solverChecks = session.checks
            result.firstCheckSeconds = session.firstCheckSeconds
        } catch let e as SMTError {
            result.verdict = .internalError(e.description)
        }
        result.seconds = Double((clock.now - start).components.attoseconds) / 1e18 + Double((clock.now - start).components.seconds)
        return result
    }
}

/// One property's query: the symbolic run, the solver, and the steps after a SAT answer.
final class Session {
    let context = Context()
    let domain: SymbolicDomain
    let property: Property
    let program: Program
    let options: ProverOptions
    let unwind: Int
    /// Per input: its term (a bit-vector or a Boolean) and width. Property parameters come first,
    /// then the symbolic layout's slots (`isLayout`).
    var inputs: [(name: String, type: CType, bv: SBV?, bool: SBool?, width: Int, isLayout: Bool)] = []
    var parameterCount = 0
    let vmaSlots: Int
    var assumptions: [SBool] = []
    var violation: SBool
    var checks = 0

    init(property: Property, program: Program, options: ProverOptions, unwind: Int, vmas: Int) throws {
        self.property = property
        self.program = program
        self.options = options
        self.unwind = unwind
        domain = SymbolicDomain(context: context)
        let evaluator = try Evaluator(program: program, config: options.config, domain: domain, unwind: unwind)
        var values: [Value<SymbolicDomain>] = []
        for p in property.function.parameters {
            if case .bool = p.type {
                let b = context.boolConst(p.name)
                inputs.append((p.name, p.type, nil, b, 1, false))
                values.append(.truth(.term(b)))
            } else {
                let w = evaluator.width(p.type)
                let t = context.bvConst(p.name, width: w)
                inputs.append((p.name, p.type, t, nil, w, false))
                values.append(.word(.term(t)))
            }
        }
        parameterCount = inputs.count
        vmaSlots = vmas
        let (space, wellFormed) = Session.symbolicLayout(slots: vmaSlots, context: context, domain: domain,
                                                        bits: program.dataModel.longBits, config: options.config, inputs: &inputs)
        evaluator.space = space
        let trace = evaluator.run(property, inputs: values)
        let d = domain, c = context
        assumptions = wellFormed + trace.assumptions.map { d.term($0) }
        violation = SBool.or(trace.obligations.map { d.term($0.violated) }, in: c)
        try context.throwIfError()
    }

    /// N VMA slots with symbolic bounds and flags: present slots first, each page-aligned,
    /// non-empty, below TASK_SIZE_MAX, sorted and disjoint.
    static func symbolicLayout(slots n: Int, context c: Context, domain: SymbolicDomain, bits: Int, config: Config,
                               inputs: inout [(name: String, type: CType, bv: SBV?, bool: SBool?, width: Int, isLayout: Bool)])
        -> (SlotAddressSpace<SymbolicDomain>, [SBool]) {
        var slots: [VMASlot<SymbolicDomain>] = []
        var facts: [SBool] = []
        let pageMask = c.bv((config.value("PAGE_SIZE") ?? 4096) - 1, width: bits)
        let limit = c.bv(config.value("TASK_SIZE_MAX") ?? config.value("TASK_SIZE") ?? .max, width: bits)
        var presents: [SBool] = []
        for i in 0..<n {
            let p = c.boolConst("vma\(i).present")
            presents.append(p)
        }
        // Minimisation tries `false` first: the highest slots go first, dropping VMAs.
        for i in (0..<n).reversed() { inputs.append(("vma\(i).present", .bool, nil, presents[i], 1, true)) }
        for i in 0..<n {
            let start = c.bvConst("vma\(i).start", width: bits), end = c.bvConst("vma\(i).end", width: bits)
            let flags = c.bvConst("vma\(i).flags", width: bits), pgoff = c.bvConst("vma\(i).pgoff", width: bits)
            let zero = c.bv(0, width: bits)
            facts.append(presents[i].implies(start.ult(end) && end.ule(limit) && start.and(pageMask).eq(zero) && end.and(pageMask).eq(zero)))
            if i > 0 {
                facts.append(presents[i].implies(presents[i - 1]))
                facts.append(presents[i].implies(slots[i - 1].end.term(bits, domain).ule(start)))
            }
            slots.append(VMASlot(present: .term(presents[i]), start: .term(start), end: .term(end), flags: .term(flags), pgoff: .term(pgoff)))
            for (name, t) in [("start", start), ("end", end), ("flags", flags), ("pgoff", pgoff)] {
                inputs.append(("vma\(i).\(name)", CType.int(bits: bits, signed: false), t, nil, bits, true))
            }
        }
        return (SlotAddressSpace(domain: domain, bits: bits, slots: slots), facts)
    }

    func query(comment: String) -> String {
        guard let s = try? Solver(context) else { return "" }
        for a in assumptions { s.assert(a) }
        s.assert(violation)
        return s.smtlib2(comment: comment)
    }

    /// The model of the last satisfiable `check` (read before its scope is popped).
    var lastModel: [UInt64] = []

    /// One check of `assumptions ∧ extra`. Each check gets a fresh solver: without push/pop Z3
    /// keeps its non-incremental QF_BV path (simplify, bit-blast, SAT), which is far faster here.
    func check(_ extra: [SBool], timeoutMilliseconds: UInt32? = nil) throws -> CheckResult {
        checks += 1
        let limit = timeoutMilliseconds ?? UInt32(min(options.timeoutSeconds * 1000, Double(UInt32.max)))
        let s = try Solver(context, limits: SolverLimits(timeoutMilliseconds: limit, rlimit: options.rlimit))
        current = s
        for a in assumptions { s.assert(a) }
        for e in extra { s.assert(e) }
        let r = try s.check()
        if r == .sat { lastModel = try modelValues(s) }
        return r
    }

    /// The solver of the check in progress (models are read from it).
    var current: Solver?

    /// The per-check time limit while minimising and judging relevance.
    var quick: UInt32 { UInt32(min(2000, options.timeoutSeconds * 1000)) }

    func modelValues(_ s: Solver) throws -> [UInt64] {
        let m = try s.model()
        return try inputs.map { i in
            if let b = i.bool { return try m.value(b) ? 1 : 0 }
            return try m.value(i.bv!)
        }
    }

    func equals(_ i: Int, _ v: UInt64) -> SBool {
        let input = inputs[i]
        if let b = input.bool { return v != 0 ? b : !b }
        return input.bv!.eq(context.bv(v, width: input.width))
    }

    var firstCheckSeconds = 0.0

    func decide() throws -> Verdict {
        var values: [UInt64]
        let clock = ContinuousClock()
        let start = clock.now
        let first = try check([violation])
        let d = clock.now - start
        firstCheckSeconds = Double(d.components.seconds) + Double(d.components.attoseconds) / 1e18
        switch first {
        case .unsat:
            // Vacuity: unsatisfiable assumptions prove anything; say so.
            let alone = try check([])
            return .proved(vacuous: alone == .unsat)
        case .unknown(let reason):
            return .unknown(reason: reason)
        case .sat:
            values = lastModel
        }
        values = try minimize(values)
        let relevant = try relevance(values)
        return try replay(values, relevant: relevant)
    }

    /// Alive2-style: per input, try 0, then binary-search the smallest magnitude that still fails,
    /// within a budget of solver checks. A check that times out keeps the current value.
    func minimize(_ start: [UInt64]) throws -> [UInt64] {
        var values = start
        var budget = options.minimizationBudget
        guard budget > 0 else { return values }
        for i in inputs.indices {
            let fixedOthers = { (vals: [UInt64]) in vals.indices.filter { $0 < i }.map { self.equals($0, vals[$0]) } }
            if values[i] == 0 || budget <= 0 { continue }
            budget -= 1
            if try check([violation] + fixedOthers(values) + [equals(i, 0)], timeoutMilliseconds: quick) == .sat {
                values = lastModel
                continue
            }
            guard let bv = inputs[i].bv else { continue }
            let w = inputs[i].width
            let signed = inputs[i].type.isSigned
            // First the bit length (a binary search over 1...w), then the value within it.
            let magnitude = { (v: UInt64) -> UInt64 in signed ? UInt64(ConcreteDomain.signed(v, bits: w).magnitude) : v }
            let within = { (m: UInt64) -> SBool in
                let b = self.context.bv(m, width: w)
                return signed ? bv.sle(b) && self.context.bv(0, width: w).sub(b).sle(bv) : bv.ule(b)
            }
            var perInput = 28
            var lowBits = 0, highBits = 64 - magnitude(values[i]).leadingZeroBitCount
            while highBits - lowBits > 1 && budget > 0 && perInput > 0 {
                budget -= 1; perInput -= 1
                let midBits = (lowBits + highBits) / 2
                let r = try check([violation] + fixedOthers(values) + [within((UInt64(1) << UInt64(midBits)) - 1)], timeoutMilliseconds: quick)
                if r == .sat { values = lastModel; highBits = min(midBits, 64 - magnitude(values[i]).leadingZeroBitCount) }
                else if r == .unsat { lowBits = midBits }
                else { perInput = 0 }
            }
            var hi = magnitude(values[i])
            var lo: UInt64 = highBits > 0 ? (UInt64(1) << UInt64(highBits - 1)) - 1 : 0
            while hi > lo + 1 && budget > 0 && perInput > 0 {
                budget -= 1; perInput -= 1
                let mid = lo + (hi - lo) / 2
                switch try check([violation] + fixedOthers(values) + [within(mid)], timeoutMilliseconds: quick) {
                case .sat: values = lastModel; hi = min(mid, magnitude(values[i]))
                case .unsat: lo = mid
                case .unknown: perInput = 0
                }
            }
            // Make sure the final assignment is a model with this input at its smallest value found.
            if try check([violation] + fixedOthers(values) + [equals(i, values[i])], timeoutMilliseconds: quick) == .sat {
                values = lastModel
            }
        }
        return values
    }

    /// An input is irrelevant when, the others fixed, no value of it avoids the failure.
    func relevance(_ values: [UInt64]) throws -> [Bool] {
        var out: [Bool] = []
        for i in 0..<parameterCount {
            let others = values.indices.filter { $0 != i }.map { equals($0, values[$0]) }
            let r = try check(others + [!violation], timeoutMilliseconds: quick)
            out.append(r != .unsat)
        }
        return out
    }

    /// Runs the concrete domain on the values (the same `ConcreteRunner` the fuzzer, model checker
    /// and `replay` use); only a replayed failure is a counterexample.
    func replay(_ values: [UInt64], relevant: [Bool]) throws -> Verdict {
        let runner = try ConcreteRunner(program: program, property: property, config: options.config, unwind: unwind)
        let c = TestCase(values: Array(values.prefix(parameterCount)), layout: concreteLayout(values))
        let rendered = zip(inputs.prefix(parameterCount), values).map { "\($0.name)=0x\(String($1, radix: 16))" }.joined(separator: " ")
        guard var cex = runner.counterexample(c, relevant: relevant) else {
            if runner.run(c) == .vacuous {
                return .internalError("the solver's model (\(rendered)) violates an assumption when replayed concretely")
            }
            return .internalError("the solver's model (\(rendered)) does not violate the property when replayed concretely")
        }
        if vmaSlots == 0 { cex.layout = nil }
        return .counterexample(cex)
    }

    /// The present VMAs of the model's layout.
    func concreteLayout(_ values: [UInt64]) -> Layout {
        var byName: [String: UInt64] = [:]
        for (i, input) in inputs.enumerated() where input.isLayout { byName[input.name] = values[i] }
        var vmas: [VMA] = []
        for i in 0..<vmaSlots where byName["vma\(i).present"] == 1 {
            vmas.append(VMA(start: byName["vma\(i).start"] ?? 0, end: byName["vma\(i).end"] ?? 0,
                            flags: byName["vma\(i).flags"] ?? 0, pgoff: byName["vma\(i).pgoff"] ?? 0))
        }
        return Layout(vmas: vmas)
    }
}

import Compiled
import KernelC
import Placement
import Semantics

/// One concrete test of a property: a value per parameter (bit patterns in the parameter's width;
/// bools 0/1) and the address space it runs against.
public struct TestCase: Sendable, Equatable {
    public var values: [UInt64]
    public var layout: Layout

    public init(values: [UInt64], layout: Layout) {
        self.values = values
        self.layout = layout
    }
}

/// What one concrete run of a property showed.
public enum RunOutcome: Equatable, Sendable {
    /// An `assume` did not hold: the run says nothing.
    case vacuous
    case passed
    /// Failed obligations, in the order met; the first one's location identifies the bug.
    case failed(first: String)
}

/// Runs a property concretely: the fuzzer's and model checker's inner loop, and every replay. It
/// is the same `Evaluator` the prover runs symbolically, here over `ConcreteDomain`.
public final class ConcreteRunner: @unchecked Sendable {
    public let program: Program
    public let property: Property
    public let config: Config
    public let unwind: Int
    let evaluator: Evaluator<ConcreteDomain>
    /// Per parameter: type and word width.
    public let parameters: [(name: String, type: CType, width: Int)]
    /// Program functions by name (direct calls).
    let functionIndex: [String: Int]

    /// The loop bound of concrete runs of `layout any` properties.
    public static let anyLayoutUnwind = 1_000_000

    /// The compiled form the runs use, once adopted (`compiled: true`, or `adopt`).
    private(set) var native: CompiledRunContext?
    /// Whether the compiled form tests the leading conjuncts (`LeadingTest.mask`).
    private(set) var nativeLeading = false
    /// Why runs use the evaluator although the compiled form was asked for.
    public private(set) var interpretedBecause: String?
    /// Whether runs (`run`, `call`) go through the compiled form.
    public var isCompiled: Bool { native != nil }
    /// The compiled form in use.
    public var compiledProgram: CompiledProgram? { native?.compiled }
    /// `native` without a reference count, for the hot loops (`native` keeps it alive): a retain
    /// and release per run or test are a measurable share of a fuzzing run.
    private(set) var nativeUnretained: Unmanaged<CompiledRunContext>?

    /// `compiled`: run the property through its compiled form (`CompiledProgram`) when it compiles,
    /// else through the evaluator (`interpretedBecause` says why). Descriptions of failures
    /// (`counterexample`) always come from the evaluator.
    public init(program: Program, property: Property, config: Config, unwind: Int? = nil, compiled: Bool = false) throws {
        let program = program.including(property)
        self.program = program
        self.property = property
        self.config = config
        self.unwind = ConcreteRunner.unwind(property, unwind)
        evaluator = try Evaluator(program: program, config: config, domain: ConcreteDomain(), unwind: self.unwind)
        evaluator.stopAtFalseAssumption = true
        functionIndex = Dictionary(program.functions.enumerated().map { ($1.name, $0) }, uniquingKeysWith: { a, _ in a })
        let e = evaluator
        parameters = property.function.parameters.map { ($0.name, $0.type, $0.type == .bool ? 1 : e.width($0.type)) }
        leading = LeadingAssumptions.checksByParameter(property.function, program: program)
        leadingIndex = leading.all.count <= 64 ? Dictionary(leading.all.enumerated().map { (ObjectIdentifier($1), $0) }, uniquingKeysWith: { a, _ in a }) : [:]
        if compiled {
            do {
                adopt(try CompiledProgram(program: program, config: config, unwind: self.unwind))
            } catch {
                interpretedBecause = "\(error)"
            }
        }
    }

    /// The loop bound of concrete runs: the given one, the property's, or 8. `layout any` claims
    /// every layout, so its runs' loops go as long as the layout makes them (a search retries once
    /// per VMA in the way), not to an unwinding bound.
    public static func unwind(_ property: Property, _ unwind: Int?) -> Int {
        let bound = unwind ?? property.unwind ?? 8
        return property.anyLayout ? max(bound, ConcreteRunner.anyLayoutUnwind) : bound
    }

    /// From now on, runs go through `compiled` (made for this runner's program, config and bound)
    /// if it has this property; the outcomes and coverage are the evaluator's, so a campaign may
    /// switch at any run without changing what it does.
    public func adopt(_ compiled: CompiledProgram) {
        if let native, native.compiled === compiled { return }
        guard compiled.unwind == unwind, let index = program.properties.firstIndex(where: { $0.name == property.name }),
              index < compiled.program.properties.count, compiled.hasProperty(index) else {
            if native == nil { interpretedBecause = compiled.skipped.first.map(\.description) ?? "the compiled form does not have this property" }
            return
        }
        let context = CompiledRunContext(compiled)
        context.bind(property: index)
        context.coverage = evaluator.coverage
        native = context
        nativeUnretained = .passUnretained(context)
        // The emitter numbers the conjuncts as this runner's own analysis does (the same analysis
        // of the same program); the counts must agree for the masks to mean the same conjuncts.
        nativeLeading = !leadingIndex.isEmpty && compiled.leading[index]?.all.count == leading.all.count
        interpretedBecause = nil
    }

    /// Whether a campaign of `runs` runs (nil: until a time limit) repays compiling its unit: from
    /// 2 000 runs when tcc builds it in milliseconds (`NativeLibrary.quickCompiler`), else from
    /// 20 000 (`cc -O0` takes half a second, during which the evaluator does 10–20 000 runs). A
    /// cached object costs nothing, but whether there is one is not known before emitting.
    public static func compileRepays(runs: Int?) -> Bool {
        runs.map { $0 >= (NativeLibrary.quickCompiler == nil ? 20_000 : 2_000) } ?? true
    }

    /// Starts compiling `property`'s unit (and the functions named in `roots`) on another thread,
    /// for the runners of a campaign to adopt (`adopt(from:)`); `wait` returns once it is built.
    /// `optimised`: false stops at the quick build (`CompiledProgramFuture`).
    public static func compileInBackground(_ property: Property, of program: Program, config: Config, roots: Set<String> = [],
                                           wait: Bool = false, optimised: Bool = true) -> CompiledProgramFuture {
        let program = program.including(property)
        let future = CompiledProgramFuture(program: program, config: config, unwind: ConcreteRunner.unwind(property, nil),
                                           property: program.properties.firstIndex { $0.name == property.name }, roots: roots,
                                           optimised: optimised)
        if wait { _ = future.wait() }
        return future
    }

    /// Adopts the compile's newest build, if there is one this runner does not use yet; whether it
    /// did.
    @discardableResult
    public func adopt(from future: CompiledProgramFuture?) -> Bool {
        guard let ready = future?.ready, ready !== compiledProgram else { return false }
        adopt(ready)
        return isCompiled
    }

    /// The property's leading assumptions (the model checker prunes with them, the fuzzer draws
    /// inputs that satisfy them).
    public let leading: LeadingAssumptions
    /// Conjuncts of `leading.all` by identity: the bit of each in a compiled-form mask.
    let leadingIndex: [ObjectIdentifier: Int]

    /// Branch coverage of the runs (nil: none recorded).
    public var coverage: CoverageMap? {
        get { evaluator.coverage }
        set { evaluator.coverage = newValue; native?.coverage = newValue }
    }

    @inline(__always) func arguments(_ values: [UInt64]) -> [Value<ConcreteDomain>] {
        var out: [Value<ConcreteDomain>] = []
        out.reserveCapacity(values.count)
        for (i, v) in values.enumerated() {
            let p = parameters[i]
            out.append(p.type == .bool ? .truth(v != 0) : .word(v & ConcreteDomain.mask(p.width)))
        }
        return out
    }

    /// The fast path: the outcome only.
    public func run(_ values: [UInt64], in space: IndexedAddressSpace) -> RunOutcome {
        if let fast = nativeUnretained {
            switch fast._withUnsafeGuaranteedRef({ $0.runProperty(values, in: space) }) {
            case .passed: return .passed
            case .vacuous: return .vacuous
            case .failed(let site): return .failed(first: fast.takeUnretainedValue().compiled.sites[site].location.description)
            }
        }
        evaluator.space = space
        let trace = evaluator.run(property, inputs: arguments(values))
        for a in trace.assumptions where !a { return .vacuous }
        for o in trace.obligations where o.violated { return .failed(first: o.location.description) }
        return .passed
    }

    /// Whether the last `run` may have depended on the layout: it asked the layout something, or
    /// it went through the evaluator, which does not tell. A compiled run that asked nothing
    /// executes the same way on every layout.
    public var lastRunMayReadLayout: Bool {
        guard let fast = nativeUnretained else { return true }
        return fast._withUnsafeGuaranteedRef { $0.layoutQuestions != 0 }
    }

    public func run(_ c: TestCase) -> RunOutcome { run(c.values, in: IndexedAddressSpace(c.layout)) }

    /// Calls a function of the program directly (the model checker's mmap steps).
    public func call(_ name: String, _ arguments: [UInt64], in space: IndexedAddressSpace) -> UInt64? {
        guard let i = functionIndex[name] else { return nil }
        let f = program.functions[i]
        if let native, native.compiled.hasFunction(i) {
            let (outcome, r) = native.callFunction(i, arguments, in: space)
            // A false assumption inside the function: the evaluator's run says what it returns then.
            if outcome != .vacuous { return f.returnType == .void ? nil : r }
        }
        evaluator.space = space
        let args = zip(f.parameters, arguments).map { p, v in evaluator.value(bits: v, of: p.type) }
        guard case .word(let r)? = evaluator.call(f, arguments: args).0 else { return nil }
        return r
    }

    /// Runs the case again and describes the failure for people: the failed obligations, the
    /// locals where the first one was met, and the requests the property made. Nil when it does not
    /// fail (or an assumption does not hold).
    public func counterexample(_ c: TestCase, relevant: [Bool]) -> Counterexample? {
        evaluator.space = IndexedAddressSpace(c.layout)
        evaluator.recordCalls = true
        evaluator.stopAtFalseAssumption = false
        defer { evaluator.recordCalls = false; evaluator.stopAtFalseAssumption = true }
        let trace = evaluator.run(property, inputs: arguments(c.values))
        guard trace.assumptions.allSatisfy({ $0 }) else { return nil }
        var failed = trace.obligations.filter { $0.violated }
        guard !failed.isEmpty else { return nil }
        // After an undefined operation or a cut loop the run continues on a made-up value; failures
        // after that one are artefacts of it, not findings.
        if let cut = failed.firstIndex(where: { $0.kind.leavesMadeUpValues }) { failed = Array(failed[...cut]) }
        var locals: [String: ShownValue] = [:]
        let names = Set(parameters.map(\.name))
        for (name, v) in evaluator.failureLocals ?? [] where !names.contains(name) { locals[name] = Self.render(v) }
        let calls = evaluator.calls.map { call -> CallRecord in
            let f = program.functions.first { $0.name == call.function }
            let builtin = call.function == "insert_vma" ? ["start", "end", "vm_flags", "pgoff"] : []
            let args = call.arguments.enumerated().map { i, v in
                CallRecord.Argument(name: f.map { i < $0.parameters.count ? $0.parameters[i].name : "arg\(i)" } ?? (i < builtin.count ? builtin[i] : "arg\(i)"),
                                    value: Self.render(v))
            }
            return CallRecord(function: call.function, arguments: args, result: call.result.map(Self.render))
        }
        return Counterexample(
            inputs: parameters.indices.map { i in
                let p = parameters[i]
                return InputValue(name: p.name, type: p.type.description, bits: c.values[i] & ConcreteDomain.mask(p.width),
                                  signed: p.type.isSigned, width: p.width, relevant: i < relevant.count ? relevant[i] : true)
            },
            failures: failed.map { Failure(kind: $0.kind, location: $0.location.description, text: $0.text) },
            locals: locals,
            layout: c.layout.vmas,
            calls: calls.isEmpty ? nil : calls)
    }

    static func render(_ v: Value<ConcreteDomain>) -> ShownValue {
        switch v {
        case .word(let w): return .word(w)
        case .truth(let t): return .truth(t)
        case .record(let fs): return .record(fs)
        }
    }

    /// Per parameter: whether some other value (the rest fixed) makes the property hold, or no other
    /// value fails at all (the assumptions pin it). Values are
    /// tried exhaustively for domains of at most 4096 values, else a fixed sample of 48, so for wide
    /// inputs "irrelevant" means "no tried value avoided the failure".
    public func relevance(_ c: TestCase) -> [Bool] {
        let space = IndexedAddressSpace(c.layout)
        return parameters.indices.map { i in
            let p = parameters[i]
            var tries: [UInt64]
            if p.width <= 12 {
                tries = Array(0..<(UInt64(1) << UInt64(p.width)))
            } else {
                var rng = DeterministicRandom(seed: 0x5EED + UInt64(i))
                tries = [0, 1, ConcreteDomain.mask(p.width)] + (0..<45).map { _ in rng.next() & ConcreteDomain.mask(p.width) }
                for b in stride(from: 0, to: p.width, by: 3) { tries.append(c.values[i] ^ (1 << UInt64(b))) }
            }
            var values = c.values
            var othersFail = false
            for t in tries where t != c.values[i] {
                values[i] = t
                switch run(values, in: space) {
                case .passed: return true
                case .failed: othersFail = true
                case .vacuous: break
                }
            }
            // "Any value" only when other values fail too; an input the assumptions pin (every
            // other value vacuous) matters.
            return !othersFail
        }
    }
}

import Foundation
import KernelC
import Placement
import SMT
import Semantics

/// How the prover runs.
public struct ProverOptions: Sendable {
    public var config: Config
    /// Wall-clock budget of one property: every solver check (the decision, a case split,
    /// minimisation, relevance) draws from it. When it runs out the verdict is unknown, or a
    /// counterexample that is less minimised.
    public var timeoutSeconds: Double
    /// Z3's deterministic resource budget of one property (summed over its checks), if set. Unlike
    /// the wall clock it gives the same verdicts and reports on a loaded machine.
    public var rlimit: UInt64?
    /// Loop bound for properties without an `unwind N` clause.
    public var defaultUnwind: Int
    /// Solver checks spent making counterexample values small (0 disables minimisation).
    public var minimizationBudget: Int
    public var keepQuery: Bool
    /// Symbolic VMAs for properties that query the layout without a `layout vmas <= N` clause.
    public var defaultLayoutVMAs = 4
    /// Z3 resource units the first check of a query with a `struct file *` input may use before
    /// the query is split by file kind (when the budget counts units; else about 2 s).
    /// 2 M units is about 2 s of Z3 work here, the time-budget probe's share: a query that needs
    /// more is usually decided faster case by case (measured: `mmap_result_valid` spent 6.4 s in a
    /// 6 M-unit probe before its six cases took 7.5 s).
    public var splitAfterResources: UInt64 = 2_000_000
    /// Minimisation and relevance of a counterexample get this many times what finding it took
    /// (at least 1 s or `Budget.shortCheckUnits`): the verdict comes soon after the first answer.
    public var minimizationShare = 8.0
    /// Which arithmetic decides the queries (`Arithmetic`).
    public var arithmetic = Arithmetic.bitVector
    /// Which solvers decide the bit-vector queries (`SolverChoice`).
    public var solver = SolverChoice.auto
    /// Runs of the concrete search that goes before the solver on properties over a symbolic
    /// layout (0: none). A counterexample it finds is replayed like a solver's model; finding
    /// nothing proves nothing. A fixed number of runs, not a time, so verdicts stay deterministic.
    public var concreteSearchRuns = 20_000
    /// How many external solvers one property may run side by side (the relaxed integer forms of
    /// its obligations): the cores, shared among the provers of a parallel run (`ProofCampaign`).
    public var solverLanes = ProcessInfo.processInfo.activeProcessorCount
    /// Skip costly calls (window searches, loops) whose path contradicts the assumptions so far,
    /// by a short solver check each (`InfeasiblePaths`): a free hint returned before any search
    /// then costs no search encoding.
    public var pruneInfeasibleCalls = true
    /// Called as soon as the solver's first model has been replayed (before minimisation), with the
    /// property's name and the seconds it took: progress for people waiting on a long run.
    public var onFirstCounterexample: (@Sendable (String, Double) -> Void)?

    /// The budget of runs whose verdicts must not depend on the machine's load (the tests,
    /// `--check-expectations`): Z3 resource units per property, about 30× what the slowest bundled
    /// property uses (≈ 31 M, `prove specs --stats`), and a wall clock that only catches hangs.
    public static let deterministicResources: UInt64 = 1_000_000_000
    public static let deterministicTimeoutSeconds = 900.0

    /// Options that give the same verdicts and reports on any machine of the same Z3 version.
    public static func deterministic(config: Config = .x86_64) -> ProverOptions {
        ProverOptions(config: config, timeoutSeconds: deterministicTimeoutSeconds, rlimit: deterministicResources)
    }

    public init(config: Config = .x86_64, timeoutSeconds: Double = 30, rlimit: UInt64? = nil, defaultUnwind: Int = 8,
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
    /// The session in progress, so Ctrl-C can interrupt it.
    private let lock = NSLock()
    private var running: Session?
    private var stopped = false
    private var interrupted: Bool { lock.lock(); defer { lock.unlock() }; return stopped }

    public init(options: ProverOptions) {
        self.options = options
        // The external solvers' first worker starts (Python imports both solvers: 0.15–0.3 s)
        // while the spec is planned and searched concretely, not when the first check waits for it.
        if options.solver != .z3 { ExternalSolver.startWorkers() }
    }

    /// Interrupts the check in progress and every later one (their verdicts become unknown:
    /// "canceled").
    public func interrupt() {
        lock.lock()
        stopped = true
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

    /// The options `property` is proved under: its own `arithmetic` clause over the run's.
    static func options(_ options: ProverOptions, for property: Property) -> ProverOptions {
        var options = options
        if let a = property.arithmetic.flatMap(Arithmetic.init(rawValue:)) { options.arithmetic = a }
        return options
    }

    func run(_ property: Property, in program: Program, file: String, options: ProverOptions) throws -> PropertyResult {
        let options = Self.options(options, for: property)
        let clock = ContinuousClock()
        let start = clock.now
        Session.traceLine("[start] \(property.name)")
        let unwind = property.unwind ?? options.defaultUnwind
        let vmas = property.anyLayout ? nil : property.layoutVMAs ?? (program.usesLayout ? options.defaultLayoutVMAs : nil)
        var bounds = Bounds(config: options.config.name, intBits: program.dataModel.intBits,
                            longBits: program.dataModel.longBits, unwind: unwind, layoutVMAs: vmas)
        if property.anyLayout {
            bounds.anyLayout = true
            if property.unwind != nil { bounds.invariantLoopsUnwound = true }
        }
        bounds.functions = program.functionSource
        var result = PropertyResult(file: file, property: property.name, verdict: .unknown(reason: "not run"), bounds: bounds,
                                    seconds: 0, expected: property.expected, smtlib2: nil, solverChecks: 0)
        // The contracts the proof uses, each proved first (once per process, configuration and
        // code it runs). One that is not proved is not used: its function's calls run as they are.
        var contracts: [Contract] = []
        if !property.contractsSetAside.isEmpty { result.bounds.contractsNotUsed = property.contractsSetAside }
        for c in property.contracts.map({ program.contracts[$0] }) {
            let proof = try proveContract(c, in: program, file: file, options: options)
            let why: String
            switch proof.verdict {
            case .proved:
                contracts.append(c)
                result.bounds.contracts = (result.bounds.contracts ?? []) + ["\(c.name) (its contract proved for every layout in \(String(format: "%.1f", proof.seconds)) s)"]
                continue
            case .counterexample(let cex):
                why = "its contract fails: \(cex.failures.first.map { "\($0.kind) at \($0.location)" } ?? "counterexample") (hugealign prove --property \(c.obligation.name) shows it)"
            case .unknown(let r): why = "its contract's proof is unknown (\(r))"
            case .internalError(let e): why = "its contract's proof hit an internal error (\(e))"
            }
            result.bounds.contractsNotUsed = (result.bounds.contractsNotUsed ?? []) + ["\(c.name): \(why)"]
        }
        do {
            // The property's own budget starts after its contracts' proofs (each had its own).
            let budget = Budget(start: clock.now, seconds: options.timeoutSeconds, resources: options.rlimit, probeUnits: options.splitAfterResources)
            // The concrete search first: when it fails the property, the query only polishes that
            // case, and is built without the pruning of infeasible calls (seconds of checks).
            let presearch = try Session.search(property, in: program, options: options, vmas: vmas ?? 0)
            var sessionOptions = options
            if presearch?.failing != nil { sessionOptions.pruneInfeasibleCalls = false }
            let session = try Session(property: property, program: program, options: sessionOptions, unwind: unwind, vmas: vmas ?? 0,
                                      budget: budget, presearch: presearch, contracts: contracts) { [unowned self] in interrupted }
            setRunning(session)
            defer { setRunning(nil) }
            if interrupted { throw SMTError(code: "canceled", message: "interrupted") }
            if options.keepQuery {
                result.smtlib2 = session.query(comment: "hugealign: \(file): property \(property.name)\nbounds: \(bounds)\nsat = counterexample, unsat = proved")
            }
            result.verdict = try session.decide()
            if session.spurious, case .unknown(let reason) = result.verdict {
                result.verdict = try refuteBounded(property, in: program, options: options, unwind: unwind,
                                                   budget: session.budget, abstractReason: reason)
            }
            // The integer forms of layout queries are where the linked Z3 4.8 gives up and a newer
            // one does not: say so where the newer one was not there to try.
            if case .unknown(let reason) = result.verdict, options.arithmetic != .bitVector, options.solver != .z3,
               !session.usesNewerZ3, session.integerForm {
                result.verdict = .unknown(reason: "\(reason); a newer Z3 decides such integer forms far faster: pip install z3-solver")
            }
            result.solverChecks = session.checks
            result.bitwuzlaProofs = session.bitwuzlaProofs
            result.newerZ3Proofs = session.newerZ3Proofs
            result.prunedCalls = session.pruning?.pruned ?? 0
            result.pruningChecks = session.pruning?.checks ?? 0
            result.bitwuzlaModels = session.bitwuzlaModels
            result.firstCheckSeconds = session.firstCheckSeconds
            result.resourcesUsed = session.budget.used
            result.caseSplit = session.caseSplit
            result.concreteSearchRuns = session.concreteSearchRuns
        } catch let e as SMTError where e.code == "canceled" {
            result.verdict = .unknown(reason: "canceled")
        } catch let e as SMTError {
            result.verdict = .internalError(e.description)
        }
        result.seconds = (clock.now - start).seconds
        return result
    }

    /// A contract's own proof under a configuration: made once per process and the code it runs
    /// (`ContractProofs`), then shared by every property that uses the contract.
    public func proveContract(_ c: Contract, in program: Program, file: String, config: Config) throws -> PropertyResult {
        var options = self.options
        options.config = config
        return try proveContract(c, in: program, file: file, options: options)
    }

    /// The contract proofs `item`'s proof starts with, innermost first (a contract's proof uses
    /// the contracts it names), each under the options `run` proves it with and with its key in
    /// `ContractProofs`: what a campaign schedules as work of its own.
    public func contractProofs(_ item: SpecPlan.Item) -> [(contract: Contract, options: ProverOptions, key: String, needs: [String])] {
        var out: [(contract: Contract, options: ProverOptions, key: String, needs: [String])] = []
        /// The keys of the proofs `property` uses, each added after the proofs it uses.
        @discardableResult
        func add(_ property: Property, _ options: ProverOptions) -> [String] {
            let options = Self.options(options, for: property)
            return property.contracts.map({ item.program.contracts[$0] }).map { c in
                let needs = add(c.obligation, options)
                let key = ContractProofs.key(c, item.program, options)
                if !out.contains(where: { $0.key == key }) { out.append((c, options, key, needs)) }
                return key
            }
        }
        var options = self.options
        options.config = item.config
        add(item.property, options)
        return out
    }

    public func proveContract(_ c: Contract, in program: Program, file: String, options: ProverOptions) throws -> PropertyResult {
        try ContractProofs.shared.result(ContractProofs.key(c, program, options)) {
            try run(c.obligation, in: program, file: file, options: options)
        }
    }

    /// The session Ctrl-C interrupts.
    private func setRunning(_ session: Session?) {
        lock.lock()
        running = session
        lock.unlock()
    }

    /// `layout any` gave a model no real layout replays: look for a real counterexample the bounded
    /// way (N symbolic VMAs, loops unwound) with what is left of the budget. Only a replayed failure
    /// of the property itself counts — not one of the unwinding bound, which `layout any` does not have.
    func refuteBounded(_ property: Property, in program: Program, options: ProverOptions, unwind: Int, budget: Budget,
                       abstractReason: String) throws -> Verdict {
        var bounded = property
        bounded.anyLayout = false
        let n = options.defaultLayoutVMAs
        let session = try Session(property: bounded, program: program, options: options, unwind: unwind, vmas: n, budget: budget)
        setRunning(session)
        defer { setRunning(nil) }
        if interrupted { throw SMTError(code: "canceled", message: "interrupted") }
        let v = try session.decide()
        if case .counterexample(let c) = v, c.failures.first?.kind != .unwinding { return v }
        let what: String
        switch v {
        case .proved: what = "none with layouts of ≤ \(n) VMAs"
        case .counterexample: what = "only the unwinding bound fails"
        case .unknown(let r): what = "unknown (\(r))"
        case .internalError(let e): what = "internal error (\(e))"
        }
        return .unknown(reason: "\(abstractReason); a bounded search for a counterexample (layouts ≤ \(n) VMAs, loops unwound \(unwind)×): \(what)")
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
    var vmaSlots: Int
    /// `layout any`: the layout is `AbstractAddressSpace`'s, and loops with an invariant run once
    /// from any state; a model that does not replay is then no counterexample, and no engine bug.
    var isAbstract = false
    /// Set when a model over the abstract layout did not replay (the verdict is then unknown).
    var spurious = false
    /// Calls were replaced by proved contracts (a model may then hold only through a contract).
    var usesContracts = false
    var assumptions: [SBool] = []
    /// Facts that only the integer forms get (`AbstractAddressSpace.fitFacts`).
    var orderFacts: [SBool] = []
    /// Each obligation (described) and when it fails; `violation` is their disjunction.
    var obligations: [(text: String, violated: SBool)] = []
    /// The obligations the last model violates, when the solver that found it can say (bit-blasting).
    var lastViolated: [String] = []
    var violation: SBool
    var checks = 0
    var budget: Budget
    /// Constraints of the case being decided (a case split pins one input); part of every check
    /// except the relevance check of the pinned input itself.
    var pinned: (input: Int, value: UInt64)?
    /// How the verdict was reached when the query was split into cases (for people).
    var caseSplit: String?
    /// Set when the concrete search before the solver found the counterexample (its runs).
    var concreteSearchRuns: Int?
    /// Set when a run of the concrete search got past every assumption: the assumptions can hold
    /// (on a real layout within the bounds, which the query admits), so a proof is not vacuous and
    /// needs no solver check to say so.
    var assumptionsWitnessed = false
    /// The pruning of infeasible calls while the query was built (nil: off).
    var pruning: InfeasiblePaths?
    /// The concrete search, when `Prover.run` made it before the session.
    var presearch: FuzzResult?
    private var canceled = false

    /// `stopped`: whether the run was interrupted (Ctrl-C, SIGTERM) — asked while the query is
    /// built, before this session is there to interrupt.
    init(property: Property, program: Program, options: ProverOptions, unwind: Int, vmas: Int, budget: Budget,
         presearch: FuzzResult? = nil, contracts: [Contract] = [], stopped: @escaping () -> Bool = { false }) throws {
        self.budget = budget
        self.presearch = presearch
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
        let bits = program.dataModel.longBits
        var wellFormed: [SBool] = []
        var abstract: AbstractAddressSpace?
        if property.anyLayout {
            let space = AbstractAddressSpace(domain: domain, bits: bits, pageSize: options.config.number(.pageSize),
                                             taskSizeMax: options.config.number(.taskSizeMax))
            evaluator.space = space
            var made = 0
            evaluator.havoc = Evaluator.Havoc(
                word: { [context] bits in made += 1; return .term(context.bvConst("any!\(made)", width: bits)) },
                truth: { [context] in made += 1; return .term(context.boolConst("any!\(made)")) })
            abstract = space
            // The property's own `unwind N`: its loops unwound, invariants or not (Bounds).
            evaluator.inductiveLoops = property.unwind == nil
            // Which fit a search takes matters where the first pass is followed (loops unwound);
            // by induction the pass is an arbitrary one, and the facts only slowed the proofs.
            space.knowsWhichFit = property.unwind != nil
            vmaSlots = 0
            for c in contracts { evaluator.contracted[c.function] = c }
            usesContracts = !contracts.isEmpty
        } else {
            vmaSlots = vmas
            let (space, facts) = Session.symbolicLayout(slots: vmaSlots, context: context, domain: domain,
                                                        bits: bits, config: options.config, inputs: &inputs)
            evaluator.space = space
            wellFormed = facts
        }
        evaluator.splitAssertions = options.arithmetic == .both
        evaluator.checksUnusedInvariants = false
        if options.pruneInfeasibleCalls {
            let layoutFacts = wellFormed
            let external = InfeasiblePaths.secondOpinion(bitwuzla: options.solver != .z3 && ExternalSolver.bitwuzla.version != nil,
                                                         newerZ3: options.solver != .z3 && ExternalSolver.z3.version != nil,
                                                         lanes: options.solverLanes)
            let limits = InfeasiblePaths.limits(units: options.rlimit != nil, alone: external == nil)
            // Past the property's deadline, or once the run is interrupted, no more questions: the
            // calls are kept, the query is built at once, and its first check answers "timeout" or
            // "canceled" (the questions, up to 32 of Z3 and 12 s of Bitwuzla, once outlasted both).
            let deadline = budget.deadline
            let paths = try InfeasiblePaths(context: context, domain: domain, limits: limits, external: external,
                                            stop: { stopped() || ContinuousClock.now >= deadline }, deadline: deadline) { [abstract] in
                abstract?.facts ?? layoutFacts
            }
            evaluator.prunedCallees = CallGraph(program).costlyIndices(searches: abstract == nil)
            evaluator.infeasible = { paths.isInfeasible($0.name, $1, $2) }
            evaluator.recordsQuestionGuard = abstract != nil
            abstract?.excluded = { [unowned evaluator] in
                paths.cannotHold($0, under: evaluator.questionGuard ?? .known(true), evaluator.trace.assumptions, withLayout: $1)
            }
            pruning = paths
        }
        let encodingStarted = ContinuousClock.now
        let trace = evaluator.run(property, inputs: values)
        Self.traceLine("[encode] \(property.name) \(trace.obligations.count) obligations \(String(format: "%.3f", (ContinuousClock.now - encodingStarted).seconds))s")
        evaluator.infeasible = nil
        abstract?.excluded = nil
        if let abstract {
            // The VMAs the run looked at are the layout's inputs (presence first: minimisation
            // drops the highest first).
            vmaSlots = abstract.seen.count
            wellFormed = abstract.facts
            for (i, v) in abstract.seen.enumerated().reversed() { inputs.append(("vma\(i).present", .bool, nil, v.present, 1, true)) }
            for (i, v) in abstract.seen.enumerated() {
                for (name, t) in [("start", v.start), ("end", v.end), ("flags", v.flags), ("pgoff", v.pgoff)] {
                    inputs.append(("vma\(i).\(name)", CType.int(bits: bits, signed: false), t, nil, bits, true))
                }
            }
        }
        isAbstract = abstract != nil
        let d = domain, c = context
        assumptions = wellFormed + trace.assumptions.map { d.term($0) }
        orderFacts = abstract?.fitFacts ?? []
        violation = SBool.or(trace.obligations.map { d.term($0.violated) }, in: c)
        obligations = trace.obligations.map { ("\($0.kind) at \($0.location): \($0.text)", d.term($0.violated)) }
        try context.throwIfError()
    }

    /// N VMA slots with symbolic bounds and flags: present slots first, each page-aligned,
    /// non-empty, below TASK_SIZE_MAX, sorted and disjoint.
    static func symbolicLayout(slots n: Int, context c: Context, domain: SymbolicDomain, bits: Int, config: Config,
                               inputs: inout [(name: String, type: CType, bv: SBV?, bool: SBool?, width: Int, isLayout: Bool)])
        -> (SlotAddressSpace<SymbolicDomain>, [SBool]) {
        var slots: [VMASlot<SymbolicDomain>] = []
        var facts: [SBool] = []
        let pageMask = c.bv(config.number(.pageSize) - 1, width: bits)
        let limit = c.bv(config.number(.taskSizeMax), width: bits)
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

    /// The query as SMT-LIB2: in its integer form (QF_LIA) when the arithmetic is `.integer` and it
    /// has one, else as bit-vectors (QF_BV).
    func query(comment: String) -> String {
        if options.arithmetic == .integer, let s = try? IntegerSolver(context), (try? fill(s, [violation], pin: false)) != nil {
            return s.smtlib2(comment: comment)
        }
        guard let s = try? Solver(context), (try? fill(s, [violation], pin: false)) != nil else { return "" }
        return s.smtlib2(comment: comment)
    }

    /// The model of the last satisfiable `check` (read before its scope is popped).
    var lastModel: [UInt64] = []

    /// Interrupts the check in progress and makes every later check answer "canceled".
    func interrupt() {
        canceled = true
        context.interrupt()
        workerLock.lock()
        for w in workers.values { w.cancel() }
        workerLock.unlock()
    }

    /// `HUGEALIGN_TRACE_CHECKS`: every check on stderr (docs/verdicts.md).
    static let traceChecks = ProcessInfo.processInfo.environment["HUGEALIGN_TRACE_CHECKS"] != nil

    /// One line of `HUGEALIGN_TRACE_CHECKS`: who decided what, how, in how long.
    private func trace(_ what: @autoclosure () -> String, _ r: CheckResult, since start: ContinuousClock.Instant) {
        Self.traceLine("[check] \(property.name) \(what()) -> \(r) \(String(format: "%.3f", (ContinuousClock.now - start).seconds))s")
    }

    /// When the first line was written: each line says how far into the run it is.
    private static let traceStart = ContinuousClock.now

    /// A line of `HUGEALIGN_TRACE_CHECKS` on stderr (the pruning's too), built only when tracing.
    static func traceLine(_ line: @autoclosure () -> String) {
        guard traceChecks else { return }
        let at = String(format: "%7.3f ", (ContinuousClock.now - traceStart).seconds)
        FileHandle.standardError.write(Data((at + line() + "\n").utf8))
    }

    /// The external worker of the check in progress (to cancel it), and the proofs each solver gave.
    private let workerLock = NSLock()
    private var workers: [Int: ExternalSolver.Worker] = [:]

    /// Tells `interrupt` which worker a check (`slot`) is waiting for, or that it is done.
    private func running(_ w: ExternalSolver.Worker?, slot: Int = 0) {
        workerLock.lock()
        workers[slot] = w
        workerLock.unlock()
    }
    private(set) var bitwuzlaProofs = 0
    private(set) var newerZ3Proofs = 0

    /// Whether Bitwuzla gets the first try at this property's bit-vector queries (with `arithmetic
    /// both`, at the obligations the integer form left open).
    var usesBitwuzla: Bool { options.solver != .z3 && options.arithmetic != .integer && ExternalSolver.bitwuzla.version != nil }
    /// Whether a newer Z3 than the linked one decides the integer forms first.
    var usesNewerZ3: Bool { options.solver != .z3 && ExternalSolver.z3.version != nil }

    /// Whether a model of Bitwuzla's may become the counterexample where Z3 leaves the property
    /// unknown: with a budget in seconds (one in units stands for "the same report everywhere",
    /// which then must not depend on whether Bitwuzla is installed), over a bounded layout (an
    /// abstract one's report also reads which obligations Z3's model violates).
    var takesBitwuzlaModels: Bool { options.rlimit == nil && !isAbstract }
    /// Bitwuzla's first model that replayed, and how many counterexamples came from one (0 or 1).
    private var fallbackModel: [UInt64]?
    private(set) var bitwuzlaModels = 0

    /// `assumptions ∧ pinned ∧ extra` into a fresh solver: what one non-incremental check asks.
    private func fill(_ s: Decider, _ extra: [SBool], pin: Bool) throws {
        for a in assumptions { try s.add(a) }
        if s is IntegerSolver { for a in orderFacts { try s.add(a) } }
        if pin, let p = pinned { try s.add(equals(p.input, p.value)) }
        for e in extra { try s.add(e) }
    }

    /// Bitwuzla's answer to `assumptions ∧ pinned ∧ extra`, printed by Z3 as SMT-LIB2.
    private func bitwuzla(_ extra: [SBool], pin: Bool, share: Share, limits: SolverLimits) throws -> (result: CheckResult, model: [String: UInt64]) {
        let s = try Solver(context)
        try fill(s, extra, pin: pin)
        // At most half of what the check may take (Z3 keeps the rest), 20 s, or 2 s on a probe:
        // enough for every bit-vector query of the bundled specs, with room for a loaded machine.
        let ms = min((limits.timeoutMilliseconds ?? .max) / 2, share == .probe ? 2_000 : 20_000)
        return ExternalSolver.bitwuzla.check(s.smtlib2(), milliseconds: ms, models: takesBitwuzlaModels) { running($0) }
    }

    /// The newer Z3's answer to the integer form of `assumptions ∧ pinned ∧ extra`, within what the
    /// engine's step may take, at most 20 s — 60 s when the budget counts units, whose verdicts
    /// should not turn unknown on a loaded machine.
    private func newerZ3(_ engine: Engine, _ extra: [SBool], pin: Bool, limits: SolverLimits) throws -> CheckResult {
        ExternalSolver.z3.check(try newerZ3Query(engine, extra, pin: pin, limits: limits),
                                milliseconds: newerZ3Milliseconds(limits)) { running($0) }
    }

    /// The integer form the newer Z3 gets (constant masks kept exact when relaxed), as SMT-LIB2.
    private func newerZ3Query(_ engine: Engine, _ extra: [SBool], pin: Bool, limits: SolverLimits) throws -> String {
        let s = try integerSolver(engine, limits, pin: pin, keepsConstantMasks: true)
        try fill(s, extra, pin: pin)
        return s.smtlib2()
    }

    /// Obligations (their violation terms) whose relaxed form the newer Z3 has been asked about
    /// side by side and did not prove: how many milliseconds it had (`.max`: it found a model). Their
    /// relaxed step is not asked again unless it would now get more time.
    private var relaxedTried: [OpaquePointer: UInt32] = [:]

    private func newerZ3Milliseconds(_ limits: SolverLimits) -> UInt32 {
        let cap: UInt32 = limits.rlimit == nil ? 20_000 : 60_000
        return min(limits.timeoutMilliseconds ?? cap, cap)
    }

    /// The first step of every obligation at once (`arithmetic both` with the newer Z3): each
    /// relaxed form is printed here, in turn (the Z3 context is not shared between threads), and
    /// the newer Z3 decides them side by side, one worker per core. Returns the obligations it
    /// proved; the others go through `check` as before. Each gets the share it would get alone.
    private func proveRelaxedSideBySide(_ open: [(text: String, violated: SBool)]) throws -> Set<Int> {
        guard open.count > 1, usesNewerZ3, engines.first?.engine == .relaxedInteger else { return [] }
        let n = Double(open.count)
        guard let limits = budget.limits(.rest, fraction: relaxedShare / n) else { return [] }
        var printed: [String] = []
        let printing = ContinuousClock.now
        do {
            // The assumptions are translated once, each obligation in a scope of its own; but each
            // is the whole query printed again: on a large one (two placement calls unwound, 34
            // obligations) that alone took past the budget, so it stops there.
            let s = try integerSolver(.relaxedInteger, limits, pin: true, keepsConstantMasks: true)
            try fill(s, [], pin: true)
            for o in open {
                if budget.remainingSeconds <= 0 { return [] }
                s.push()
                try s.assert(o.violated)
                printed.append(s.smtlib2())
                s.pop()
            }
        } catch is Untranslatable {
            return []
        }
        let queries = printed
        Self.traceLine("[print] \(property.name) \(queries.count) relaxed forms \(String(format: "%.3f", (ContinuousClock.now - printing).seconds))s")
        if let dir = Self.obligationsFolder {
            for (i, o) in open.enumerated() {
                let s = try Solver(context)
                try fill(s, [o.violated], pin: true)
                try? s.smtlib2().write(toFile: "\(dir)/\(property.name).\(i).bv.smt2", atomically: true, encoding: .utf8)
                try? queries[i].write(toFile: "\(dir)/\(property.name).\(i).int.smt2", atomically: true, encoding: .utf8)
            }
        }
        let ms = newerZ3Milliseconds(limits)
        /// Per query: its answer once settled (or its last attempt's), the race of its attempts
        /// (a first one, and a second seed when a lane has nothing else), and how many still run.
        final class Answers: @unchecked Sendable {
            var results: [CheckResult?]
            var next = 0
            let races: [ExternalSolver.Race]
            var seconded: Set<Int> = []
            var attempts: [Int]
            init(_ n: Int) {
                results = Array(repeating: nil, count: n)
                races = (0..<n).map { _ in ExternalSolver.Race() }
                attempts = Array(repeating: 0, count: n)
            }
        }
        let answers = Answers(queries.count)
        let lock = NSLock()
        let started = ContinuousClock.now
        let lanes = max(1, min(queries.count, options.solverLanes))
        // Only the workers are touched from the lanes (`running` takes its lock).
        nonisolated(unsafe) let session = self
        // Each lane takes the next query not yet taken: one slow obligation (1 s of five, the
        // lowest fit's) holds up only its own lane, not every query dealt to it in advance. A lane
        // with none left asks a query still running again from another seed, and whichever
        // answers first is taken: on these forms one seed may take ten times another (0.65 and
        // 5.5 s on an obligation of the legacy lowest-aligned placement).
        DispatchQueue.concurrentPerform(iterations: lanes) { lane in
            while !session.canceled {
                lock.lock()
                var picked: Int?, seed = 0
                if answers.next < queries.count {
                    picked = answers.next
                    answers.next += 1
                } else if let j = answers.results.indices.first(where: {
                    answers.results[$0] == nil && answers.attempts[$0] > 0 && !answers.seconded.contains($0)
                }) {
                    picked = j
                    seed = Self.secondSeed
                    answers.seconded.insert(j)
                }
                guard let i = picked else { lock.unlock(); return }
                answers.attempts[i] += 1
                lock.unlock()
                let left = ms - min(ms, UInt32(clamping: Int((ContinuousClock.now - started).seconds * 1000)))
                let (r, won) = answers.races[i].attempt(lane, .z3, queries[i], milliseconds: seed == 0 ? ms : max(1, left), seed: seed,
                                                        running: { session.running($0, slot: lane + 1) }) { $0 == .unsat || $0 == .sat }
                Self.traceLine("[lane] \(lane) query \(i) seed \(seed) -> \(r)\(won ? " (won)" : "")")
                lock.lock()
                answers.attempts[i] -= 1
                if answers.results[i] == nil, won || answers.attempts[i] == 0 { answers.results[i] = r }
                lock.unlock()
            }
        }
        if canceled { throw SMTError(code: "canceled", message: "interrupted") }
        checks += queries.count
        let proved = Set(answers.results.indices.filter { answers.results[$0] == .unsat })
        newerZ3Proofs += proved.count
        for (i, r) in answers.results.enumerated() where r != .unsat {
            relaxedTried[open[i].violated.term.raw] = r == .sat ? .max : ms
        }
        trace("relaxedInteger (z3 \(ExternalSolver.z3.version ?? ""), \(queries.count) obligations side by side, \(proved.count) unsat)",
              proved.count == queries.count ? .unsat : .unknown(reason: "\(queries.count - proved.count) left"), since: started)
        return proved
    }

    /// `HUGEALIGN_DUMP_OBLIGATIONS=DIR`: each side-by-side obligation's bit-vector and relaxed
    /// integer forms, to time solvers on them alone.
    static let obligationsFolder = ProcessInfo.processInfo.environment["HUGEALIGN_DUMP_OBLIGATIONS"]

    /// The seed a second attempt at a side-by-side query starts from (the first starts from 0, and
    /// each restarts with the next).
    static let secondSeed = 100

    /// How much of the budget one check may take.
    enum Share {
        /// Whatever is left.
        case rest
        /// A short check (minimisation, relevance, case enumeration): 2 s or `Budget.shortCheckUnits`.
        case quick
        /// The first look at a query that might be split: as short, and at most a quarter of the time.
        case probe
    }

    /// Per arithmetic, one solver holding `assumptions ∧ pinned ∧ violation` for the many small
    /// checks of minimisation: the query is translated once and each check only pushes its extra facts.
    var minimizers: [Engine: Decider] = [:]
    /// Set when the query has no integer form (`Untranslatable`): only bit-blasting is asked.
    var integerForm = true

    /// The engines a check asks, in order, with the share of the check's budget each gets (of
    /// what the ones before left).
    var engines: [(engine: Engine, share: Double)] {
        switch options.arithmetic {
        case .bitVector: return [(.bitVector, 1)]
        case .integer: return integerForm ? [(.integer, 1)] : [(.bitVector, 1)]
        case .both: return integerForm ? [(.relaxedInteger, relaxedShare), (.bitVector, 1)] : [(.bitVector, 1)]
        }
    }

    /// The relaxed step's share in `arithmetic both`: a quarter, half where the newer Z3 takes it —
    /// then it proves the order facts bit-blasting does not, and a quarter left the 64-bit
    /// no-overlap proofs unknown in about one run of ten with a 30 s budget (a slow seed, then the
    /// bit-blasting step spent the rest).
    var relaxedShare: Double { usesNewerZ3 ? 0.5 : 0.25 }

    /// A solver for one engine; the integer ones get the pinned input as a value (`fixing`).
    func makeDecider(_ e: Engine, _ limits: SolverLimits, pin: Bool) throws -> Decider {
        if e == .bitVector { return try Solver(context, limits: limits) }
        return try integerSolver(e, limits, pin: pin)
    }

    /// `keepsConstantMasks`: the relaxed form the newer Z3 gets (`IntegerTranslation`).
    private func integerSolver(_ e: Engine, _ limits: SolverLimits, pin: Bool, keepsConstantMasks: Bool = false) throws -> IntegerSolver {
        let fixed = pin ? pinned.flatMap { p in inputs[p.input].bv.map { [($0, p.value)] } } ?? [] : []
        return try IntegerSolver(context, limits: limits, fixing: fixed, relaxed: e == .relaxedInteger, keepsConstantMasks: keepsConstantMasks)
    }

    /// One check of `assumptions ∧ pinned ∧ extra`, asked of each arithmetic in turn (`engines`)
    /// until one decides it. A non-incremental check gets a fresh solver: without push/pop Z3 keeps
    /// its non-incremental QF_BV path (simplify, bit-blast, SAT), which is far faster for one hard
    /// question. `incremental` checks (minimisation: many small variations of the violated query,
    /// `violation` and the pin implied) push onto a `minimizers` solver instead. A spent budget
    /// answers "timeout" (or "resource limit") without asking Z3.
    func check(_ extra: [SBool], share: Share = .rest, pin: Bool = true, incremental: Bool = false) throws -> CheckResult {
        var result = CheckResult.unknown(reason: budget.exhaustedReason)
        // Minimisation needs models: the relaxed form has none to give.
        let order = engines.filter { !(incremental && $0.engine == .relaxedInteger) }
        for (n, step) in order.enumerated() {
            let last = n == order.count - 1
            do {
                result = try check(extra, share: share, pin: pin, incremental: incremental, engine: step.engine,
                                   fraction: last ? 1 : step.share)
            } catch is Untranslatable {
                integerForm = false
                minimizers[step.engine] = nil
                if last { return try check(extra, share: share, pin: pin, incremental: incremental) }
                continue
            }
            if case .unknown = result { continue }
            return result
        }
        return result
    }

    private func check(_ extra: [SBool], share: Share, pin: Bool, incremental: Bool, engine arithmetic: Engine,
                       fraction: Double) throws -> CheckResult {
        if canceled { throw SMTError(code: "canceled", message: "interrupted") }
        guard let limits = budget.limits(share, fraction: fraction) else { return .unknown(reason: budget.exhaustedReason) }
        checks += 1
        // Only a question whose `unsat` means something (not the vacuity check, which wants a model).
        if arithmetic == .bitVector, !incremental, share != .quick, !extra.isEmpty, usesBitwuzla {
            let traceStart = ContinuousClock.now
            let (r, model) = try bitwuzla(extra, pin: pin, share: share, limits: limits)
            trace("bitwuzla extra=\(extra.count) share=\(share)", r, since: traceStart)
            if canceled { throw SMTError(code: "canceled", message: "interrupted") }
            if r == .unsat {
                bitwuzlaProofs += 1
                return .unsat
            }
            // A model that replays here (a constant the query does not mention reads 0, as in Z3's
            // completed models) is kept for a decision that Z3 leaves unknown (`decide`).
            if r == .sat, takesBitwuzlaModels, fallbackModel == nil {
                let values = inputs.map { model[$0.name] ?? 0 }
                if try runner.run(testCase(values)).isFailure { fallbackModel = values }
            }
        }
        // The relaxed form the side-by-side pass already asked about with at least this much time.
        if arithmetic == .relaxedInteger, extra.count == 1, let tried = relaxedTried[extra[0].term.raw],
           tried >= newerZ3Milliseconds(limits) {
            return .unknown(reason: tried == .max ? "a model of the relaxed integer form" : "timeout (side by side)")
        }
        // The integer form to the newer Z3 first. Its `unsat` is the proof; of the relaxed form
        // nothing else can come (its models are not the query's), so the linked Z3 is not asked again.
        if arithmetic != .bitVector, !incremental, share != .quick, !extra.isEmpty, usesNewerZ3 {
            let traceStart = ContinuousClock.now
            let r = try newerZ3(arithmetic, extra, pin: pin, limits: limits)
            trace("\(arithmetic) (z3 \(ExternalSolver.z3.version ?? "")) extra=\(extra.count) share=\(share)", r, since: traceStart)
            if canceled { throw SMTError(code: "canceled", message: "interrupted") }
            if r == .unsat {
                newerZ3Proofs += 1
                return .unsat
            }
            // A model of the relaxed form says nothing, and where the newer Z3 ran out of time the
            // linked one (weaker form, slower engine) would too; an error (a parse, a crash) falls
            // through to the linked Z3.
            if arithmetic == .relaxedInteger {
                if r == .sat { return .unknown(reason: "a model of the relaxed integer form") }
                if case .unknown(let reason) = r, reason.contains("timeout") || reason.contains("canceled") {
                    return .unknown(reason: reason)
                }
            }
        }
        let s: Decider
        if incremental {
            if let m = minimizers[arithmetic] {
                s = m
                try s.set(limits)
            } else {
                let m = try makeDecider(arithmetic, limits, pin: true)
                try fill(m, [violation], pin: true)
                minimizers[arithmetic] = m
                s = m
            }
            s.push()
            for e in extra { try s.add(e) }
        } else {
            s = try makeDecider(arithmetic, limits, pin: pin)
            try fill(s, extra, pin: pin)
        }
        defer { if incremental { s.pop(1) } }
        let traceStart = ContinuousClock.now
        let r = try s.check()
        budget.spend(s.resourceCount)
        trace("\(arithmetic) extra=\(extra.count) share=\(share) inc=\(incremental)", r, since: traceStart)
        if canceled { throw SMTError(code: "canceled", message: "interrupted") }
        if r == .sat {
            lastModel = try s.values(of: inputs.map { ($0.bv, $0.bool) })
            if isAbstract, let bv = s as? Solver {
                let m = try bv.model()
                lastViolated = try obligations.filter { try m.value($0.violated) }.map(\.text)
            }
        }
        if case .unknown(let reason) = r, reason.contains("resource") {
            return .unknown(reason: "resource limit")
        }
        return r
    }

    func equals(_ i: Int, _ v: UInt64) -> SBool {
        let input = inputs[i]
        if let b = input.bool { return v != 0 ? b : !b }
        return input.bv!.eq(context.bv(v, width: input.width))
    }

    var firstCheckSeconds = 0.0

    /// When the session started deciding (for the time to the first counterexample).
    var started = ContinuousClock.now

    /// Z3's verdict — or, where it is unknown and Bitwuzla gave a model that replays, that model as
    /// the counterexample: Bitwuzla never changes a verdict or a counterexample Z3 gives, it only
    /// turns an unknown into a refutation.
    func decide() throws -> Verdict {
        let v = try decideWithZ3()
        guard case .unknown = v, let model = fallbackModel, !canceled else { return v }
        let r = try refute(model)
        if case .counterexample = r { bitwuzlaModels = 1 }
        return r
    }

    private func decideWithZ3() throws -> Verdict {
        let clock = ContinuousClock()
        let start = clock.now
        started = start
        if let found = try concreteSearch() {
            firstCheckSeconds = (clock.now - start).seconds
            return found
        }
        // A query that does not finish quickly may be split on an input with few possible values.
        let splittable = !splitCandidates.isEmpty
        // `both`: one obligation at a time from the start (a whole query that mixes order facts
        // and masks is what neither engine decides quickly).
        if options.arithmetic == .both && obligations.filter({ $0.violated.literal != false }).count > 1 {
            let v = try decideObligations()
            firstCheckSeconds = (clock.now - start).seconds
            if case .unknown = v, !budget.exhausted, let split = try splitInput() {
                return try decideCases(input: split.input, values: split.values)
            }
            return v
        }
        var first = try check([violation], share: splittable ? .probe : .rest)
        firstCheckSeconds = (clock.now - start).seconds
        if case .unknown = first, !budget.exhausted {
            if let split = try splitInput() {
                return try decideCases(input: split.input, values: split.values)
            }
            first = try check([violation])
        }
        switch first {
        case .unsat:
            return try proved()
        case .unknown(let reason):
            return .unknown(reason: reason)
        case .sat:
            return try refute(lastModel)
        }
    }

    /// Layout bugs that bit-blasting takes long to reach (a solver model must get many VMAs and a
    /// search through them right) a concrete search often hits at once: the fuzzer, with the
    /// property's own layout bound and loop bound, a fixed seed and run count. Its failing case is
    /// replayed by the session's runner like a solver's model, so the counterexample is as sound;
    /// nothing found leaves the decision to the solver.
    func concreteSearch() throws -> Verdict? {
        guard let r = try presearch ?? Self.search(property, in: program, options: options, vmas: vmaSlots) else { return nil }
        assumptionsWitnessed = r.stats.runs > r.stats.vacuous
        guard let c = r.failing, property.anyLayout || c.layout.vmas.count <= vmaSlots else { return nil }
        if property.anyLayout {
            // The abstract layout's inputs are the VMAs a symbolic run saw: the case is reported as found.
            guard let cex = try runner.counterexample(c, relevant: Array(repeating: true, count: parameterCount)) else { return nil }
            concreteSearchRuns = r.stats.runs
            options.onFirstCounterexample?(property.name, (ContinuousClock.now - started).seconds)
            return .counterexample(cex)
        }
        // As the solver's model, so that it is minimised, marked for relevance and replayed the same way.
        let verdict = try refute(modelValues(c), shrunk: true)
        if case .counterexample = verdict { concreteSearchRuns = r.stats.runs }
        return verdict
    }

    /// The concrete search's campaign (nil: none for this property). `Prover.run` makes it before
    /// the symbolic run, so that a layout bug it finds does not wait for the pruning of infeasible
    /// calls, which a query only used to polish that case does not need.
    static func search(_ property: Property, in program: Program, options: ProverOptions, vmas: Int) throws -> FuzzResult? {
        guard options.concreteSearchRuns > 0, property.anyLayout || vmas > 0 else { return nil }
        var o = FuzzOptions()
        o.runs = options.concreteSearchRuns
        // Compiled (`ConcreteRunner.compileRepays`): with tcc the search runs native after a few
        // milliseconds, with only `cc -O0` after half a second, the evaluator until then. The runs
        // are the same either way, so the verdict does not depend on it.
        o.optimisedBuild = false
        o.maxVMAs = property.anyLayout ? nil : vmas
        o.shrinkBudget = 2000
        let started = ContinuousClock.now
        let r = try Fuzzer(program: program, property: property, config: options.config, options: o).run()
        traceLine("[search] \(property.name) \(r.stats.runs) runs \(r.compiled ? "compiled" : "interpreted (\(r.interpretedBecause ?? ""))")\(r.failing != nil ? ", failing" : "") \(String(format: "%.3f", (ContinuousClock.now - started).seconds))s")
        return r
    }

    /// One obligation at a time, each with an equal share of what is left: the order facts of one
    /// go to the linear engine, the masks of another to bit-blasting (`Arithmetic.both`). Proved
    /// when every obligation is; refuted by the first with a model.
    func decideObligations() throws -> Verdict {
        var open = obligations.filter { $0.violated.literal != false }
        let settled = try proveRelaxedSideBySide(open)
        open = open.indices.filter { !settled.contains($0) }.map { open[$0] }
        // First an equal share each, so that one hard obligation cannot starve the others (which
        // may be refuted quickly); the ones that ran out are then tried again with what is left.
        var deferred: [(obligation: (text: String, violated: SBool), reason: String)] = []
        for pass in 0..<2 {
            while !open.isEmpty {
                let o = open.removeFirst()
                Self.traceLine("[obligation] \(property.name) \(o.text)")
                let left = Double(open.count + 1)
                budget.startPhase(seconds: budget.remainingSeconds / left, units: (budget.remainingResources ?? 0) / UInt64(left))
                let r = try check([o.violated])
                budget.endPhase()
                switch r {
                case .unsat: continue
                case .sat: return try refute(lastModel)
                case .unknown(let reason): deferred.append((o, reason))
                }
                if budget.exhausted { break }
            }
            if deferred.isEmpty { return try proved() }
            if pass == 1 || budget.exhausted { break }
            open = deferred.map(\.obligation)
            deferred = []
        }
        let first = deferred[0]
        return .unknown(reason: "\(first.reason) (obligation \(first.obligation.text))")
    }

    /// The violation is unsatisfiable: proved — vacuously when the assumptions cannot hold at all
    /// (unsatisfiable assumptions prove anything; say so).
    func proved() throws -> Verdict {
        if assumptionsWitnessed { return .proved(vacuous: false) }
        let alone = try check([])
        if case .unknown(let reason) = alone { return .unknown(reason: "proved, but whether the assumptions can hold at all is unknown (\(reason))") }
        return .proved(vacuous: alone == .unsat)
    }

    /// A satisfying model → replayed at once (so a counterexample exists whatever happens next),
    /// then minimised and relevance-marked within a share of the budget, replayed again. A case the
    /// concrete search has already shrunk gets a smaller floor in seconds: the solver only polishes
    /// it, and its verdict should come soon after it was found.
    func refute(_ model: [UInt64], shrunk: Bool = false) throws -> Verdict {
        // The fast concrete run first; the descriptive replay (or the engine-bug report) only once.
        guard try runner.run(testCase(model)).isFailure else {
            return try replay(model, relevant: Array(repeating: true, count: parameterCount))
        }
        let found = (ContinuousClock.now - started).seconds
        options.onFirstCounterexample?(property.name, found)
        // Counted in units (reports, --check-expectations) the floor stays: the same minimal values
        // on every machine matter more there than a second.
        budget.startPhase(seconds: max(shrunk ? 0.25 : 1, options.minimizationShare * found),
                          units: max(Budget.shortCheckUnits, UInt64(options.minimizationShare * Double(budget.used))))
        defer { budget.endPhase() }
        let values = try minimize(model)
        let relevant = try relevance(values)
        let small = try replay(values, relevant: relevant)
        if case .counterexample = small { return small }
        return try replay(model, relevant: Array(repeating: true, count: parameterCount))
    }

    /// The inputs a query may be split on, with the most values each may have: a `struct file *`
    /// (the models dispatch on its kind; pinning one selects one provider, which makes each case far
    /// smaller than the whole) up to 8; with the integer arithmetic also an `int` (an order or a
    /// shift: pinned, its masks become constants, which the integer form needs) up to 32. For
    /// bit-blasting alone, splitting on a number (measured: `align_order`) only multiplies the work.
    var splitCandidates: [(input: Int, most: Int)] {
        let files = (0..<parameterCount).filter { inputs[$0].type == .pointer(.file) && !isFixed($0) }.map { ($0, 8) }
        guard engines.contains(where: { $0.engine == .integer }) else { return files }
        let ints = (0..<parameterCount).filter { inputs[$0].bv != nil && inputs[$0].width <= 32 && inputs[$0].type.isInteger && !isFixed($0) }.map { ($0, 32) }
        return files + ints
    }

    /// An input an assumption fixes (a contract's `requires !filp`) has one value: no cases, and a
    /// first check with a probe's share would only delay the one that decides.
    func isFixed(_ i: Int) -> Bool {
        guard let x = inputs[i].bv else { return false }
        return assumptions.contains { $0.fixes(x) }
    }

    /// The first candidate input (`splitCandidates`) that the assumptions allow at most that many
    /// values, with those values, found by asking the solver for one more value until it says
    /// there is none (so the cases are complete: sound by construction).
    func splitInput() throws -> (input: Int, values: [UInt64])? {
        for (i, most) in splitCandidates {
            var values: [UInt64] = []
            var complete = false
            while values.count <= most {
                let r = try check(values.map { !equals(i, $0) }, share: .quick)
                if r == .unsat { complete = true; break }
                guard r == .sat else { break }
                values.append(lastModel[i])
            }
            if complete && values.count >= 2 { return (i, values.sorted()) }
            if budget.exhausted { return nil }
        }
        return nil
    }

    /// Decides the query one value of `input` at a time: proved when every case is, refuted by the
    /// first case with a model.
    func decideCases(input: Int, values: [UInt64]) throws -> Verdict {
        let name = inputs[input].name
        caseSplit = "\(name) ∈ {\(values.map { "0x" + String($0, radix: 16) }.joined(separator: ", "))}"
        for v in values {
            pinned = (input, v)
            switch try check([violation]) {
            case .unsat: continue
            case .unknown(let reason): return .unknown(reason: "\(reason) in the case \(name) = 0x\(String(v, radix: 16))")
            case .sat: return try refute(lastModel)
            }
        }
        pinned = nil
        // Each case was satisfiable without the violation (that is how it was found): not vacuous.
        return .proved(vacuous: false)
    }

    /// Alive2-style: per input, try 0, then binary-search the smallest magnitude that still fails,
    /// within a budget of solver checks. A check that times out keeps the current value; so does
    /// a spent property budget, which ends minimisation with the values found so far.
    func minimize(_ start: [UInt64]) throws -> [UInt64] {
        var values = start
        var budget = options.minimizationBudget
        guard budget > 0 else { return values }
        for i in inputs.indices {
            if self.budget.exhausted { break }
            if pinned?.input == i { continue }
            let fixedOthers = { (vals: [UInt64]) in vals.indices.filter { $0 < i }.map { self.equals($0, vals[$0]) } }
            if values[i] == 0 || budget <= 0 { continue }
            budget -= 1
            if try check(fixedOthers(values) + [equals(i, 0)], share: .quick, incremental: true) == .sat {
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
                let r = try check(fixedOthers(values) + [within((UInt64(1) << UInt64(midBits)) - 1)], share: .quick, incremental: true)
                if r == .sat { values = lastModel; highBits = min(midBits, 64 - magnitude(values[i]).leadingZeroBitCount) }
                else if r == .unsat { lowBits = midBits }
                else { perInput = 0 }
            }
            var hi = magnitude(values[i])
            var lo: UInt64 = highBits > 0 ? (UInt64(1) << UInt64(highBits - 1)) - 1 : 0
            while hi > lo + 1 && budget > 0 && perInput > 0 {
                budget -= 1; perInput -= 1
                let mid = lo + (hi - lo) / 2
                switch try check(fixedOthers(values) + [within(mid)], share: .quick, incremental: true) {
                case .sat: values = lastModel; hi = min(mid, magnitude(values[i]))
                case .unsat: lo = mid
                case .unknown: perInput = 0
                }
            }
            // Make sure the final assignment is a model with this input at its smallest value found.
            if try check(fixedOthers(values) + [equals(i, values[i])], share: .quick, incremental: true) == .sat {
                values = lastModel
            }
        }
        return values
    }

    /// An input is irrelevant when, the others fixed, no value of it avoids the failure and another
    /// value fails too. Without budget left an input counts as relevant (the cautious answer).
    func relevance(_ values: [UInt64]) throws -> [Bool] {
        var out: [Bool] = []
        for i in 0..<parameterCount {
            let others = values.indices.filter { $0 != i }.map { equals($0, values[$0]) }
            let r = try check(others + [!violation], share: .quick, pin: pinned?.input != i)
            if r != .unsat { out.append(true); continue }
            // No value avoids the failure; "any value" only if another value fails too (an input
            // pinned by the assumptions matters).
            let another = try check(others + [violation, !equals(i, values[i])], share: .quick, pin: pinned?.input != i)
            out.append(another != .sat)
        }
        return out
    }

    /// Runs the concrete domain on the values (the same `ConcreteRunner` the fuzzer, model checker
    /// and `replay` use); only a replayed failure is a counterexample.
    func replay(_ values: [UInt64], relevant: [Bool]) throws -> Verdict {
        let runner = try self.runner
        let c = testCase(values)
        let rendered = zip(inputs.prefix(parameterCount), values).map { "\($0.name)=0x\(String($1, radix: 16))" }.joined(separator: " ")
        guard var cex = runner.counterexample(c, relevant: relevant) else {
            if isAbstract {
                spurious = true
                // The abstract layout allows answers no real layout gives (a search that skips a
                // lower fit, or fails with room): this model is one of them.
                let what = lastViolated.isEmpty ? "" : "; the model breaks \(lastViolated.joined(separator: "; "))"
                let contract = usesContracts ? ", or a result only a contract allows" : ""
                return .unknown(reason: "the prover's model over the abstract layout does not replay on the layout of its \(c.layout.vmas.count) VMAs (a search answer no real layout gives, or a loop state no run reaches\(contract))\(what): neither proved nor refuted for every layout")
            }
            if runner.run(c) == .vacuous {
                return .internalError("the solver's model (\(rendered)) violates an assumption when replayed concretely")
            }
            return .internalError("the solver's model (\(rendered)) does not violate the property when replayed concretely")
        }
        if vmaSlots == 0 { cex.layout = nil }
        return .counterexample(cex)
    }

    /// The concrete runner of the property, built once per session (replays share it).
    private var builtRunner: ConcreteRunner?
    var runner: ConcreteRunner {
        get throws {
            if let r = builtRunner { return r }
            // For `layout any` the runner lifts the bound itself (`ConcreteRunner.anyLayoutUnwind`).
            let r = try ConcreteRunner(program: program, property: property, config: options.config, unwind: unwind)
            builtRunner = r
            return r
        }
    }

    /// A model's values as a concrete case: the parameters and the present VMAs.
    func testCase(_ values: [UInt64]) -> TestCase {
        TestCase(values: Array(values.prefix(parameterCount)), layout: concreteLayout(values))
    }

    /// A concrete case as a model's values: the inverse of `testCase` (the parameters, then the
    /// layout's slots by name, present ones first and in address order).
    func modelValues(_ c: TestCase) -> [UInt64] {
        var byName: [String: UInt64] = [:]
        for (i, v) in c.layout.vmas.sorted(by: { $0.start < $1.start }).enumerated() {
            for (field, value) in [("present", 1), ("start", v.start), ("end", v.end), ("flags", v.flags), ("pgoff", v.pgoff)] {
                byName["vma\(i).\(field)"] = value
            }
        }
        return inputs.enumerated().map { i, input in
            i < parameterCount ? (i < c.values.count ? c.values[i] : 0) : byName[input.name] ?? 0
        }
    }

    /// The present VMAs of the model's layout.
    func concreteLayout(_ values: [UInt64]) -> Layout {
        var byName: [String: UInt64] = [:]
        for (i, input) in inputs.enumerated() where input.isLayout { byName[input.name] = values[i] }
        var vmas: [VMA] = []
        for i in 0..<vmaSlots where byName["vma\(i).present"] == 1 {
            let v = VMA(start: byName["vma\(i).start"] ?? 0, end: byName["vma\(i).end"] ?? 0,
                        flags: byName["vma\(i).flags"] ?? 0, pgoff: byName["vma\(i).pgoff"] ?? 0)
            // The abstract layout may see one VMA several times.
            if !vmas.contains(where: { $0.start == v.start && $0.end == v.end }) { vmas.append(v) }
        }
        return Layout(vmas: vmas.sorted { $0.start < $1.start })
    }
}

import KernelC
import Placement

/// Errors that stop an evaluation (not property violations).
public struct EvaluationError: Error, CustomStringConvertible, Sendable {
    public var message: String
    public var location: SourceLocation
    public var description: String { "\(location): \(message)" }
    public init(message: String, location: SourceLocation) {
        self.message = message
        self.location = location
    }
}

/// The one interpreter of the kernel-C subset, generic over the value domain.
///
/// Control flow is *guarded*: every statement runs under a guard (the condition for reaching it).
/// Stores are `ite(guard, new, old)`, `return`/`goto`/`break` move the guard to where control goes,
/// and labels add the guards of the gotos that reach them. In the concrete domain guards are plain
/// booleans and a false guard skips the statement, so this is ordinary execution; in the symbolic
/// domain it merges all paths into one term per variable.
public final class Evaluator<D: Domain> {
    public let program: Program
    public let domain: D
    public let unwind: Int
    /// The configuration's values, by `Expr.Kind.config` index.
    public let configValues: [Value<D>]
    public private(set) var trace = Trace<D>()
    /// Locals of the frame where the first definitely-failing obligation was met (concrete runs).
    public private(set) var failureLocals: [(String, Value<D>)]?
    /// The layout the layout primitives query (empty when nil).
    public var space: (any AddressSpace<D>)?
    /// The VMAs this run's `insert_vma` calls added on top of `space`, each present where its path went on.
    var inserted: [VMASlot<D>] = []
    /// Branch coverage of concrete runs (the fuzzer's feedback); nil costs nothing.
    public var coverage: CoverageMap?
    /// Fresh arbitrary words and truths (each call a new one), for the prover's one-iteration rule
    /// of loops with an invariant: set, such a loop runs its body once from arbitrary values of
    /// what it changes (`inductiveLoop`, values built by `arbitrary`).
    public struct Havoc {
        public var word: (Int) -> D.Word
        public var truth: () -> D.Truth
        public init(word: @escaping (Int) -> D.Word, truth: @escaping () -> D.Truth) {
            self.word = word
            self.truth = truth
        }
    }
    public var havoc: Havoc?
    /// Whether loops with an invariant run by induction when `havoc` is set (`inductiveLoop`);
    /// off, they are unwound like the others — with the unwinding check, so a proof still covers
    /// every run (a `layout any` property with its own `unwind N`: what a first pass finds is then
    /// known exactly, which the one arbitrary iteration of the induction forgets).
    public var inductiveLoops = true
    /// Whether an invariant is an obligation where no proof rests on it (an unwound loop). On for
    /// the concrete engines, where checking the annotation at every pass costs next to nothing;
    /// off for the prover, where it is one more query, about the model's annotation rather than
    /// the property (it is still asked wherever the induction uses it).
    public var checksUnusedInvariants = true
    /// The paths that went back to the test of a loop run by induction: another iteration covers
    /// them, so nothing after the loop is asked of them (their return values are made up).
    var halted: D.Truth?
    /// The prover's pruning of infeasible paths: asked, before a call to one of `prunedCallees`,
    /// whether the call's path condition can hold together with the assumptions so far (a solver
    /// check). When it cannot, the call is skipped and its path ends there (as at `assume(false)`):
    /// everything it and the rest of the path would do — obligations, effects, its result — is
    /// under a guard no execution meets. Unknown must answer false.
    public var infeasible: ((Function, D.Truth, [D.Truth]) -> Bool)?
    /// The prover's assume-guarantee (`Contract`), by function index: with `havoc` set, a call to
    /// one of these obliges its `requires`, returns a fresh value and assumes its `ensures` of it.
    /// The prover sets it only once the contract's obligation is proved.
    public var contracted: [Int: Contract] = [:]
    /// The path condition of the layout question being asked (`AbstractAddressSpace.excluded`
    /// weighs the values merged into the address it is asked about against it), kept only when
    /// `recordsQuestionGuard` (the prover over every layout; not the concrete runs).
    public private(set) var questionGuard: D.Truth?
    public var recordsQuestionGuard = false
    /// The callees worth a check (`CallGraph.costlyIndices`: window searches and loops).
    public var prunedCallees: Set<Int> = []
    /// Asserts of `&&`/`||` become one obligation per part (`assertParts`); the prover sets it
    /// when it decides obligations one at a time (`Arithmetic.both`).
    public var splitAssertions = false
    /// When set, the calls the property makes directly (its placement requests) are recorded.
    public var recordCalls = false
    /// Concrete fast path: stop a run at the first assumption that is definitely false (the run is
    /// vacuous whatever follows). Off for replays that describe a run, and never in the prover.
    public var stopAtFalseAssumption = false
    /// Set when a run stopped that way.
    public private(set) var stoppedVacuous = false
    /// The property's direct calls in the last run: callee, argument values, result.
    public private(set) var calls: [(function: String, arguments: [Value<D>], result: Value<D>?)] = []

    struct Frame {
        var function: Function
        var slots: [Value<D>]
        /// The condition under which the function was entered. Statements run under a guard relative
        /// to it (locals are invisible outside the call), so it only joins assumptions and obligations.
        var entry: D.Truth
        var guardValue: D.Truth
        var returnValue: Value<D>?
        var labels: [D.Truth]
        var breaks: [D.Truth] = []
        var continues: [D.Truth] = []
        /// The property's own frame (its direct calls are the ones `recordCalls` keeps).
        var isProperty = false
    }

    public init(program: Program, config: Config, domain: D, unwind: Int) throws {
        self.program = program
        self.domain = domain
        self.unwind = unwind
        var values: [Value<D>] = []
        for (name, type) in zip(program.configNames, program.configTypes) {
            guard let v = config.value(name) else {
                throw EvaluationError(message: "config '\(config.name)' does not define '\(name)'", location: .unknown)
            }
            switch type {
            case .bool: values.append(.truth(domain.truth(v != 0)))
            case .pointer: values.append(.word(domain.constant(v, bits: program.dataModel.longBits)))
            default: values.append(.word(domain.constant(v, bits: type.bits)))
            }
        }
        configValues = values
    }

    /// Runs a property with the given inputs (one per parameter) and returns its trace.
    public func run(_ property: Property, inputs: [Value<D>]) -> Trace<D> { runProperty(property, inputs) }

    /// Calls a spec function directly (tests, cross-validation, `live`).
    public func call(_ function: Function, arguments: [Value<D>]) -> (Value<D>?, Trace<D>) { callFunction(function, arguments) }

    func runProperty(_ property: Property, _ inputs: [Value<D>]) -> Trace<D> {
        trace = Trace()
        failureLocals = nil
        stoppedVacuous = false
        halted = nil
        inserted.removeAll()
        if recordCalls { calls.removeAll(keepingCapacity: true) }
        var frame = makeFrame(property.function, arguments: inputs, guardValue: domain.truth(true))
        frame.isProperty = true
        exec(property.function.body, &frame)
        return trace
    }

    func callFunction(_ function: Function, _ arguments: [Value<D>]) -> (Value<D>?, Trace<D>) {
        trace = Trace()
        failureLocals = nil
        stoppedVacuous = false
        halted = nil
        inserted.removeAll()
        var frame = makeFrame(function, arguments: arguments, guardValue: domain.truth(true))
        exec(function.body, &frame)
        finish(&frame)
        return (frame.returnValue, trace)
    }

    func makeFrame(_ f: Function, arguments: [Value<D>], guardValue: D.Truth) -> Frame {
        var slots = f.slotTypes.map { zero($0) }
        for (i, a) in arguments.enumerated() where i < slots.count { slots[i] = a }
        let ret: Value<D>? = f.returnType == .void ? nil : zero(f.returnType)
        return Frame(function: f, slots: slots, entry: guardValue, guardValue: domain.truth(true), returnValue: ret,
                     labels: Array(repeating: domain.truth(false), count: f.labelNames.count))
    }

    /// On the concrete hot path (every frame): no closures.
    public func zero(_ t: CType) -> Value<D> {
        switch t {
        case .bool: return .truth(domain.truth(false))
        case .record(let tag): return .record(Array(repeating: domain.constant(0, bits: program.dataModel.longBits), count: CTypeNames.structFields[tag]?.count ?? 0))
        case .void: return .word(domain.constant(0, bits: 1))
        default: return .word(domain.constant(0, bits: width(t)))
        }
    }

    /// A value of type `t` made of arbitrary words and truths, shaped as `zero` shapes it.
    func arbitrary(_ t: CType, _ h: Havoc) -> Value<D> {
        switch t {
        case .bool: return .truth(h.truth())
        case .record(let tag): return .record((0..<(CTypeNames.structFields[tag]?.count ?? 0)).map { _ in h.word(program.dataModel.longBits) })
        case .void: return .word(h.word(1))
        default: return .word(h.word(width(t)))
        }
    }

    func isDead(_ g: D.Truth) -> Bool { domain.literal(g) == false }

    // MARK: - Obligations

    /// `text` is only built when the obligation can fail (it is on the concrete hot path).
    func oblige(_ kind: Obligation<D>.Kind, _ relativeViolation: D.Truth, _ location: SourceLocation,
                _ text: @autoclosure () -> String, _ frame: Frame) {
        if domain.literal(relativeViolation) == false { return }
        var violated = domain.and(frame.entry, relativeViolation)
        if let halted { violated = domain.and(violated, domain.not(halted)) }
        if domain.literal(violated) == false { return }
        trace.obligations.append(Obligation(kind: kind, location: location, text: text(), violated: violated))
        if failureLocals == nil, domain.literal(violated) == true {
            failureLocals = zip(frame.function.slotNames, frame.slots).map { ($0, $1) }
        }
    }

    // MARK: - Statements

    func exec(_ s: Stmt, _ f: inout Frame) {
        if stoppedVacuous { return }
        if case .label(let l) = s {
            f.guardValue = domain.or(f.guardValue, f.labels[l])
            f.labels[l] = domain.truth(false)
            return
        }
        // Dead code is skipped unless a pending goto may still land in it.
        if isDead(f.guardValue) && !f.labels.contains(where: { !isDead($0) }) { return }
        switch s {
        case .expr(let e):
            _ = eval(e, &f)
        case .declare(let slot, let initial):
            let v = initial.map { eval($0, &f) } ?? zero(f.function.slotTypes[slot])
            store(.local(slot), v, &f)
        case .block(let items):
            for x in items { exec(x, &f) }
        case .ifElse(let c, let a, let b):
            let g0 = f.guardValue
            let cond = truth(eval(c, &f))
            if let coverage, let taken = domain.literal(cond), domain.literal(g0) == true { coverage.hit(c.location, taken ? 1 : 0) }
            f.guardValue = domain.and(g0, cond)
            exec(a, &f)
            let afterThen = f.guardValue
            f.guardValue = domain.and(g0, domain.not(cond))
            if let b { exec(b, &f) }
            f.guardValue = domain.or(afterThen, f.guardValue)
        case .loop(let l):
            loop(l, &f)
        case .returnValue(let e, _):
            if let e, let old = f.returnValue {
                f.returnValue = merge(f.guardValue, eval(e, &f), old, f.function.returnType)
            }
            f.guardValue = domain.truth(false)
        case .goto(let l):
            if let coverage, domain.literal(f.guardValue) == true { coverage.hit(f.function.location, 1000 + l) }
            f.labels[l] = domain.or(f.labels[l], f.guardValue)
            f.guardValue = domain.truth(false)
        case .label:
            break  // handled above
        case .breakLoop:
            f.breaks[f.breaks.count - 1] = domain.or(f.breaks[f.breaks.count - 1], f.guardValue)
            f.guardValue = domain.truth(false)
        case .continueLoop:
            f.continues[f.continues.count - 1] = domain.or(f.continues[f.continues.count - 1], f.guardValue)
            f.guardValue = domain.truth(false)
        case .assume(let c):
            let cond = truth(eval(c, &f))
            let holds = domain.or(domain.not(live(f)), cond)
            trace.assumptions.append(holds)
            if stopAtFalseAssumption && domain.literal(holds) == false { stoppedVacuous = true }
        case .assert(let c, let text, let loc):
            if splitAssertions {
                _ = assertParts(c, text, loc, &f)
            } else {
                let cond = truth(eval(c, &f))
                oblige(.assertion, domain.and(f.guardValue, domain.not(cond)), loc, text, f)
            }
        }
    }

    /// The invariant, where the loop's test is about to run: an obligation on the paths here.
    func checkInvariant(_ l: Loop, _ what: String, _ f: inout Frame) {
        guard let inv = l.invariant, checksUnusedInvariants || isInductive(l), !isDead(f.guardValue) else { return }
        let holds = truth(eval(inv, &f))
        oblige(.invariant, domain.and(f.guardValue, domain.not(holds)), inv.location, "loop invariant \(what)", f)
    }

    /// Whether `l` runs by induction over its invariant rather than unwound.
    func isInductive(_ l: Loop) -> Bool { l.invariant != nil && inductiveLoops && havoc != nil }

    func loop(_ l: Loop, _ f: inout Frame) {
        if isInductive(l), let havoc {
            inductiveLoop(l, havoc, &f)
            return
        }
        var exits = domain.truth(false)
        f.breaks.append(domain.truth(false))
        var iterations = 0
        var first = true
        while !isDead(f.guardValue) && !stoppedVacuous {
            checkInvariant(l, first ? "does not hold on entry" : "is not kept by an iteration", &f)
            if !(first && !l.testFirst), let c = l.condition {
                let cond = truth(eval(c, &f))
                exits = domain.or(exits, domain.and(f.guardValue, domain.not(cond)))
                f.guardValue = domain.and(f.guardValue, cond)
                if isDead(f.guardValue) { break }
            }
            first = false
            if iterations == unwind {
                oblige(.unwinding, f.guardValue, l.location, "loop needs more than \(unwind) iterations (raise 'unwind')", f)
                f.guardValue = domain.truth(false)
                break
            }
            iterations += 1
            if let coverage, let c = l.condition, iterations & (iterations - 1) == 0 { coverage.hit(c.location, 2 + iterations) }
            iterate(l, &f)
        }
        f.guardValue = domain.or(exits, f.breaks.removeLast())
    }

    /// One pass of a loop's body and step; `continue` joins the paths that reach the step.
    func iterate(_ l: Loop, _ f: inout Frame) {
        f.continues.append(domain.truth(false))
        exec(l.body, &f)
        f.guardValue = domain.or(f.guardValue, f.continues.removeLast())
        if let step = l.step, !isDead(f.guardValue) { _ = eval(step, &f) }
    }

    /// The loop as induction over its invariant: it holds on entry (an obligation); from any state
    /// where it holds (what the loop changes made arbitrary, the invariant assumed), one iteration
    /// either leaves the loop — the paths that go on — or comes back to the test, where the
    /// invariant must hold again (an obligation). No unwinding bound: every number of iterations.
    func inductiveLoop(_ l: Loop, _ havoc: Havoc, _ f: inout Frame) {
        checkInvariant(l, "does not hold on entry", &f)
        if isDead(f.guardValue) { return }
        for slot in l.assigned { store(.local(slot), arbitrary(f.function.slotTypes[slot], havoc), &f) }
        let inv = truth(eval(l.invariant!, &f))
        trace.assumptions.append(domain.or(domain.not(live(f)), inv))
        var exits = domain.truth(false)
        if l.testFirst, let c = l.condition {
            let cond = truth(eval(c, &f))
            exits = domain.and(f.guardValue, domain.not(cond))
            f.guardValue = domain.and(f.guardValue, cond)
        }
        f.breaks.append(domain.truth(false))
        iterate(l, &f)
        if !l.testFirst, let c = l.condition, !isDead(f.guardValue) {
            // do-while: the test ends the iteration.
            let cond = truth(eval(c, &f))
            exits = domain.or(exits, domain.and(f.guardValue, domain.not(cond)))
            f.guardValue = domain.and(f.guardValue, cond)
        }
        checkInvariant(l, "is not kept by an iteration", &f)
        halted = domain.or(halted ?? domain.truth(false), domain.and(f.entry, f.guardValue))
        f.guardValue = domain.or(exits, f.breaks.removeLast())
    }

    /// `assert(a && b)` as two obligations (`a`; `b` where `a` holds), `assert(a || b)` as `b`
    /// where `a` fails, recursively: the same violation, in parts that the prover can decide one at
    /// a time with different engines (an order fact and a mask in one assert). Returns the value of
    /// `c`; each operand is evaluated once, under the guard C's short-circuit gives it.
    func assertParts(_ c: Expr, _ text: String, _ loc: SourceLocation, _ f: inout Frame) -> D.Truth {
        switch c.kind {
        case .and(let x, let y):
            let a = assertParts(x, text, loc, &f)
            let saved = f.guardValue
            f.guardValue = domain.and(saved, a)
            let b = isDead(f.guardValue) ? domain.truth(true) : assertParts(y, text, loc, &f)
            f.guardValue = saved
            return domain.and(a, b)
        case .or(let x, let y):
            let a = truth(eval(x, &f))
            let saved = f.guardValue
            f.guardValue = domain.and(saved, domain.not(a))
            let b = isDead(f.guardValue) ? domain.truth(false) : assertParts(y, text, loc, &f)
            f.guardValue = saved
            return domain.or(a, b)
        default:
            let cond = truth(eval(c, &f))
            oblige(.assertion, domain.and(f.guardValue, domain.not(cond)), loc, text, f)
            return cond
        }
    }

    /// The paths that reach here (absolute: the frame's entry and guard), less the halted ones.
    func live(_ f: Frame) -> D.Truth {
        let here = domain.and(f.entry, f.guardValue)
        guard let halted else { return here }
        return domain.and(here, domain.not(halted))
    }

    /// Called when a function body has run: falling off the end of a non-void function is reported.
    func finish(_ f: inout Frame) {
        if f.function.returnType != .void {
            oblige(.missingReturn, f.guardValue, f.function.location, "control reaches the end of non-void function '\(f.function.name)'", f)
        }
    }

    // MARK: - Storage

    /// The width of a scalar type's words (pointers are `long`-sized).
    @inline(__always) public func width(_ t: CType) -> Int {
        switch t {
        case .pointer: return program.dataModel.longBits
        case .int(let b, _): return b
        default: return 1
        }
    }

    /// `ite(g, new, old)` for values of type `t`.
    func merge(_ g: D.Truth, _ new: Value<D>, _ old: Value<D>, _ t: CType) -> Value<D> {
        if let l = domain.literal(g) { return l ? new : old }
        switch (new, old) {
        case (.word(let a), .word(let b)): return .word(domain.ite(g, a, b, bits: width(t)))
        case (.truth(let a), .truth(let b)): return .truth(domain.ite(g, a, b))
        case (.record(let a), .record(let b)):
            return .record(zip(a, b).map { domain.ite(g, $0, $1, bits: program.dataModel.longBits) })
        default: return new
        }
    }

    func read(_ lv: LValue, _ f: Frame) -> Value<D> {
        switch lv {
        case .local(let s): return f.slots[s]
        case .field(let base, let i):
            guard case .record(let fields) = read(base, f) else { return .word(domain.constant(0, bits: program.dataModel.longBits)) }
            return .word(fields[i])
        }
    }

    func store(_ lv: LValue, _ v: Value<D>, _ f: inout Frame) {
        switch lv {
        case .local(let s):
            f.slots[s] = merge(f.guardValue, v, f.slots[s], f.function.slotTypes[s])
        case .field(let base, let i):
            guard case .record(var fields) = read(base, f), case .word(let w) = v else { return }
            fields[i] = domain.ite(f.guardValue, w, fields[i], bits: program.dataModel.longBits)
            store(base, .record(fields), &f)
        }
    }

    // MARK: - Expressions

    func word(_ v: Value<D>) -> D.Word {
        if case .word(let w) = v { return w }
        return domain.constant(0, bits: 1)
    }

    func truth(_ v: Value<D>) -> D.Truth {
        if case .truth(let t) = v { return t }
        return domain.truth(false)
    }

    func eval(_ e: Expr, _ f: inout Frame) -> Value<D> {
        switch e.kind {
        case .constant(let v):
            if case .bool = e.type { return .truth(domain.truth(v != 0)) }
            return .word(domain.constant(v, bits: width(e.type)))
        case .config(let i):
            return configValues[i]
        case .load(let lv):
            return read(lv, f)
        case .unary(let op, let x):
            let a = word(eval(x, &f))
            let bits = width(e.type)
            return .word(op == .neg ? domain.neg(a, bits: bits) : domain.bitNot(a, bits: bits))
        case .binary(let op, let x, let y):
            return .word(binary(op, e, x, y, &f))
        case .compare(let op, let x, let y):
            let a = word(eval(x, &f)), b = word(eval(y, &f))
            let bits = width(x.type), signed = x.type.isSigned
            let lt = { (p: D.Word, q: D.Word) in signed ? self.domain.slt(p, q, bits: bits) : self.domain.ult(p, q, bits: bits) }
            let le = { (p: D.Word, q: D.Word) in signed ? self.domain.sle(p, q, bits: bits) : self.domain.ule(p, q, bits: bits) }
            switch op {
            case .eq: return .truth(domain.eq(a, b, bits: bits))
            case .ne: return .truth(domain.not(domain.eq(a, b, bits: bits)))
            case .lt: return .truth(lt(a, b))
            case .le: return .truth(le(a, b))
            case .gt: return .truth(lt(b, a))
            case .ge: return .truth(le(b, a))
            }
        case .not(let x):
            return .truth(domain.not(truth(eval(x, &f))))
        case .and(let x, let y):
            let a = truth(eval(x, &f))
            if let coverage, let taken = domain.literal(a), domain.literal(f.guardValue) == true { coverage.hit(x.location, taken ? 1 : 0) }
            let b = underGuard(domain.and(f.guardValue, a), y, &f)
            guard let b else { return .truth(a) }
            return .truth(domain.and(a, truth(b)))
        case .or(let x, let y):
            let a = truth(eval(x, &f))
            if let coverage, let taken = domain.literal(a), domain.literal(f.guardValue) == true { coverage.hit(x.location, taken ? 1 : 0) }
            let b = underGuard(domain.and(f.guardValue, domain.not(a)), y, &f)
            guard let b else { return .truth(a) }
            return .truth(domain.or(a, truth(b)))
        case .conditional(let c, let x, let y):
            let cond = truth(eval(c, &f))
            if let coverage, let taken = domain.literal(cond), domain.literal(f.guardValue) == true { coverage.hit(c.location, taken ? 1 : 0) }
            let a = underGuard(domain.and(f.guardValue, cond), x, &f)
            let b = underGuard(domain.and(f.guardValue, domain.not(cond)), y, &f)
            switch (a, b) {
            case (let a?, let b?): return merge(cond, a, b, e.type)
            case (let a?, nil): return a
            case (nil, let b?): return b
            default: return zero(e.type)
            }
        case .convert(let x):
            return convert(eval(x, &f), from: x.type, to: e.type)
        case .assign(let lv, let x):
            let v = eval(x, &f)
            store(lv, v, &f)
            return v
        case .postUpdate(let lv, let updated):
            let old = read(lv, f)
            store(lv, eval(updated, &f), &f)
            return old
        case .sequence(let x, let y):
            _ = eval(x, &f)
            return eval(y, &f)
        case .call(let index, let args):
            return call(index, args, e, &f)
        case .layout(let q, let args, let out):
            return layout(q, args, out, e.location, &f)
        }
    }

    /// The layout the current run sees: `space` with this run's insertions on top.
    var currentSpace: any AddressSpace<D> {
        InsertedAddressSpace.stacked(space, inserted, domain: domain, bits: program.dataModel.longBits)
    }

    /// `insert_vma(mm, start, end, vm_flags, pgoff)`: obliges `[start, end)` to be non-empty and free,
    /// then adds it to the layout where the path that inserts it goes on.
    func insert(_ v: [D.Word], in space: any AddressSpace<D>, _ location: SourceLocation, _ f: inout Frame) -> Value<D> {
        let ok = InsertedAddressSpace.fits(start: v[0], end: v[1], in: space, domain: domain, bits: program.dataModel.longBits)
        oblige(.insertion, domain.and(f.guardValue, domain.not(ok)), location, "insert_vma: [start, end) must be non-empty and free", f)
        let present = domain.and(live(f), ok)
        if domain.literal(present) != false {
            inserted.append(VMASlot(present: present, start: v[0], end: v[1], flags: v[2], pgoff: v[3]))
        }
        // A step of the property's sequence, shown with its requests.
        if recordCalls && f.isProperty { calls.append(("insert_vma", v.map { .word($0) }, nil)) }
        return .word(domain.constant(0, bits: 1))
    }

    func layout(_ q: LayoutQuery, _ args: [Expr], _ out: LValue?, _ location: SourceLocation, _ f: inout Frame) -> Value<D> {
        let values = args.map { word(eval($0, &f)) }
        if recordsQuestionGuard { questionGuard = live(f) }
        let space = currentSpace
        switch q {
        case .insert:
            return insert(values, in: space, location, &f)
        case .findVMA:
            return .word(space.findVMA(values[0]))
        case .findVMAPrev:
            if let out { store(out, .word(space.vmaBefore(values[0])), &f) }
            return .word(space.findVMA(values[0]))
        case .field(let field):
            return .word(space.field(values[0], field))
        case .areaLowest, .areaHighest:
            let r: (ok: D.Truth, value: D.Word) = q == .areaLowest ? { let x = space.areaLowest(low: values[0], high: values[1], size: values[2]); return (x.ok, x.start) }()
                : { let x = space.areaHighest(low: values[0], high: values[1], size: values[2]); return (x.ok, x.end) }()
            if let out { store(out, .word(r.value), &f) }
            let ok = r.ok
            let enomem = domain.constant(UInt64(bitPattern: -12), bits: program.dataModel.intBits)
            return .word(domain.ite(ok, domain.constant(0, bits: program.dataModel.intBits), enomem, bits: program.dataModel.intBits))
        }
    }

    /// Evaluates `e` with the guard narrowed to `g`; nil when `g` is definitely false.
    func underGuard(_ g: D.Truth, _ e: Expr, _ f: inout Frame) -> Value<D>? {
        if isDead(g) { return nil }
        let saved = f.guardValue
        f.guardValue = g
        let v = eval(e, &f)
        f.guardValue = saved
        return v
    }

    func binary(_ op: BinaryOp, _ e: Expr, _ x: Expr, _ y: Expr, _ f: inout Frame) -> D.Word {
        let a = word(eval(x, &f))
        var b = word(eval(y, &f))
        let bits = width(e.type), signed = e.type.isSigned
        switch op {
        case .add: return domain.add(a, b, bits: bits)
        case .sub: return domain.sub(a, b, bits: bits)
        case .mul: return domain.mul(a, b, bits: bits)
        case .and: return domain.and(a, b, bits: bits)
        case .or: return domain.or(a, b, bits: bits)
        case .xor: return domain.xor(a, b, bits: bits)
        case .div, .rem:
            let isZero = domain.eq(b, domain.constant(0, bits: bits), bits: bits)
            oblige(.divisionByZero, domain.and(f.guardValue, isZero), e.location, "division by zero", f)
            if op == .div { return signed ? domain.sdiv(a, b, bits: bits) : domain.udiv(a, b, bits: bits) }
            return signed ? domain.srem(a, b, bits: bits) : domain.urem(a, b, bits: bits)
        case .shl, .shr:
            // C: a count that is negative or ≥ the width is undefined. The count is compared as
            // unsigned in its own width (a negative count is huge), then brought to the value's width.
            let cb = width(y.type)
            let limit = domain.constant(UInt64(bits), bits: cb)
            let outOfRange = cb >= 64 || UInt64(bits) < (UInt64(1) << UInt64(cb))
                ? domain.not(domain.ult(b, limit, bits: cb)) : domain.truth(false)
            oblige(.shiftRange, domain.and(f.guardValue, outOfRange), e.location, "shift count out of range for a \(bits)-bit value", f)
            if cb < bits {
                b = domain.zeroExtend(b, from: cb, to: bits)
            } else if cb > bits {
                b = domain.ite(outOfRange, domain.constant(UInt64(bits), bits: bits), domain.truncate(b, from: cb, to: bits), bits: bits)
            }
            if op == .shl { return domain.shl(a, b, bits: bits) }
            return x.type.isSigned ? domain.ashr(a, b, bits: bits) : domain.lshr(a, b, bits: bits)
        }
    }

    func convert(_ v: Value<D>, from: CType, to: CType) -> Value<D> {
        let toBits = width(to)
        switch (v, from) {
        case (.truth(let t), _):
            if case .bool = to { return v }
            return .word(domain.ite(t, domain.constant(1, bits: toBits), domain.constant(0, bits: toBits), bits: toBits))
        case (.word(let w), _):
            let fromBits = width(from), targetBits = toBits
            if targetBits == fromBits { return v }
            if targetBits < fromBits { return .word(domain.truncate(w, from: fromBits, to: targetBits)) }
            return .word(from.isSigned ? domain.signExtend(w, from: fromBits, to: targetBits) : domain.zeroExtend(w, from: fromBits, to: targetBits))
        default:
            return v
        }
    }

    func call(_ index: Int, _ args: [Argument], _ e: Expr, _ f: inout Frame) -> Value<D> {
        let callee = program.functions[index]
        if isDead(f.guardValue) { return zero(e.type) }
        // A call on every path through its caller is as feasible as the caller's own call, which
        // was asked about when the caller is a costly callee too (callers of costly calls are).
        if let infeasible, prunedCallees.contains(index), domain.literal(f.guardValue) != true,
           infeasible(callee, domain.and(f.entry, f.guardValue), trace.assumptions) {
            // No execution takes this path (shown just now, from assumptions the query keeps): it
            // ends here as at an `assume(false)`, so nothing after the call on it reaches the
            // query — not its made-up result merged into the caller's, whose obligations the
            // solver would otherwise have to discharge by finding the path dead again.
            f.guardValue = domain.truth(false)
            return zero(e.type)
        }
        var values: [Value<D>] = []
        for a in args {
            switch a {
            case .value(let x): values.append(eval(x, &f))
            case .reference(let lv): values.append(read(lv, f))
            }
        }
        if !contracted.isEmpty, let contract = contracted[index], let havoc {
            return callByContract(contract, values, e.location, &f, havoc)
        }
        let frame = run(callee, values, under: f)
        // Copy struct arguments back (pass by reference).
        for (i, a) in args.enumerated() {
            if case .reference(let lv) = a { store(lv, frame.slots[i], &f) }
        }
        if recordCalls && f.isProperty { calls.append((callee.name, values, frame.returnValue)) }
        return frame.returnValue ?? zero(e.type)
    }
}

extension Evaluator {
    /// A call replaced by its contract: `requires` of the arguments is an obligation, the result
    /// is arbitrary and `ensures` of it an assumption. Structs passed by reference are not copied
    /// back: the contract's obligation proves the function leaves them unchanged.
    func callByContract(_ c: Contract, _ values: [Value<D>], _ location: SourceLocation, _ f: inout Frame, _ h: Havoc) -> Value<D> {
        for (i, r) in c.requires.enumerated() {
            let holds = truth(invoke(r, values, under: f))
            oblige(.precondition, domain.and(f.guardValue, domain.not(holds)), location, "\(c.name)'s contract, requires #\(i + 1)", f)
        }
        let result = arbitrary(program.functions[c.function].returnType, h)
        for e in c.ensures {
            trace.assumptions.append(domain.or(domain.not(live(f)), truth(invoke(e, values + [result], under: f))))
        }
        return result
    }

    /// Runs a function under the caller's path and returns its result.
    func invoke(_ index: Int, _ values: [Value<D>], under f: Frame) -> Value<D> {
        let callee = program.functions[index]
        return run(callee, values, under: f).returnValue ?? zero(callee.returnType)
    }

    /// A callee's frame after its body ran under the caller's path: every call goes through here.
    func run(_ callee: Function, _ values: [Value<D>], under f: Frame) -> Frame {
        var frame = makeFrame(callee, arguments: values, guardValue: domain.and(f.entry, f.guardValue))
        exec(callee.body, &frame)
        finish(&frame)
        return frame
    }
}

/// Entry points for the concrete domain. Callers in other modules would otherwise run the generic
/// interpreter unspecialised (half the time went to generic metadata lookups); here the whole call
/// tree is compiled for `ConcreteDomain`. Swift prefers these to the generic ones.
extension Evaluator where D == ConcreteDomain {
    /// A value of type `t` from its bit pattern (the concrete engines' inputs): a truth for `bool`,
    /// else the word masked to the type's width.
    public func value(bits: UInt64, of t: CType) -> Value<ConcreteDomain> {
        t == .bool ? .truth(bits != 0) : .word(bits & ConcreteDomain.mask(width(t)))
    }

    /// Evaluates one expression of `function` with the given slot values (the model checker's
    /// pruning of inputs by the property's leading assumptions).
    public func evaluate(_ e: Expr, in function: Function, arguments: [Value<ConcreteDomain>]) -> Value<ConcreteDomain> {
        var frame = makeFrame(function, arguments: arguments, guardValue: domain.truth(true))
        return eval(e, &frame)
    }

    /// Whether every condition holds in one frame of `function` with these arguments, after the
    /// given locals are computed in order (the leading assumptions and locals of a property: the
    /// fuzzer and the model checker test them before a run).
    public func allHold(_ conditions: [Expr], locals: [(slot: Int, value: Expr)], in function: Function, arguments: [Value<ConcreteDomain>]) -> Bool {
        var frame = makeFrame(function, arguments: arguments, guardValue: domain.truth(true))
        for l in locals { frame.slots[l.slot] = eval(l.value, &frame) }
        for c in conditions {
            guard case .truth(true) = eval(c, &frame) else { return false }
        }
        return true
    }

    public func run(_ property: Property, inputs: [Value<ConcreteDomain>]) -> Trace<ConcreteDomain> {
        runProperty(property, inputs)
    }

    public func call(_ function: Function, arguments: [Value<ConcreteDomain>]) -> (Value<ConcreteDomain>?, Trace<ConcreteDomain>) {
        callFunction(function, arguments)
    }
}

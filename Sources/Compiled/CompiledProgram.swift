import Foundation
import KernelC
import Placement
import Semantics

/// A program's compiled concrete form: its properties and functions as native code with the
/// evaluator's semantics (`CEmitter`), loaded once per process (`NativeLibrary`).
public final class CompiledProgram: @unchecked Sendable {
    typealias Entry = @convention(c) (UnsafeMutablePointer<UInt64>?, UnsafePointer<UInt64>?, UnsafeMutablePointer<UInt64>?) -> Int64

    public let program: Program
    /// The loop bound the code unrolls to.
    public let unwind: Int
    public let library: NativeLibrary
    /// The obligation sites, by the index the code reports.
    public let sites: [ObligationSite]
    /// Properties the emitter left to the evaluator, and why.
    public let skipped: [UnsupportedConstruct]
    /// The C source (the native benchmark builds its loop around it).
    public let source: String
    let properties: [Entry?]
    let functions: [Entry?]
    typealias Lead = @convention(c) (UnsafeMutablePointer<UInt64>?, UnsafePointer<UInt64>?, UInt64) -> Int64
    let leads: [Lead?]
    /// Per property: the leading assumptions its `leads` entry tests, conjuncts numbered as in
    /// `LeadingAssumptions.all` (nil: not compiled).
    public let leading: [LeadingAssumptions?]

    /// Compiles `program` for one configuration and loop bound (both are constants of the code).
    public convenience init(program: Program, config: Config, unwind: Int, optimisation: String = NativeLibrary.optimisation) throws {
        try self.init(CompiledProgram.emit(program, config, unwind), optimisation: optimisation)
    }

    /// The C of a program, before it is compiled.
    public struct Emitted {
        let program: Program
        let unwind: Int
        public let source: String
        let sites: [ObligationSite]
        let skipped: [UnsupportedConstruct]
        let leading: [LeadingAssumptions?]
    }

    /// `property`: only what that property reaches, and the functions named in `roots`.
    public static func emit(_ program: Program, _ config: Config, _ unwind: Int, property: Int? = nil, roots: Set<String> = []) throws -> Emitted {
        let evaluator = try Evaluator(program: program, config: config, domain: ConcreteDomain(), unwind: unwind)
        var emitter = CEmitter(program: program, evaluator: evaluator, unwind: unwind)
        let source = try emitter.emit(property: property, roots: roots)
        return Emitted(program: program, unwind: unwind, source: source, sites: emitter.sites, skipped: emitter.skipped, leading: emitter.leading)
    }

    /// `emitted`, compiled at `optimisation` (-O0 … -O3, or `NativeLibrary.quick`).
    public init(_ emitted: Emitted, optimisation: String, started: ((CompilerProcess) -> Void)? = nil) throws {
        let program = emitted.program, unwind = emitted.unwind
        source = emitted.source
        sites = emitted.sites
        skipped = emitted.skipped
        leading = emitted.leading
        library = try NativeLibrary.load(source: source, optimisation: optimisation, started: started)
        self.program = program
        self.unwind = unwind
        let lib = library
        properties = program.properties.indices.map { i in lib.symbol("hx_prop_\(i)").map { unsafeBitCast($0, to: Entry.self) } }
        functions = program.functions.indices.map { i in lib.symbol("hx_call_\(i)").map { unsafeBitCast($0, to: Entry.self) } }
        leads = program.properties.indices.map { i in lib.symbol("hx_lead_\(i)").map { unsafeBitCast($0, to: Lead.self) } }
    }

    /// Whether property `i` runs compiled.
    public func hasProperty(_ i: Int) -> Bool { i < properties.count && properties[i] != nil }
    public func hasFunction(_ i: Int) -> Bool { i < functions.count && functions[i] != nil }
}

/// A compile on another thread (`CompiledProgram.emit`): a campaign starts in the evaluator and adopts the compiled form
/// when it is ready (`ConcreteRunner.adopt`), so a short campaign never waits for the compiler.
public final class CompiledProgramFuture: @unchecked Sendable {
    private let lock = NSLock()
    private var result: Result<CompiledProgram, Error>?

    /// Compiles at the usual level; when that object is not cached, first a quick build
    /// (`NativeLibrary.firstLevel`: tcc in milliseconds, else -O0 in half the time): the campaign
    /// adopts that, then the optimised one (`ready` changes).
    /// `property`, `roots`: a unit of that property alone (`CompiledProgram.emit`). `optimised`:
    /// false stops at the quick build (unless the optimised object is cached): for a campaign of
    /// a few milliseconds, like the prover's concrete search, a second of `cc` is only load.
    public init(program: Program, config: Config, unwind: Int, property: Int? = nil, roots: Set<String> = [], optimised: Bool = true) {
        // A thread of its own: the compile blocks for a second, and a blocked block of the global
        // queue holds one of its few workers (other compiles, the campaign's own jobs wait).
        CompiledProgramFuture.running.add(1)
        let thread = Thread {
            defer {
                self.lock.lock()
                self.finished = true
                self.lock.unlock()
                CompiledProgramFuture.running.add(-1)
            }
            let emitted: CompiledProgram.Emitted
            do {
                emitted = try CompiledProgram.emit(program, config, unwind, property: property, roots: roots)
            } catch {
                self.publish(.failure(error))
                return
            }
            let level = NativeLibrary.optimisation
            let started: (CompilerProcess) -> Void = { p in
                self.lock.lock()
                self.compiler = p
                let stop = self.cancelled
                self.lock.unlock()
                if stop { p.stop() }
            }
            let first = NativeLibrary.firstLevel
            let cached = NativeLibrary.isCached(source: emitted.source, optimisation: level)
            if level != first && !cached {
                self.publish(Result { try CompiledProgram(emitted, optimisation: first, started: started) })
            }
            if !self.isCancelled && (optimised || cached || level == first) {
                self.publish(Result { try CompiledProgram(emitted, optimisation: level, started: started) })
            }
        }
        thread.stackSize = 16 << 20
        thread.start()
    }

    private func publish(_ r: Result<CompiledProgram, Error>) {
        lock.lock()
        // A failed optimised build keeps the -O0 one.
        if case .failure = r, case .success? = result { lock.unlock(); return }
        result = r
        lock.unlock()
    }

    /// The compiled form, once built (nil before, or when it failed).
    public var ready: CompiledProgram? {
        lock.lock()
        defer { lock.unlock() }
        return try? result?.get()
    }

    /// Why there is no compiled form, once the compile has failed.
    public var failure: String? {
        lock.lock()
        defer { lock.unlock() }
        if case .failure(let e)? = result { return "\(e)" }
        return nil
    }

    /// Waits for the compile to end, optimised build included (runs that want the compiled form
    /// from the start).
    public func wait() -> CompiledProgram? {
        while true {
            lock.lock()
            let r = result, done = finished
            lock.unlock()
            if done { return try? r?.get() }
            usleep(1000)
        }
    }
    private var finished = false
    private var cancelled = false

    /// Compile threads still working, cancelled ones included (an emission is not interrupted).
    static let running = Counter()
    final class Counter: @unchecked Sendable {
        private let lock = NSLock()
        private var n = 0
        func add(_ d: Int) { lock.lock(); n += d; lock.unlock() }
        var value: Int { lock.lock(); defer { lock.unlock() }; return n }
    }

    /// Waits until no compile thread of this process is working: a benchmark that times one
    /// campaign after another starts each on a machine the last one's compile no longer loads.
    public static func waitUntilIdle() {
        while running.value > 0 { usleep(500) }
    }
    private var compiler: CompilerProcess?
    private var isCancelled: Bool { lock.lock(); defer { lock.unlock() }; return cancelled }

    /// The campaign is over: a compile still running is stopped (its object is not cached).
    public func cancel() {
        lock.lock()
        cancelled = true
        let p = compiler
        lock.unlock()
        p?.stop()
    }
}

/// What a compiled run reports.
public enum CompiledOutcome: Equatable {
    case passed
    case vacuous
    /// The first obligation site that failed.
    case failed(site: Int)
}

/// One thread's way into a compiled program: the context array the code reads, and the layout
/// the code's queries are answered from. Not shared between threads.
public final class CompiledRunContext {
    public let compiled: CompiledProgram
    let ctx: UnsafeMutablePointer<UInt64>
    let bridge: LayoutBridge
    var inputs: [UInt64] = []

    public init(_ compiled: CompiledProgram) {
        self.compiled = compiled
        ctx = .allocate(capacity: CompiledABI.count)
        ctx.initialize(repeating: 0, count: CompiledABI.count)
        bridge = LayoutBridge(bits: compiled.program.dataModel.longBits, context: ctx)
        ctx[CompiledABI.layoutObject] = UInt64(UInt(bitPattern: Unmanaged.passUnretained(bridge).toOpaque()))
        ctx[CompiledABI.layoutQuery] = UInt64(UInt(bitPattern: unsafeBitCast(LayoutBridge.query, to: UnsafeRawPointer.self)))
    }

    deinit { ctx.deallocate() }

    /// Branch coverage of the runs (nil: none).
    public var coverage: CoverageMap? {
        didSet {
            ctx[CompiledABI.coverageBits] = coverage.map { UInt64(UInt(bitPattern: $0.current)) } ?? 0
            ctx[CompiledABI.coverageTouched] = coverage.map { UInt64(UInt(bitPattern: $0.touched)) } ?? 0
            ctx[CompiledABI.coverageState] = coverage.map { UInt64(UInt(bitPattern: $0.state)) } ?? 0
            ctx[CompiledABI.coverageSeen] = coverage.map { UInt64(UInt(bitPattern: $0.seen)) } ?? 0
        }
    }

    func outcome(_ status: Int64) -> CompiledOutcome {
        switch status {
        case CompiledABI.vacuous: return .vacuous
        case CompiledABI.failed: return .failed(site: Int(ctx[CompiledABI.firstFailure]) - 1)
        default: return .passed
        }
    }

    /// The property whose entries `runProperty` and `leadingHold` call (`bind`), held as plain
    /// function pointers: the fuzzer's loop calls them millions of times a second.
    private var propertyEntry: CompiledProgram.Entry?
    private var leadEntry: CompiledProgram.Lead?

    /// Runs of property `index` (which must be compiled) go through `runProperty` from now on.
    public func bind(property index: Int) {
        propertyEntry = compiled.properties[index]
        leadEntry = compiled.leads[index]
    }

    /// How many layout questions the last run asked (0: its outcome is the same on every layout).
    public var layoutQuestions: Int { Int(ctx[CompiledABI.layoutQuestions]) }

    /// Runs the bound property on `values` against `space`.
    @inline(__always)
    public func runProperty(_ values: [UInt64], in space: IndexedAddressSpace) -> CompiledOutcome {
        bridge.reset(indexed: space)
        let status = values.withUnsafeBufferPointer { propertyEntry.unsafelyUnwrapped(ctx, $0.baseAddress, nil) }
        return outcome(status)
    }

    /// Whether the bound property's leading conjuncts picked by `mask` hold for `values`.
    @inline(__always)
    public func leadingHold(_ values: UnsafePointer<UInt64>, mask: UInt64) -> Bool {
        leadEntry.unsafelyUnwrapped(ctx, values, mask) != 0
    }

    /// Calls function `index` (which must have an entry); nil when an `assume` inside it failed.
    public func callFunction(_ index: Int, _ values: [UInt64], in space: IndexedAddressSpace) -> (CompiledOutcome, UInt64) {
        bridge.reset(indexed: space)
        var result: UInt64 = 0
        let status = values.withUnsafeBufferPointer { compiled.functions[index]!(ctx, $0.baseAddress, &result) }
        return (outcome(status), result)
    }
}

/// Answers the compiled code's layout questions with the same `AddressSpace` code the evaluator
/// uses, including the VMAs a run inserts (`InsertedAddressSpace`): window searches and
/// insertions always, and every question once the run has inserted a VMA (before, the C side
/// reads `find_vma` and fields from the index itself: a callback per field read was a fifth of a
/// model-checking run).
final class LayoutBridge {
    /// The run's layout, held without a reference count: `reset`'s caller keeps it alive for the
    /// run, and a retain and release per question were a tenth of a fuzzing run.
    var index: Unmanaged<VMAIndex>?
    var inserted: [VMASlot<ConcreteDomain>] = []
    /// `inserted.count`, read without touching the array on every question.
    var insertedCount = 0
    let domain = ConcreteDomain()
    /// The width of addresses (a scaled config's `long`).
    let bits: Int
    /// The run context's slots (`CompiledABI`): the layout the C side reads, the question count.
    let ctx: UnsafeMutablePointer<UInt64>

    init(bits: Int, context: UnsafeMutablePointer<UInt64>) {
        self.bits = bits
        ctx = context
    }

    /// A run on `indexed` starts: its fields go to the C side, which answers `find_vma` and field
    /// reads itself until the run inserts a VMA.
    func reset(indexed: IndexedAddressSpace) {
        index = .passUnretained(indexed.index)
        ctx[CompiledABI.layoutFields] = UInt64(UInt(bitPattern: indexed.index.fields))
        ctx[CompiledABI.layoutCount] = UInt64(indexed.index.count)
        ctx[CompiledABI.layoutQuestions] = 0
        if insertedCount != 0 { inserted.removeAll(keepingCapacity: true); insertedCount = 0 }
    }

    static let query: @convention(c) (UnsafeMutableRawPointer?, Int64, UnsafePointer<UInt64>?, UnsafeMutablePointer<UInt64>?) -> UInt64 = { object, op, args, out in
        // The context owns the bridge for as long as the code runs: no retain per question.
        Unmanaged<LayoutBridge>.fromOpaque(object!)._withUnsafeGuaranteedRef { $0.dispatch(CompiledABI.Op.of(op), args!, out!) }
    }

    @inline(__always)
    func dispatch(_ op: CompiledABI.Op, _ a: UnsafePointer<UInt64>, _ out: UnsafeMutablePointer<UInt64>) -> UInt64 {
        if insertedCount == 0, let index { return index._withUnsafeGuaranteedRef { answer(IndexedAddressSpace($0), op, a, out) } }
        return answer(InsertedAddressSpace.stacked(index.map { IndexedAddressSpace($0.takeUnretainedValue()) }, inserted, domain: domain, bits: bits), op, a, out)
    }

    /// The number the code passes for a `VMAField` (`field` is its inverse).
    static func number(_ f: VMAField) -> Int {
        switch f {
        case .start: return 0
        case .end: return 1
        case .flags: return 2
        case .pgoff: return 3
        }
    }

    /// `VMAField` by the number the code passes.
    @inline(__always) static func field(_ n: UInt64) -> VMAField {
        switch n {
        case 0: return .start
        case 1: return .end
        case 2: return .flags
        default: return .pgoff
        }
    }

    @inline(__always)
    func answer<S: AddressSpace>(_ space: S, _ op: CompiledABI.Op, _ a: UnsafePointer<UInt64>, _ out: UnsafeMutablePointer<UInt64>) -> UInt64 where S.D == ConcreteDomain {
        switch op {
        case .findVMA:
            return space.findVMA(a[0])
        case .findVMAPrev:
            out.pointee = space.vmaBefore(a[0])
            return space.findVMA(a[0])
        case .field:
            return space.field(a[0], LayoutBridge.field(a[1]))
        case .areaLowest:
            let r = space.areaLowest(low: a[0], high: a[1], size: a[2])
            out.pointee = r.start
            return r.ok ? 1 : 0
        case .areaHighest:
            let r = space.areaHighest(low: a[0], high: a[1], size: a[2])
            out.pointee = r.end
            return r.ok ? 1 : 0
        case .insert:
            let ok = InsertedAddressSpace.fits(start: a[0], end: a[1], in: space, domain: domain, bits: bits)
            if ok {
                inserted.append(VMASlot(present: true, start: a[0], end: a[1], flags: a[2], pgoff: a[3]))
                insertedCount += 1
                // The C side's copy of the layout lacks it now: every question comes here.
                ctx[CompiledABI.layoutFields] = 0
            }
            return ok ? 1 : 0
        }
    }
}

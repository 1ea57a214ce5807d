import Compiled
import Foundation
import KernelC
import Placement
import Semantics

public struct CheckOptions: Sendable {
    /// Mode 1: every layout of at most this many VMAs.
    public var vmas = 1
    /// Mode 2 when set: every sequence of at most this many syscalls from the empty layout.
    public var depth: Int?
    public var jobs = 1
    /// This run does the items whose index is `shard.index` modulo `shard.count`.
    public var shard = (index: 0, count: 1)
    /// Runs of the property at most (nil: no limit); hitting it means "not exhausted".
    public var maxRuns: Int?
    /// Run the property through its compiled form when it compiles (`FuzzOptions.compiled`); nil:
    /// compiled unless the run is limited to too few runs to repay it (`ConcreteRunner.compileRepays`).
    public var compiled: Bool?
    public var useCompiled: Bool { compiled ?? ConcreteRunner.compileRepays(runs: maxRuns) }
    /// Whether the compile goes on from the quick build to the optimised one (`FuzzOptions`).
    public var optimisedBuild = true
    /// Run one value of each class of values that no run tells apart (`InputClasses`); off only to
    /// compare.
    public var inputClasses = true
    public init() {}
}

public struct CheckStats: Sendable {
    /// Property runs: (layout, input) pairs checked.
    public var runs = 0
    /// Layouts (mode 1) or reachable states (mode 2) whose inputs were all checked.
    public var states = 0
    public var seconds = 0.0
    /// Whether every item of this shard was checked (false when stopped, limited or failed early).
    public var exhausted = false
    public var depthReached = 0
    public var runsPerSecond: Double { seconds > 0 ? Double(runs) / seconds : 0 }
}

public struct ModelCheckResult: Sendable {
    public var failing: TestCase?
    /// Mode 2: the syscalls that lead to the failing layout.
    public var sequence: [Finding.Syscall]?
    public var stats: CheckStats
    public var interrupted: Bool
    public var secondsToFirst: Double?
    /// Whether the runs ended in the compiled form, and why not when it was asked for.
    public var compiled = false
    public var interpretedBecause: String?
    /// The parameters whose values were grouped into classes, one value of each run (`InputClasses`).
    public var inputClasses: [InputClasses.Parameter] = []
}

/// Exhaustive search in a scaled address space. Mode 1 checks every layout of up to N VMAs
/// (page-granular bounds below TASK_SIZE, each plain, a stack or a shadow stack) against every input
/// the property's leading assumptions allow. Mode 2 explores, breadth first, the layouts reachable
/// from the empty one by mmap (anonymous, shared, THP file, stacks, MAP_FIXED_NOREPLACE) and munmap,
/// checking the property in each, so the first counterexample is a shortest syscall sequence.
/// Both are deterministic: items are numbered in a fixed order, and with several jobs or shards the
/// reported counterexample is still the lowest-numbered one.
public final class ModelChecker: @unchecked Sendable {
    public let program: Program
    public let property: Property
    public let config: Config
    public let options: CheckOptions
    public let vocabulary: Vocabulary
    private let lock = NSLock()
    private var stopped = false
    private var live = CheckStats()
    private var best = Int.max

    public init(program: Program, property: Property, config: Config, options: CheckOptions) throws {
        guard config.dataModel.longBits <= 16 else {
            throw EvaluationError(message: "the model checker enumerates a scaled address space: use a scaled --config (\(Config.scaledNames.joined(separator: ", "))), not \(config.name)",
                                  location: property.location)
        }
        self.program = program
        self.property = property
        self.config = config
        self.options = options
        vocabulary = Vocabulary(config: config)
    }

    public func stop() { lock.lock(); stopped = true; lock.unlock() }
    var isStopped: Bool { lock.lock(); defer { lock.unlock() }; return stopped }
    private var started: ContinuousClock.Instant?
    private var inputsPerLayout: Double?
    private var inputClasses: [InputClasses.Parameter] = []
    /// The bound once the layout-dependent inputs are known (`LayoutDependentInputs`).
    private var listBound: Double?
    /// Mode 1: an upper bound on the runs (layouts × the inputs left after the single-parameter
    /// assumption filters, or, once a complete pass has shown which inputs read the layout, those
    /// and the sweep's), once the run has started; nil before.
    public var runBound: Double? {
        lock.lock(); defer { lock.unlock() }
        return listBound ?? inputsPerLayout.map { $0 * layoutCount / Double(options.shard.count) }
    }
    /// The counts so far, with the time since the run started (safe to call from another thread).
    public var progress: CheckStats {
        lock.lock(); defer { lock.unlock() }
        var s = live
        if let started { s.seconds = (ContinuousClock.now - started).seconds }
        return s
    }

    /// Mode 1: the number of layouts of at most `options.vmas` VMAs this run enumerates (all shards),
    /// counted the way `enumerateLayouts` makes them (VMAs may abut).
    public var layoutCount: Double {
        let v = vocabulary
        let pages = Int(v.taskSize / max(v.page, 1))
        let kinds = Double(Set([0, v.vmGrowsDown, v.vmShadowStack]).count)
        // ways[p]: layouts of k VMAs that all start at page p or above.
        var ways = [Double](repeating: 1, count: pages + 2)
        var total = 1.0
        for _ in 0..<max(0, options.vmas) {
            var next = [Double](repeating: 0, count: pages + 2)
            // suffix[e] = Σ_{e' ≥ e} ways[e']: the VMA's end e' ≥ s + 1.
            var suffix = [Double](repeating: 0, count: pages + 2)
            for e in stride(from: pages, through: 0, by: -1) { suffix[e] = suffix[e + 1] + ways[e] }
            for p in stride(from: pages - 1, through: 0, by: -1) { next[p] = next[p + 1] + kinds * suffix[p + 1] }
            ways = next
            total += ways[0]
        }
        return total
    }

    func add(runs: Int, states: Int) {
        lock.lock(); live.runs += runs; live.states += states; lock.unlock()
    }

    func claim(_ index: Int) -> Bool {
        lock.lock(); defer { lock.unlock() }
        if index < best { best = index; return true }
        return false
    }

    var bestSoFar: Int { lock.lock(); defer { lock.unlock() }; return best }
    var overBudget: Bool { lock.lock(); defer { lock.unlock() }; return options.maxRuns.map { live.runs >= $0 } ?? false }

    public func run() throws -> ModelCheckResult {
        // The compiled form is built beside the first runs, which go through the evaluator; asked
        // for explicitly, every run uses it (the check waits for the compile, off the clock).
        compiled = options.useCompiled
            ? ConcreteRunner.compileInBackground(property, of: program, config: config, roots: options.depth == nil ? [] : [PlacementEntry.function],
                                                 wait: options.compiled == true, optimised: options.optimisedBuild) : nil
        defer { compiled?.cancel() }
        let clock = ContinuousClock()
        let start = clock.now
        lock.lock(); started = start; lock.unlock()
        let seconds: @Sendable () -> Double = { (clock.now - start).seconds }
        var result: ModelCheckResult
        if let depth = options.depth {
            result = try sequences(depth: depth, seconds: seconds)
        } else {
            result = try layouts(seconds: seconds)
        }
        result.compiled = usedCompiled
        result.interpretedBecause = compiled?.failure ?? (usedCompiled || compiled == nil ? nil : "the compile did not end before the runs did")
        lock.lock()
        live.seconds = seconds()
        result.stats = live
        result.stats.exhausted = result.failing == nil && !stopped && !overBudgetLocked
        lock.unlock()
        result.interrupted = isStopped
        lock.lock(); result.inputClasses = inputClasses; lock.unlock()
        return result
    }

    var overBudgetLocked: Bool { options.maxRuns.map { live.runs >= $0 } ?? false }

    /// The compile started by `run`.
    private var compiled: CompiledProgramFuture?
    /// Whether a runner adopted the compiled form (guarded by `lock`).
    private var adopted = false
    private var usedCompiled: Bool { lock.lock(); defer { lock.unlock() }; return adopted }

    /// Adopts the compiled form when it is ready and newer than the runner's.
    func adoptIfReady(_ runner: ConcreteRunner) {
        if runner.adopt(from: compiled) { lock.lock(); adopted = true; lock.unlock() }
    }

    /// Inputs per layout in mode 1's sweep (`layouts`).
    static let sweepInputs = 64

    /// Checks `sample` (the sweep) against one layout; the first failing values, if any. It
    /// counts runs, not layouts: the layout is done only when `check` has seen every input.
    func sweep(_ space: IndexedAddressSpace, _ runner: ConcreteRunner, _ sample: [[UInt64]]) -> [UInt64]? {
        adoptIfReady(runner)
        var runs = 0
        defer { add(runs: runs, states: 0) }
        for values in sample {
            runs += 1
            if runner.run(values, in: space).isFailure { return values }
        }
        return nil
    }

    /// Mode 1's inputs after one complete pass: only those whose run may read the layout. An
    /// input whose compiled run asked the layout nothing (an error before any search, most
    /// MAP_FIXED requests) executes the same way on every layout, so its run on the first
    /// layout stands for all of them; the next layouts run the rest from a flat list, without
    /// enumerating and testing the whole input space again.
    struct LayoutDependentInputs {
        let width: Int
        /// Flat, `width` values per input; nil until a pass over every input has been made.
        var list: [UInt64]?
        var building: [UInt64] = []
        var overflow = false
        /// At most this many values are kept (128 MB); beyond, every layout enumerates every input.
        static let capacity = 16 << 20

        init(width: Int) { self.width = width }

        mutating func note(_ values: [UInt64]) {
            guard !overflow else { return }
            if building.count + width > LayoutDependentInputs.capacity { overflow = true; building = []; return }
            building.append(contentsOf: values)
        }

        /// The pass over every input ended without a stop: its list is the one to use from now on.
        mutating func complete() {
            if !overflow { list = building }
            building = []
        }
    }

    /// Checks every allowed input against one layout; the first failing values, if any.
    /// `dependent`: mode 1's memo of the inputs that need a run on each layout (nil: run all).
    func check(_ space: IndexedAddressSpace, _ runner: ConcreteRunner, _ inputs: InputSpace,
               dependent: UnsafeMutablePointer<LayoutDependentInputs>? = nil) -> [UInt64]? {
        adoptIfReady(runner)
        if let memo = dependent, let list = memo.pointee.list { return check(space, runner, list: list, width: memo.pointee.width) }
        var found: [UInt64]?
        var runs = 0
        // The memo is built from compiled runs only (the evaluator does not say what it asked);
        // a pass that met an interpreted run is not used, and the next layout builds it again.
        let memo = runner.isCompiled ? dependent : nil
        let complete = inputs.forEach { values in
            runs += 1
            if runner.run(values, in: space).isFailure { found = values; return false }
            if let memo, runner.lastRunMayReadLayout { memo.pointee.note(values) }
            // Until the compiled form is in use, look for it every 64 runs (see `Fuzzer`).
            if runs & 63 == 0 && !runner.isCompiled && compiled != nil { adoptIfReady(runner) }
            return keepGoing(&runs, runner)
        }
        if complete, let memo {
            memo.pointee.complete()
            if let list = memo.pointee.list {
                // Each job's one complete pass, then its list and the sweep on every layout.
                let perLayout = Double(list.count / max(memo.pointee.width, 1) + ModelChecker.sweepInputs)
                let bound = (perLayout * layoutCount + inputs.size * Double(max(1, options.jobs))) / Double(options.shard.count)
                lock.lock(); listBound = bound; lock.unlock()
            }
        } else {
            memo?.pointee.building = []
        }
        finish(runs, found: found != nil)
        return found
    }

    /// Every 4 096 runs on one layout: adopt a newer build, count them, and say whether to go on
    /// (large input spaces: Ctrl-C, a time limit or --max-runs stop inside a layout).
    @inline(__always)
    func keepGoing(_ runs: inout Int, _ runner: ConcreteRunner) -> Bool {
        guard runs & 4095 == 0 else { return true }
        adoptIfReady(runner)
        add(runs: runs, states: 0)
        runs = 0
        return !(isStopped || overBudget)
    }

    /// A layout's last runs are counted, and the layout with them unless a stop cut it short.
    func finish(_ runs: Int, found: Bool) {
        add(runs: runs, states: found || !(isStopped || overBudget) ? 1 : 0)
    }

    /// `check` over the inputs that may read the layout, from the memo's flat list.
    func check(_ space: IndexedAddressSpace, _ runner: ConcreteRunner, list: [UInt64], width: Int) -> [UInt64]? {
        var values = [UInt64](repeating: 0, count: width)
        var runs = 0
        var found = false
        var k = 0
        while k < list.count {
            for i in 0..<width { values[i] = list[k + i] }
            k += width
            runs += 1
            if runner.run(values, in: space).isFailure { found = true; break }
            if !keepGoing(&runs, runner) { break }
        }
        finish(runs, found: found)
        return found ? values : nil
    }

    // MARK: Mode 1

    func layouts(seconds: @escaping @Sendable () -> Double) throws -> ModelCheckResult {
        let jobs = max(1, options.jobs)
        final class Box: @unchecked Sendable { var found: [Int: (TestCase, Double)] = [:]; var error: Error? }
        let box = Box()
        DispatchQueue.concurrentPerform(iterations: jobs) { j in
            do {
                let runner = try ConcreteRunner(program: program, property: property, config: config)
                let inputs = try InputSpace(runner: runner, vocabulary: vocabulary, classes: self.options.inputClasses)
                self.lock.lock(); self.inputClasses = inputs.classes; self.lock.unlock()
                // Two passes over the layouts: a sweep with a sample of the inputs, then every
                // input. A layout bug shows on many inputs, so the sweep finds it in a fraction
                // of a second wherever its layout lies in the order (a stack at the bottom of the
                // space comes last from the top); the second pass is the exhaustive one. Items
                // are numbered pass by pass, so the lowest-numbered counterexample is still the
                // one reported whatever the jobs and shards.
                var dependent = LayoutDependentInputs(width: runner.parameters.count)
                let sweeps = layoutCount > 1 && inputs.size > Double(4 * ModelChecker.sweepInputs)
                let sample = sweeps ? inputs.sample(ModelChecker.sweepInputs) : []
                self.lock.lock(); self.inputsPerLayout = inputs.size + Double(sample.count); self.lock.unlock()
                for pass in (sample.isEmpty ? 1 : 0)...1 {
                    var index = -1
                    let stopped = !enumerateLayouts { layout in
                        index += 1
                        let item = pass << 40 | index
                        if item > self.bestSoFar || self.isStopped || self.overBudget { return false }
                        guard index % self.options.shard.count == self.options.shard.index,
                              (index / self.options.shard.count) % jobs == j else { return true }
                        let space = IndexedAddressSpace(layout)
                        if let values = pass == 0 ? self.sweep(space, runner, sample) : self.check(space, runner, inputs, dependent: &dependent) {
                            if self.claim(item) { self.lock.lock(); box.found[item] = (TestCase(values: values, layout: layout), seconds()); self.lock.unlock() }
                            return false
                        }
                        return true
                    }
                    if stopped { break }
                }
            } catch {
                lock.lock(); box.error = error; lock.unlock()
            }
        }
        if let e = box.error { throw e }
        let first = box.found.min { $0.key < $1.key }?.value
        return ModelCheckResult(failing: first?.0, sequence: nil, stats: CheckStats(), interrupted: false, secondsToFirst: first?.1)
    }

    /// Every layout of 0...N VMAs, fewest VMAs first, then by position from the top; false from
    /// `body` stops (and is returned).
    @discardableResult
    func enumerateLayouts(_ body: (Layout) -> Bool) -> Bool {
        let v = vocabulary
        let pages = Int(v.taskSize / max(v.page, 1))
        // Plain, stack, shadow stack (a config without one of them has it as 0: counted once).
        let flagSet = [0, v.vmGrowsDown, v.vmShadowStack].reduce(into: [UInt64]()) { if !$0.contains($1) { $0.append($1) } }
        var vmas: [VMA] = []
        func go(_ remaining: Int, from: Int) -> Bool {
            if remaining == 0 { return body(Layout(vmas: vmas)) }
            // From the top down: the default (top-down) layout places under mmap_base first, so
            // the layouts that matter to most requests come early; the enumeration is complete either way.
            for s in (from..<pages).reversed() {
                for e in (s + 1)...pages {
                    for f in flagSet {
                        vmas.append(VMA(start: UInt64(s) * v.page, end: UInt64(e) * v.page, flags: f))
                        let goOn = go(remaining - 1, from: e)
                        vmas.removeLast()
                        if !goOn { return false }
                    }
                }
            }
            return true
        }
        for n in 0...max(0, options.vmas) where !go(n, from: 0) { return false }
        return true
    }

    // MARK: Mode 2

    /// The syscalls tried in every state: anonymous private mmaps of page and PMD sizes, a shared
    /// anonymous and a THP-file mmap, a stack (VM_GROWSDOWN), MAP_FIXED_NOREPLACE at fixed spots,
    /// and munmap of each VMA and of its first page.
    func operations(in layout: Layout) -> [Finding.Syscall] {
        let v = vocabulary
        let anon = v.mapPrivate | v.mapAnonymous
        let noreplace = config.number(.mapFixedNoreplace)
        var ops: [Finding.Syscall] = []
        for len in [v.page, 2 * v.page, v.pmd, 2 * v.pmd, v.pmd + v.page] {
            ops.append(.init(op: .mmap, file: 0, addr: 0, len: len, flags: anon, pgoff: 0))
        }
        ops.append(.init(op: .mmap, file: 0, addr: 0, len: v.pmd, flags: v.mapShared | v.mapAnonymous, pgoff: 0))
        if let thp = config[.fileTHP] {
            for pgoff in [0, 1] as [UInt64] { ops.append(.init(op: .mmap, file: thp, addr: 0, len: 2 * v.pmd, flags: v.mapShared, pgoff: pgoff)) }
        }
        if v.vmGrowsDown != 0 { ops.append(.init(op: .mmap, file: 0, addr: 0, len: 2 * v.page, flags: anon, pgoff: 0, vmFlags: v.vmGrowsDown)) }
        if noreplace != 0 {
            for at in [v.mmapBase &- v.pmd, v.mmapBase &- 2 * v.pmd &+ v.page, v.legacyBase] {
                ops.append(.init(op: .mmap, file: 0, addr: at, len: v.page, flags: anon | noreplace, pgoff: 0))
            }
        }
        for vma in layout.vmas {
            ops.append(.init(op: .munmap, addr: vma.start, len: vma.end - vma.start))
            if vma.end - vma.start > v.page { ops.append(.init(op: .munmap, addr: vma.start, len: v.page)) }
        }
        return ops
    }

    /// Applies one syscall to a layout with the model; nil when the model returns an error.
    public static func apply(_ op: Finding.Syscall, to layout: Layout, runner: ConcreteRunner, vocabulary v: Vocabulary,
                             maxErrno: UInt64) -> (Layout, Finding.Syscall)? {
        apply(op, to: layout, space: IndexedAddressSpace(layout), runner: runner, vocabulary: v, maxErrno: maxErrno)
    }

    /// The same with the layout's index already built (one per state, not one per syscall).
    static func apply(_ op: Finding.Syscall, to layout: Layout, space: IndexedAddressSpace, runner: ConcreteRunner,
                      vocabulary v: Vocabulary, maxErrno: UInt64) -> (Layout, Finding.Syscall)? {
        var op = op
        var vmas = layout.vmas
        let start: UInt64, end: UInt64
        if op.op == .munmap {
            start = op.addr; end = op.addr &+ v.pageAlign(op.len &+ v.page &- 1)
        } else {
            guard let r = runner.call(PlacementEntry.function, [op.file ?? 0, op.addr, op.len, op.flags ?? 0, 0, op.pgoff ?? 0],
                                      in: space) else { return nil }
            op.result = r
            if r > v.mask &- maxErrno { return nil }
            start = r; end = r &+ v.pageAlign(op.len &+ v.page &- 1)
        }
        // Remove [start, end) from every VMA (splitting), then add the new one.
        var out: [VMA] = []
        for x in vmas {
            if x.end <= start || x.start >= end { out.append(x); continue }
            if x.start < start { var l = x; l.end = start; out.append(l) }
            if x.end > end { var r = x; r.start = end; out.append(r) }
        }
        vmas = out
        if op.op == .mmap { vmas.append(VMA(start: start, end: end, flags: op.vmFlags ?? 0)) }
        return (Layout(vmas: vmas), op)
    }

    func sequences(depth: Int, seconds: @escaping @Sendable () -> Double) throws -> ModelCheckResult {
        let jobs = max(1, options.jobs)
        let runners = try (0..<jobs).map { _ in try ConcreteRunner(program: program, property: property, config: config) }
        guard program.functions.contains(where: { $0.name == PlacementEntry.function }) else {
            throw EvaluationError(message: "sequence mode (--depth) needs do_mmap_placement: #include specs/kernel/v6.18/mmap.spec", location: property.location)
        }
        let inputs = try runners.map { try InputSpace(runner: $0, vocabulary: vocabulary, classes: options.inputClasses) }
        lock.lock(); inputClasses = inputs.first?.classes ?? []; lock.unlock()
        let maxErrno = config.number(.maxErrno)
        struct State { var layout: Layout; var path: [Finding.Syscall] }
        var level = [State(layout: .empty, path: [])]
        var visited: Set<[UInt64]> = [[]]
        for d in 0...depth {
            lock.lock(); live.depthReached = d; lock.unlock()
            final class Box: @unchecked Sendable { var found: [Int: ([UInt64], Double)] = [:] }
            let box = Box()
            let states = level
            DispatchQueue.concurrentPerform(iterations: jobs) { j in
                for (i, s) in states.enumerated() {
                    if i > self.bestSoFar || self.isStopped || self.overBudget { return }
                    guard i % self.options.shard.count == self.options.shard.index, (i / self.options.shard.count) % jobs == j else { continue }
                    if let values = self.check(IndexedAddressSpace(s.layout), runners[j], inputs[j]) {
                        if self.claim(i) { self.lock.lock(); box.found[i] = (values, seconds()); self.lock.unlock() }
                        return
                    }
                }
            }
            if let (i, hit) = box.found.min(by: { $0.key < $1.key }) {
                return ModelCheckResult(failing: TestCase(values: hit.0, layout: level[i].layout), sequence: level[i].path,
                                   stats: CheckStats(), interrupted: false, secondsToFirst: hit.1)
            }
            if d == depth || isStopped || overBudget { break }
            var next: [State] = []
            for s in level {
                let space = IndexedAddressSpace(s.layout)
                for op in operations(in: s.layout) {
                    guard let (l, done) = ModelChecker.apply(op, to: s.layout, space: space, runner: runners[0], vocabulary: vocabulary,
                                                             maxErrno: maxErrno) else { continue }
                    let key = l.vmas.flatMap { [$0.start, $0.end, $0.flags] }
                    if visited.insert(key).inserted { next.append(State(layout: l, path: s.path + [done])) }
                }
            }
            if next.isEmpty { break }
            level = next
        }
        return ModelCheckResult(failing: nil, sequence: nil, stats: CheckStats(), interrupted: false, secondsToFirst: nil)
    }
}

extension RunOutcome {
    public var isFailure: Bool { if case .failed = self { return true }; return false }
}

import Compiled
import Foundation
import KernelC
import Placement
import Semantics

public struct FuzzOptions: Sendable {
    public var seed: UInt64 = 1
    /// Runs per job (nil: until the time limit).
    public var runs: Int? = 100_000
    public var seconds: Double?
    public var jobs = 1
    /// Layouts from /proc/PID/maps files.
    public var seeds: [Layout] = []
    /// Test cases from an earlier campaign's corpus.
    public var corpus: [TestCase] = []
    public var shrinkBudget = 20_000
    /// Layouts of at most this many VMAs (nil: any); the property's `layout vmas <= N` by default,
    /// so that fuzzing and proving look at the same address spaces.
    public var maxVMAs: Int?
    /// Run the property through its compiled form (`CompiledProgram`) when it compiles; the
    /// evaluator otherwise. Shrinking and descriptions are the same either way. Nil: compiled when
    /// the campaign is long enough to repay the C compiler (`useCompiled`).
    public var compiled: Bool?
    /// Whether this campaign runs compiled: asked, or enough runs to repay the compile
    /// (`ConcreteRunner.compileRepays`).
    public var useCompiled: Bool { compiled ?? ConcreteRunner.compileRepays(runs: runs.map { $0 * max(1, jobs) }) }
    /// Whether the compile goes on from the quick build to the optimised one: a campaign of a few
    /// milliseconds (the prover's concrete search) is over before `cc -O2` would be.
    public var optimisedBuild = true
    public init() {}
}

/// What a campaign did, for the progress line and the summary.
public struct FuzzStats: Sendable {
    public var runs = 0
    public var vacuous = 0
    public var coverage = 0
    public var corpus = 0
    public var seconds = 0.0
    public var runsPerSecond: Double { seconds > 0 ? Double(runs) / seconds : 0 }
}

public struct FuzzResult: Sendable {
    /// The shrunk failing case, with the job and run that found it.
    public var failing: TestCase?
    public var unshrunk: TestCase?
    public var foundBy: (job: Int, run: Int)?
    public var secondsToFirst: Double?
    public var stats: FuzzStats
    /// Cases that reached new behaviour (to save as a corpus).
    public var corpus: [TestCase]
    public var interrupted: Bool
    /// Why the campaign ended.
    public var stop: StopReason
    /// How shrinking the failing case went.
    public var shrink: Shrinker.Shrunk?
    /// Whether the runs went through the compiled form, and why not when it was asked for.
    public var compiled = false
    public var interpretedBecause: String?

    public enum StopReason: String, Sendable {
        case found = "a counterexample was found"
        case runs = "every job made its runs"
        case time = "the time limit was reached"
        case interrupted = "interrupted"
    }
}

/// Generation + coverage-guided mutation + shrinking over concrete runs of a property. Each job has
/// its own evaluator, random stream (seed, job), coverage map and corpus, so a campaign with a given
/// seed, run count and job count always makes the same runs; the reported case is the first
/// failure of the lowest-numbered job that found one.
public final class Fuzzer: @unchecked Sendable {
    public let program: Program
    public let property: Property
    public let config: Config
    public let options: FuzzOptions
    public let vocabulary: Vocabulary
    private let lock = NSLock()
    private var live: [FuzzStats]
    private var stopped = false

    public init(program: Program, property: Property, config: Config, options: FuzzOptions) {
        self.program = program
        self.property = property
        self.config = config
        self.options = options
        vocabulary = Vocabulary(config: config)
        live = Array(repeating: FuzzStats(), count: max(1, options.jobs))
    }

    /// Asks every job to stop after its current run (Ctrl-C).
    public func stop() { lock.lock(); stopped = true; lock.unlock() }
    var isStopped: Bool { lock.lock(); defer { lock.unlock() }; return stopped }

    /// The sum over jobs so far (safe to call from another thread).
    public var progress: FuzzStats {
        lock.lock(); defer { lock.unlock() }
        var s = FuzzStats()
        for j in live { s.runs += j.runs; s.vacuous += j.vacuous; s.coverage = max(s.coverage, j.coverage); s.corpus += j.corpus; s.seconds = max(s.seconds, j.seconds) }
        return s
    }

    struct JobResult {
        var compiled = false
        var interpretedBecause: String?
        var failing: TestCase?
        var run = 0
        var seconds = 0.0
        var corpus: [TestCase] = []
    }

    public func run() throws -> FuzzResult {
        let jobs = max(1, options.jobs)
        final class Box: @unchecked Sendable { var results: [JobResult?] = []; var failure: Error? }
        let box = Box()
        box.results = Array(repeating: nil, count: jobs)
        // The compiled form is built beside the first runs, which go through the evaluator; asked
        // for explicitly, every run uses it (the campaign waits for the compile, off the clock).
        let future = options.useCompiled ? ConcreteRunner.compileInBackground(property, of: program, config: config, wait: options.compiled == true,
                                                                                               optimised: options.optimisedBuild) : nil
        defer { future?.cancel() }
        let clock = ContinuousClock()
        let start = clock.now
        DispatchQueue.concurrentPerform(iterations: jobs) { j in
            do {
                let r = try job(j, start: start, compiled: future)
                lock.lock(); box.results[j] = r; lock.unlock()
            } catch {
                lock.lock(); box.failure = error; lock.unlock()
            }
        }
        if let failure = box.failure { throw failure }
        let done = box.results.compactMap { $0 }
        let stats = progress
        let first = done.enumerated().first { $0.element.failing != nil }
        let stop: FuzzResult.StopReason = first != nil ? .found : isStopped ? .interrupted
            : (options.seconds.map { stats.seconds >= $0 } ?? false) && done.contains { $0.run < (options.runs ?? .max) } ? .time : .runs
        var result = FuzzResult(failing: nil, unshrunk: nil, foundBy: nil, secondsToFirst: nil, stats: stats,
                                corpus: done.flatMap(\.corpus), interrupted: isStopped, stop: stop)
        result.compiled = done.first?.compiled ?? false
        result.interpretedBecause = future?.failure ?? done.first?.interpretedBecause
        if let (j, r) = first, let c = r.failing {
            let runner = try ConcreteRunner(program: program, property: property, config: config)
            runner.adopt(from: future)
            result.unshrunk = c
            let shrunk = Shrinker(runner: runner, vocabulary: vocabulary).shrinkCase(c, budget: options.shrinkBudget)
            result.failing = shrunk.smallest
            result.shrink = shrunk
            result.foundBy = (j, r.run)
            result.secondsToFirst = r.seconds
        }
        return result
    }

    func job(_ j: Int, start: ContinuousClock.Instant, compiled: CompiledProgramFuture?) throws -> JobResult {
        let runner = try ConcreteRunner(program: program, property: property, config: config)
        runner.adopt(from: compiled)
        let coverage = CoverageMap()
        runner.coverage = coverage
        var rng = DeterministicRandom(seed: options.seed &* 0x100_0000_01B3 &+ UInt64(j) &+ 1)
        let inputs = InputGenerator(parameters: runner.parameters, vocabulary: vocabulary)
        let guide = AssumptionGuide(runner: runner, vocabulary: vocabulary)
        inputs.allowed = guide.choices
        let layouts = LayoutGenerator(vocabulary: vocabulary, seeds: options.seeds)
        let usesLayout = program.usesLayout && options.maxVMAs != 0
        let maxVMAs = options.maxVMAs
        // Layouts with their index built once; cases refer to them by position. A struct the loop
        // owns, not variables captured by local functions (those would be boxed and every access
        // checked at run time).
        var pool = LayoutPool(width: runner.parameters.count)
        for c in options.corpus where c.values.count == runner.parameters.count && c.layout.vmas.count <= options.maxVMAs ?? .max {
            let li = pool.add(c.layout, vocabulary.pmd)
            coverage.reset()
            _ = runner.run(c.values, in: pool.spaces[li])
            if coverage.commit() { pool.keep(c.values, li) }
        }
        _ = pool.add(.empty, vocabulary.pmd)
        let clock = ContinuousClock()
        var stats = FuzzStats()
        let limit = options.runs ?? .max
        // One input buffer for every run (a corpus case is copied into it to be mutated).
        var values = [UInt64](repeating: 0, count: runner.parameters.count)
        var n = 0
        var failing: TestCase?
        campaign: while n < limit {
            // Until the compiled form is in use, look for it every 16 runs: a cached one is ready
            // a few milliseconds in, and a seeded bug is often found within the first thousand runs.
            if n & 15 == 0 && !runner.isCompiled && compiled != nil { runner.adopt(from: compiled) }
            if n & 1023 == 0 {
                runner.adopt(from: compiled)
                stats.seconds = (clock.now - start).seconds
                stats.coverage = coverage.seenCount
                stats.corpus = pool.corpusCount
                lock.lock(); live[j] = stats; let stop = stopped; lock.unlock()
                if stop { break }
                if let s = options.seconds, stats.seconds >= s { break }
            }
            n += 1
            var li: Int
            let roll = rng.below(100)
            if pool.corpusCount != 0 && roll < 60 {
                let base = Int(rng.below(UInt64(pool.corpusCount)))
                pool.load(base, into: &values)
                li = pool.corpusLayouts[base]
                if usesLayout && rng.chance(15) {
                    let mutated = layouts.mutate(pool.layouts[li], &rng, focus: pool.focus[li])
                    li = pool.add(LayoutGenerator.window(of: mutated, atMost: maxVMAs, &rng), pool.focus[li])
                } else {
                    // A mutant that breaks a leading assumption is redrawn from the same base a few times.
                    let layout = pool.layouts[li], focus = pool.focus[li]
                    for attempt in 0..<8 {
                        pool.load(base, into: &values)
                        for _ in 0..<(1 + rng.below(3)) { inputs.mutate(&values, &rng, layout: layout, focus: focus) }
                        if attempt == 7 || !guide.rejects(values) { break }
                    }
                }
            } else {
                let focus = rng.pick(vocabulary.focusLengths)
                if usesLayout && (roll >= 90 || pool.layouts.count < 8) {
                    let generated = layouts.generate(&rng, focus: focus)
                    li = pool.add(LayoutGenerator.window(of: generated, atMost: maxVMAs, &rng), focus)
                } else {
                    // A layout on which most runs were vacuous is drawn again (twice at most): fresh
                    // inputs go where the property's layout assumptions can hold.
                    li = Int(rng.below(UInt64(pool.layouts.count)))
                    for _ in 0..<2 where pool.mostlyVacuous(li) {
                        li = Int(rng.below(UInt64(pool.layouts.count)))
                    }
                }
                let layout = pool.layouts[li], drawFocus = rng.chance(50) ? pool.focus[li] : focus
                guide.fill(&values) {
                    guide.hint($0, &rng, page: vocabulary.page) ?? inputs.value($0, &rng, layout: layout, focus: drawFocus)
                }
            }
            coverage.reset()
            let outcome = runner.run(values, in: pool.spaces[li])
            stats.runs += 1
            pool.record(li, vacuous: outcome == .vacuous)
            switch outcome {
            case .failed:
                stats.seconds = (clock.now - start).seconds
                failing = TestCase(values: values, layout: pool.layouts[li])
                break campaign
            case .vacuous:
                // A run the assumptions stopped checked nothing: neither it nor the branches it
                // took on the way count as progress (kept, its mutants would mostly stop there too).
                stats.vacuous += 1
            case .passed:
                if coverage.commit() { pool.keep(values, li) }
            }
        }
        // One exit, so the summary's coverage and corpus are there also when a failure came before
        // the first 1024-run update (it printed "coverage 0").
        stats.coverage = coverage.seenCount
        stats.corpus = pool.corpusCount
        lock.lock(); live[j] = stats; lock.unlock()
        return JobResult(compiled: runner.isCompiled, interpretedBecause: runner.interpretedBecause, failing: failing, run: n, seconds: stats.seconds,
                         corpus: pool.cases)
    }
}

/// A fuzzing job's layouts (each indexed once) and its corpus, which refers to them by position.
struct LayoutPool {
    var layouts: [Layout] = []
    var spaces: [IndexedAddressSpace] = []
    /// The length each layout was built around.
    var focus: [UInt64] = []
    /// Per layout: runs on it, and how many were vacuous (it broke an assumption that reads the
    /// layout: no window, a guard gap in the way).
    var runs: [UInt32] = []
    var vacuous: [UInt32] = []
    /// The corpus, flat: case k's values are `corpusValues[k * width ..< (k + 1) * width]` and its
    /// layout `corpusLayouts[k]` (a case is loaded on most runs; an array per case would be
    /// retained each time).
    let width: Int
    var corpusValues: [UInt64] = []
    var corpusLayouts: [Int] = []
    var corpusCount: Int { corpusLayouts.count }

    init(width: Int) { self.width = width }

    mutating func keep(_ values: [UInt64], _ layout: Int) {
        corpusValues.append(contentsOf: values)
        corpusLayouts.append(layout)
    }

    /// Adds a layout; at 512, keeps the ones the corpus uses and the newest 64, renumbering the corpus.
    mutating func add(_ l: Layout, _ f: UInt64) -> Int {
        if layouts.count >= 512 {
            let used = Set(corpusLayouts).union(layouts.count - 64 ..< layouts.count)
            var renumber: [Int: Int] = [:]
            var kept = LayoutPool(width: width)
            for i in layouts.indices where used.contains(i) {
                renumber[i] = kept.layouts.count
                kept.layouts.append(layouts[i]); kept.spaces.append(spaces[i]); kept.focus.append(focus[i])
                kept.runs.append(runs[i]); kept.vacuous.append(vacuous[i])
            }
            kept.corpusValues = corpusValues
            kept.corpusLayouts = corpusLayouts.map { renumber[$0]! }
            self = kept
        }
        layouts.append(l)
        spaces.append(IndexedAddressSpace(l))
        focus.append(f)
        runs.append(0)
        vacuous.append(0)
        return layouts.count - 1
    }

    /// Corpus case `i`'s values, copied into `values` (same count).
    @inline(__always) func load(_ i: Int, into values: inout [UInt64]) {
        corpusValues.withUnsafeBufferPointer { src in
            values.withUnsafeMutableBufferPointer { dst in
                for k in 0..<width { dst[k] = src[i * width + k] }
            }
        }
    }

    @inline(__always) mutating func record(_ i: Int, vacuous v: Bool) {
        runs[i] &+= 1
        if v { vacuous[i] &+= 1 }
    }

    /// Whether most runs on layout `i` (at least 8 of them) were vacuous.
    func mostlyVacuous(_ i: Int) -> Bool { runs[i] >= 8 && vacuous[i] > runs[i] / 2 }

    var cases: [TestCase] {
        corpusLayouts.indices.map { k in TestCase(values: Array(corpusValues[k * width ..< (k + 1) * width]), layout: layouts[corpusLayouts[k]]) }
    }
}

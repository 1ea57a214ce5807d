import Placement
import Semantics

/// Makes a failing case small, the way Hypothesis's shrinker does: one total "simpler than" order
/// on cases (`Simplicity`), candidates that are not strictly simpler are rejected before they run,
/// every candidate tried is remembered and never run twice, and the result says why it stopped.
/// Candidates drop VMAs, merge neighbours, clear their flags, and move each value toward 0 and
/// toward aligned values (PUD, PMD, page); a change is kept only when the case still fails at the
/// same place. Every kept change is strictly simpler in a well-founded order, so shrinking ends.
public struct Shrinker {
    public let runner: ConcreteRunner
    public let vocabulary: Vocabulary

    public init(runner: ConcreteRunner, vocabulary: Vocabulary) {
        self.runner = runner
        self.vocabulary = vocabulary
    }

    public enum StopReason: String, Sendable {
        /// No candidate of the smallest case found fails at the same place: a local minimum.
        case noSimplerFailure = "no simpler failing case"
        /// The budget of runs was spent.
        case budget = "run budget spent"
        /// The starting case does not fail.
        case notFailing = "the case does not fail"
    }

    public struct Shrunk: Sendable {
        public var smallest: TestCase
        public var stop: StopReason
        /// Cases run; candidates rejected as not simpler and repeats are not counted.
        public var runs: Int
        /// Candidates skipped: not simpler than the current case, or already tried.
        public var skipped: Int
    }

    public func shrink(_ start: TestCase, budget: Int = 20_000) -> TestCase { shrinkCase(start, budget: budget).smallest }

    public func shrinkCase(_ start: TestCase, budget: Int = 20_000) -> Shrunk {
        guard case .failed(let target) = runner.run(start) else { return Shrunk(smallest: start, stop: .notFailing, runs: 1, skipped: 0) }
        var best = start
        var bestKey = Simplicity(best, runner: runner)
        var runs = 0, skipped = 0
        var tried: Set<CaseKey> = [CaseKey(start)]
        var progress = true
        // The index of best's layout, rebuilt only when a layout change is kept: value candidates
        // run against it as it is.
        var bestSpace = IndexedAddressSpace(best.layout)
        /// Tries a candidate; true (and it becomes the best) when it is simpler and fails alike.
        func attempt(_ c: TestCase) -> Bool {
            let key = Simplicity(c, runner: runner)
            guard key < bestKey, tried.insert(CaseKey(c)).inserted else { skipped += 1; return false }
            runs += 1
            let space = c.layout == best.layout ? bestSpace : IndexedAddressSpace(c.layout)
            guard runner.run(c.values, in: space) == .failed(first: target) else { return false }
            if c.layout != best.layout { bestSpace = IndexedAddressSpace(c.layout) }
            best = c
            bestKey = key
            progress = true
            return true
        }
        while progress && runs < budget {
            progress = false
            // Layout: fewer VMAs first, then merged neighbours, then plain flags.
            var i = best.layout.vmas.count - 1
            while i >= 0 && runs < budget {
                var c = best
                c.layout.vmas.remove(at: i)
                _ = attempt(c)
                i -= 1
            }
            i = 0
            while i + 1 < best.layout.vmas.count && runs < budget {
                var c = best
                let a = c.layout.vmas[i], b = c.layout.vmas[i + 1]
                if a.flags == b.flags {
                    c.layout.vmas[i] = VMA(start: a.start, end: b.end, flags: a.flags, pgoff: a.pgoff, name: a.name)
                    c.layout.vmas.remove(at: i + 1)
                    if attempt(c) { continue }
                }
                i += 1
            }
            for j in best.layout.vmas.indices where best.layout.vmas[j].flags != 0 && runs < budget {
                var c = best
                c.layout.vmas[j].flags = 0
                _ = attempt(c)
            }
            // Values: toward 0 and toward alignment.
            for p in best.values.indices where runs < budget {
                let width = runner.parameters[p].width
                for candidate in candidates(best.values[p], width: width, signed: runner.parameters[p].type.isSigned) {
                    var c = best
                    c.values[p] = candidate
                    if attempt(c) { break }
                }
            }
        }
        return Shrunk(smallest: best, stop: runs >= budget ? .budget : .noSimplerFailure, runs: runs, skipped: skipped)
    }

    /// Smaller values in the order worth trying: 0, the value aligned down to each huge size and
    /// to a page, halves, one page and one less.
    func candidates(_ x: UInt64, width: Int, signed: Bool) -> [UInt64] {
        let m = ConcreteDomain.mask(width)
        let v = vocabulary
        var out: [UInt64] = [0]
        for a in ([v.pud, v.pmd, v.page] + v.hugeSizes).sorted(by: >) where a > 1 { out.append(x & ~(a &- 1)) }
        if signed && ConcreteDomain.signed(x, bits: width) < 0 { out.append((0 &- x) & m) }
        out += [x >> 1, x >> 4, x >> 12, x &- v.page, x &- 1]
        return out.map { $0 & m }
    }
}

/// The "simpler than" order of the shrinker, a total order on cases: fewer VMAs, then fewer flag
/// bits on them, then the values compared one by one (smaller magnitude, then fewer set bits),
/// then the VMAs' bounds. Every descending chain is finite, so shrinking ends.
struct Simplicity: Comparable {
    let vmaCount: Int
    let flagBits: Int
    let values: [(magnitude: UInt64, bits: Int)]
    let bounds: [UInt64]

    init(_ c: TestCase, runner: ConcreteRunner) {
        vmaCount = c.layout.vmas.count
        flagBits = c.layout.vmas.reduce(0) { $0 + $1.flags.nonzeroBitCount }
        values = c.values.enumerated().map { i, v in
            let p = runner.parameters[i]
            let m = p.type.isSigned ? UInt64(ConcreteDomain.signed(v, bits: p.width).magnitude) : v
            return (m, v.nonzeroBitCount)
        }
        bounds = c.layout.vmas.flatMap { [$0.start, $0.end] }
    }

    static func < (a: Simplicity, b: Simplicity) -> Bool {
        if a.vmaCount != b.vmaCount { return a.vmaCount < b.vmaCount }
        if a.flagBits != b.flagBits { return a.flagBits < b.flagBits }
        for (x, y) in zip(a.values, b.values) where x.magnitude != y.magnitude || x.bits != y.bits {
            return x.magnitude != y.magnitude ? x.magnitude < y.magnitude : x.bits < y.bits
        }
        return a.bounds.lexicographicallyPrecedes(b.bounds)
    }

    static func == (a: Simplicity, b: Simplicity) -> Bool { !(a < b) && !(b < a) }
}

/// A case as a set element (the cache of tried candidates).
struct CaseKey: Hashable {
    let values: [UInt64]
    let vmas: [UInt64]
    init(_ c: TestCase) {
        values = c.values
        vmas = c.layout.vmas.flatMap { [$0.start, $0.end, $0.flags, $0.pgoff] }
    }
}

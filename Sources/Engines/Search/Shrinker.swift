import Placement
import Semantics

/// Makes a failing case small: drops VMAs, merges neighbours, clears their flags, and moves each
/// value toward 0 and toward aligned values (PUD, PMD, page), keeping a change only when the case
/// still fails at the same place. Every kept change makes the case strictly smaller, so it ends;
/// it stops when no change helps or the budget of runs is spent.
public struct Shrinker {
    public let runner: ConcreteRunner
    public let vocabulary: Vocabulary

    public init(runner: ConcreteRunner, vocabulary: Vocabulary) {
        self.runner = runner
        self.vocabulary = vocabulary
    }

    public func shrink(_ start: TestCase, budget: Int = 20_000) -> TestCase {
        guard case .failed(let target) = runner.run(start) else { return start }
        var best = start
        var runs = 0
        var progress = true
        // The index of best's layout, rebuilt only when a layout change is kept: value candidates
        // run against it as it is.
        var bestSpace = IndexedAddressSpace(best.layout)
        func fails(_ c: TestCase) -> Bool {
            runs += 1
            let space = c.layout == best.layout ? bestSpace : IndexedAddressSpace(c.layout)
            return runner.run(c.values, in: space) == .failed(first: target)
        }
        func keep(_ c: TestCase) {
            if c.layout != best.layout { bestSpace = IndexedAddressSpace(c.layout) }
            best = c
            progress = true
        }
        while progress && runs < budget {
            progress = false
            // Layout: fewer VMAs first, then merged neighbours, then plain flags.
            var i = best.layout.vmas.count - 1
            while i >= 0 && runs < budget {
                var c = best
                c.layout.vmas.remove(at: i)
                if fails(c) { keep(c) }
                i -= 1
            }
            i = 0
            while i + 1 < best.layout.vmas.count && runs < budget {
                var c = best
                let a = c.layout.vmas[i], b = c.layout.vmas[i + 1]
                if a.flags == b.flags {
                    c.layout.vmas[i] = VMA(start: a.start, end: b.end, flags: a.flags, pgoff: a.pgoff, name: a.name)
                    c.layout.vmas.remove(at: i + 1)
                    if fails(c) { keep(c); continue }
                }
                i += 1
            }
            for j in best.layout.vmas.indices where best.layout.vmas[j].flags != 0 && runs < budget {
                var c = best
                c.layout.vmas[j].flags = 0
                if fails(c) { keep(c) }
            }
            // Values: toward 0 and toward alignment.
            for p in best.values.indices where runs < budget {
                let width = runner.parameters[p].width
                for candidate in candidates(best.values[p], width: width, signed: runner.parameters[p].type.isSigned) {
                    var c = best
                    c.values[p] = candidate
                    if fails(c) { keep(c); break }
                }
            }
        }
        return best
    }

    /// Smaller values in the order worth trying: 0, the value aligned down to each huge size and
    /// to a page, halves, one page and one less.
    func candidates(_ x: UInt64, width: Int, signed: Bool) -> [UInt64] {
        let m = ConcreteDomain.mask(width)
        let magnitude = { (v: UInt64) -> UInt64 in signed ? UInt64(ConcreteDomain.signed(v, bits: width).magnitude) : v }
        let v = vocabulary
        var out: [UInt64] = [0]
        for a in ([v.pud, v.pmd, v.page] + v.hugeSizes).sorted(by: >) where a > 1 { out.append(x & ~(a &- 1)) }
        if signed && ConcreteDomain.signed(x, bits: width) < 0 { out.append((0 &- x) & m) }
        out += [x >> 1, x >> 4, x >> 12, x &- v.page, x &- 1]
        let mx = magnitude(x)
        return out.map { $0 & m }.filter { magnitude($0) < mx || ($0 != x && magnitude($0) == mx && $0.nonzeroBitCount < x.nonzeroBitCount) }
    }
}

import Foundation
import Placement

/// Makes and mutates address-space layouts for the fuzzer: random ones (up to 50 VMAs), real ones
/// taken from `/proc/PID/maps` files, and edge-heavy ones where placement bugs live — VMAs near
/// TASK_SIZE and the 47-bit window border, free windows of exactly `len`, `len + PMD - PAGE` and
/// `len + PMD` bytes under a top, stacks whose guard gap reaches into the window.
public struct LayoutGenerator {
    public let vocabulary: Vocabulary
    /// Layouts read from maps files (the fuzzer's seeds).
    public let seeds: [Layout]

    public init(vocabulary: Vocabulary, seeds: [Layout]) {
        self.vocabulary = vocabulary
        self.seeds = seeds
    }

    /// Reads the given layout files (/proc/PID/maps or JSON), and every readable `/proc/PID/maps`
    /// when `allProcesses` is set. A file given by name that is malformed or does not fit the
    /// configuration is an error naming the line; other processes' maps that do not fit are skipped.
    public static func seeds(paths: [String], allProcesses: Bool, config: Config) throws -> [Layout] {
        var out: [Layout] = []
        for p in paths { out.append(try LayoutFile.read(path: p, config: config)) }
        if allProcesses && config.dataModel.longBits == 64 {
            let pids = ((try? FileManager.default.contentsOfDirectory(atPath: "/proc")) ?? []).filter { $0.allSatisfy(\.isNumber) }
            for pid in pids.sorted(by: { Int($0)! < Int($1)! }) {
                if let l = try? MapsReader.layout(path: "/proc/\(pid)/maps", config: config), !l.vmas.isEmpty { out.append(l) }
            }
        }
        return out
    }

    public func generate(_ rng: inout DeterministicRandom, focus: UInt64) -> Layout {
        switch rng.below(10) {
        case 0: return .empty
        case 1, 2, 3: return random(&rng)
        case 4, 5: if !seeds.isEmpty { return edge(into: rng.pick(seeds), &rng, focus: focus) }; return edge(into: .empty, &rng, focus: focus)
        default: return edge(into: rng.chance(30) ? random(&rng) : .empty, &rng, focus: focus)
        }
    }

    /// 1–50 VMAs of 1–16 pages (or a PMD-ish size), clustered below the top-down base or above the
    /// legacy base, a few of them stacks or shadow stacks.
    public func random(_ rng: inout DeterministicRandom) -> Layout {
        let v = vocabulary
        let n = rng.chance(60) ? Int(1 + rng.below(4)) : Int(1 + rng.below(50))
        var vmas: [VMA] = []
        var cursor = rng.chance(70) ? v.mmapBase : v.legacyBase
        let downward = cursor == v.mmapBase
        for _ in 0..<n {
            let len = rng.chance(80) ? (1 + rng.below(16)) &* v.page : rng.pick(v.hugeSizes.isEmpty ? [v.page] : v.hugeSizes) &+ v.page &* rng.below(3)
            let gap = rng.chance(40) ? 0 : (rng.chance(70) ? rng.below(32) &* v.page : rng.pick(v.lengths))
            var start: UInt64
            if downward { start = cursor &- gap &- len; cursor = start } else { start = cursor &+ gap; cursor = start &+ len }
            start = v.pageAlign(start)
            vmas.append(VMA(start: start, end: start &+ len, flags: flags(&rng)))
        }
        return sanitize(vmas)
    }

    func flags(_ rng: inout DeterministicRandom) -> UInt64 {
        let v = vocabulary
        switch rng.below(20) {
        case 0, 1: return v.vmGrowsDown
        case 2: return v.vmShadowStack
        default: return 0
        }
    }

    /// Adds one edge structure to a layout.
    public func edge(into base: Layout, _ rng: inout DeterministicRandom, focus: UInt64) -> Layout {
        let v = vocabulary
        var vmas = base.vmas
        let len = focus == 0 ? v.pmd : focus
        switch rng.below(7) {
        case 5:
            // A nearly full space: one VMA from near mmap_min_addr to near the top-down base, so
            // only a sliver below it, or the bottom-up space above mmap_base, is left.
            let low = [0, v.page, v.minAddr, v.minAddr &+ v.page &* (1 + rng.below(4)), v.minAddr &+ len][Int(rng.below(5))]
            let high = [v.mmapBase, v.mmapBase &- v.page, v.mmapBase &- len &+ v.page, v.mmapBase &- v.page &* rng.below(8)][Int(rng.below(4))]
            vmas.append(VMA(start: low, end: high))
        case 6:
            // A stack low in the space, its guard gap reaching below mmap_min_addr.
            let start = v.minAddr &+ v.page &* (1 + rng.below(max(1, v.guardGap / max(v.page, 1))))
            vmas.append(VMA(start: start, end: start &+ v.page &* (1 + rng.below(4)), flags: v.vmGrowsDown))
        case 0, 1:
            // A free window of a telling width under a top T: a VMA at T, one ending at T - width.
            // Most often T is the top-down base, where every request without a hint starts looking
            // (a window under another top has the whole space above it to lose to).
            let tops = [v.mmapBase, v.window, v.taskSize, v.legacyBase &+ v.pud, v.pageAlign(rng.below(v.mmapBase | 1)),
                        rng.below(v.mmapBase | 1) & ~(v.pmd &- 1)]
            let top = rng.chance(40) ? v.mmapBase : rng.pick(tops)
            let widths = [len, len &+ v.pmd &- v.page, len &+ v.pmd, len &+ v.pmd &+ v.page, len &- v.page, len &+ v.pud, len &+ v.page]
            let width = rng.pick(widths)
            if top < v.taskSize { vmas.append(VMA(start: top, end: top &+ v.page &* (1 + rng.below(4)), flags: rng.chance(25) ? v.vmGrowsDown : 0)) }
            let low = top &- width
            // The VMA under the window starts a few pages lower, or on the PMD boundary below, so the
            // next window down has an aligned top.
            let start = rng.chance(50) ? low &- v.page &* (1 + rng.below(8)) : (low &- v.page) & ~(v.pmd &- 1)
            vmas.append(VMA(start: start, end: low, flags: rng.chance(10) ? v.vmShadowStack : 0))
        case 2:
            // Near TASK_SIZE, or at the 47-bit window border.
            let at = rng.chance(50) ? v.taskSize : v.window
            let pages = 1 + rng.below(4)
            vmas.append(rng.chance(50) ? VMA(start: at &- pages &* v.page, end: at) : VMA(start: at, end: at &+ pages &* v.page))
        case 3:
            // A stack whose guard gap reaches into the window below it.
            let top = v.pageAlign(rng.chance(50) ? v.mmapBase : rng.below(v.mmapBase | 1))
            vmas.append(VMA(start: top, end: top &+ 4 &* v.page, flags: v.vmGrowsDown))
            let below = top &- len &- v.guardGap &+ v.page &* rng.below(3)
            vmas.append(VMA(start: below &- v.page, end: below))
        default:
            // A window of exactly len at a PMD boundary, plus or minus a page.
            let start = (rng.below(v.mmapBase | 1) & ~(v.pmd &- 1)) &+ (rng.chance(50) ? 0 : v.page)
            vmas.append(VMA(start: start &- v.page, end: start))
            vmas.append(VMA(start: start &+ len, end: start &+ len &+ v.page))
        }
        return sanitize(vmas)
    }

    /// A small change: drop, add, move or re-flag a VMA, or add an edge structure.
    /// At most `n` VMAs of a layout: a run of consecutive VMAs at a random position, so that the gaps
    /// between them stay as they were (nil: the layout unchanged).
    public static func window(of layout: Layout, atMost n: Int?, _ rng: inout DeterministicRandom) -> Layout {
        guard let n, layout.vmas.count > n else { return layout }
        if n <= 0 { return .empty }
        let first = Int(rng.below(UInt64(layout.vmas.count - n + 1)))
        return Layout(vmas: Array(layout.vmas[first..<(first + n)]))
    }

    public func mutate(_ layout: Layout, _ rng: inout DeterministicRandom, focus: UInt64) -> Layout {
        let v = vocabulary
        var vmas = layout.vmas
        if vmas.isEmpty || rng.chance(30) { return edge(into: layout, &rng, focus: focus) }
        let i = Int(rng.below(UInt64(vmas.count)))
        switch rng.below(4) {
        case 0: vmas.remove(at: i)
        case 1: vmas[i].flags = flags(&rng)
        case 2:
            let d = rng.pick([v.page, v.pmd, focus])
            if rng.chance(50) { vmas[i].start = rng.chance(50) ? vmas[i].start &- d : vmas[i].start &+ d }
            else { vmas[i].end = rng.chance(50) ? vmas[i].end &- d : vmas[i].end &+ d }
        default:
            let s = v.pageAlign(rng.below(v.taskSize | 1))
            vmas.append(VMA(start: s, end: s &+ v.page &* (1 + rng.below(8)), flags: flags(&rng)))
        }
        return sanitize(vmas)
    }

    /// Page-aligned, inside [0, TASK_SIZE_MAX), non-empty, sorted, disjoint: later VMAs that
    /// overlap an earlier one are dropped.
    public func sanitize(_ vmas: [VMA]) -> Layout {
        let v = vocabulary
        let limit = v.taskSizeMax == 0 ? v.mask : v.taskSizeMax
        // Kept sorted by start as they come: they are disjoint, so a new VMA overlaps one of them
        // exactly when the last one starting below its end reaches past its start (a binary
        // search, not a scan of every kept VMA: layouts of 50 VMAs are made on every fifth run).
        var kept: [VMA] = []
        kept.reserveCapacity(vmas.count)
        for var x in vmas {
            x.start = v.pageAlign(x.start)
            x.end = v.pageAlign(x.end)
            if x.end > limit { x.end = limit }
            guard x.start < x.end else { continue }
            var lo = 0, hi = kept.count
            while lo < hi {
                let mid = (lo + hi) >> 1
                if kept[mid].start < x.end { lo = mid + 1 } else { hi = mid }
            }
            if lo > 0 && kept[lo - 1].end > x.start { continue }
            if lo == kept.count { kept.append(x) } else { kept.insert(x, at: lo) }
        }
        return Layout(sorted: kept)
    }
}

import Engines
import Placement

/// What a counterexample's picture shows: the layout, the range the placement chose, the file
/// offset it should be congruent to, and the nearest free congruent range it missed. VMAs the
/// property inserted (`insert_vma`, between the requests of a sequence) are part of the layout shown.
///
/// The chosen range comes from the property's direct call that has a `len` parameter and returned
/// an address (e.g. `do_mmap_placement`), else from a local named `r`, `va`, `ret` or `addr` and an
/// input or local named `len`. The offset is the call's `pgoff << PAGE_SHIFT` (or `off`), else a
/// local `off`, else 0.
public struct PlacementView {
    public var layout: Layout
    public var chosen: (start: UInt64, length: UInt64)?
    public var offset: UInt64
    public var align: UInt64
    public var missed: UInt64?
    public let vocabulary: Vocabulary
    /// Where an unhinted search looks: below mmap_base top-down, above the legacy base bottom-up
    /// (a hinted request may land anywhere in [mmap_min_addr, TASK_SIZE)). The missed range is
    /// looked for only there: a congruent range the search could never reach was not missed.
    public var window: (low: UInt64, high: UInt64)

    public init(finding: Finding, config: Config) {
        let v = Vocabulary(config: config)
        vocabulary = v
        let c = finding.counterexample
        // The layout as the last request saw it: the starting VMAs and what the property inserted.
        let inserted = (c.calls ?? []).filter { $0.function == "insert_vma" }.compactMap { call -> VMA? in
            guard let s = call.argument("start"), let e = call.argument("end"), s < e else { return nil }
            return VMA(start: s, end: e, flags: call.argument("vm_flags") ?? 0, pgoff: call.argument("pgoff") ?? 0)
        }
        layout = Layout(vmas: ((c.layout ?? []) + inserted).sorted { $0.start < $1.start })
        align = v.pmd
        offset = 0
        let topDown = config.number(.topDown) != 0
        window = topDown ? (v.minAddr, v.mmapBase == 0 ? v.taskSize : v.mmapBase) : (max(v.minAddr, v.legacyBase), v.taskSize)
        let pageShift = UInt64(v.page.trailingZeroBitCount)
        let isError = { (x: UInt64) in x > v.mask &- config.number(.maxErrno) }
        if let call = c.calls?.last(where: { $0.argument("len") != nil && $0.resultValue.map { !isError($0) } == true }),
           let r = call.resultValue, let len = call.argument("len") {
            chosen = (r, v.pageAlign(len &+ v.page &- 1))
            if let hint = call.argument("addr"), hint != 0 { window = (v.minAddr, v.taskSize) }
            if let pg = call.argument("pgoff") { offset = (pg << pageShift) & v.mask } else if let off = call.argument("off") { offset = off }
        } else {
            let value = { (name: String) -> UInt64? in
                if let l = c.locals[name] { return l.word }
                return c.inputs.first { $0.name == name }?.bits
            }
            if let r = ["r", "va", "ret", "addr"].lazy.compactMap(value).first(where: { !isError($0) }), let len = value("len") {
                chosen = (r, v.pageAlign(len &+ v.page &- 1))
            }
            offset = value("off") ?? 0
        }
        if let ch = chosen, ch.length > 0, (ch.start &- offset) & (align &- 1) != 0 {
            missed = nearestCongruent(to: ch.start, length: ch.length)
        }
    }

    /// Whether the chosen VA is congruent to the offset modulo `align`.
    public var congruent: Bool { chosen.map { ($0.start &- offset) & (align &- 1) == 0 } ?? true }

    /// The free range `[x, x + length)` with `x ≡ offset (mod align)` nearest to `near`, inside
    /// the search window and clear of guard gaps.
    func nearestCongruent(to near: UInt64, length: UInt64) -> UInt64? {
        let v = vocabulary
        var best: UInt64?
        var lo = window.low
        let vmas = layout.vmas
        for i in 0...vmas.count {
            var hi = i < vmas.count ? vmas[i].start : window.high
            if i < vmas.count && vmas[i].flags & v.vmGrowsDown != 0 && v.vmGrowsDown != 0 { hi = hi >= v.guardGap ? hi - v.guardGap : 0 }
            hi = min(hi, window.high)
            if hi > lo && hi - lo >= length {
                let first = lo &+ ((offset &- lo) & (align &- 1))
                let lastStart = hi - length
                if first <= lastStart && first >= lo {
                    let last = lastStart &- ((lastStart &- offset) & (align &- 1))
                    let clamped = min(max(near, first), last)
                    let candidate = clamped &- ((clamped &- offset) & (align &- 1))
                    for x in [candidate, candidate &+ align, first, last] where x >= first && x <= last {
                        let d = x > near ? x - near : near - x
                        if best.map({ (($0 > near ? $0 - near : near - $0) > d) }) ?? true { best = x }
                    }
                }
            }
            if i < vmas.count { lo = max(lo, vmas[i].end) }
        }
        return best
    }

    /// One stretch of the picture, top (high addresses) first: what lies there (a VMA, a guard gap
    /// or nothing) and whether the chosen and/or the missed range cover it.
    public struct Segment: Equatable {
        public enum Kind: Equatable { case vma(UInt64), free, guardGap, chosen, missed }
        public var start: UInt64
        public var end: UInt64
        public var kind: Kind
        public var label: String
        public var chosen = false
        public var missed = false
    }

    /// A marker line between segments: an address with what is there (PMD/PUD boundary, limits).
    public struct Mark: Equatable {
        public var address: UInt64
        public var text: String
    }

    /// The stretch of the address space worth drawing: the chosen and missed ranges and the VMAs
    /// around them (all VMAs when there is no chosen range), with the free gaps between.
    public func segments() -> (segments: [Segment], marks: [Mark]) {
        let v = vocabulary
        var focusLow = UInt64.max, focusHigh: UInt64 = 0
        for r in [chosen.map { ($0.start, $0.start &+ $0.length) }, missed.map { ($0, $0 &+ (chosen?.length ?? 0)) }].compactMap({ $0 }) {
            focusLow = min(focusLow, r.0); focusHigh = max(focusHigh, r.1)
        }
        var vmas = layout.vmas
        if focusLow <= focusHigh {
            let span = max(focusHigh - focusLow, align) &* 4
            let near = vmas.filter { $0.end &+ span >= focusLow && $0.start <= focusHigh &+ span }
            let below = vmas.last { $0.end <= focusLow }, above = vmas.first { $0.start >= focusHigh }
            vmas = (near + [below, above].compactMap { $0 }).reduce(into: [VMA]()) { if !$0.contains($1) { $0.append($1) } }.sorted { $0.start < $1.start }
        }
        var pieces: [Segment] = vmas.map { x in
            Segment(start: x.start, end: x.end, kind: .vma(x.flags), label: "VMA" + (x.name.isEmpty ? "" : " \(x.name)") + flagText(x.flags))
        }
        for x in vmas where v.vmGrowsDown != 0 && x.flags & v.vmGrowsDown != 0 {
            let g = x.start >= v.guardGap ? x.start - v.guardGap : 0
            let below = vmas.last { $0.end <= x.start }?.end ?? 0
            if max(g, below) < x.start { pieces.append(Segment(start: max(g, below), end: x.start, kind: .guardGap, label: "guard gap of the stack above")) }
        }
        if let ch = chosen {
            pieces.append(Segment(start: ch.start, end: ch.start &+ ch.length, kind: .chosen,
                                  label: "CHOSEN by the placement" + (congruent ? "" : String(format: " (VA - off ≡ 0x%llx mod 0x%llx)", (ch.start &- offset) & (align &- 1), align))))
        }
        if let m = missed, let ch = chosen {
            pieces.append(Segment(start: m, end: m &+ ch.length, kind: .missed, label: "missed: free and congruent to the offset"))
        }
        // Cut everything into elementary stretches; each says what lies there and what covers it.
        let lowest = pieces.map(\.start).min() ?? 0, highest = pieces.map(\.end).max() ?? 0
        let cuts = Set(pieces.flatMap { [$0.start, $0.end] } + [lowest, highest]).sorted()
        var stretches: [Segment] = []
        for (a, b) in zip(cuts, cuts.dropFirst()) {
            let over = pieces.filter { $0.start <= a && $0.end >= b }
            let base = over.first { if case .vma = $0.kind { return true }; return false } ?? over.first { $0.kind == .guardGap }
            var seg = Segment(start: a, end: b, kind: base?.kind ?? .free, label: base?.label ?? "free")
            seg.chosen = over.contains { $0.kind == .chosen }
            seg.missed = over.contains { $0.kind == .missed }
            let extra = over.filter { $0.kind == .chosen || $0.kind == .missed }.map(\.label)
            if !extra.isEmpty { seg.label = (base == nil ? [] : [seg.label]) .plus(extra).joined(separator: " + ") }
            stretches.append(seg)
        }
        pieces = stretches
        // Marks: PMD/PUD boundaries in the drawn range (a few), and the limits.
        var marks: [Mark] = []
        for (size, name) in [(v.pud, "PUD"), (v.pmd, "PMD")] where size > 0 && highest > lowest {
            var a = (lowest &+ size &- 1) & ~(size &- 1)
            var n = 0
            while a < highest && n < 6 {
                if !marks.contains(where: { $0.address == a }) { marks.append(Mark(address: a, text: "\(name) boundary")) }
                a &+= size; n += 1
                if a == 0 { break }
            }
        }
        for (a, name) in [(v.mmapBase, "mmap_base"), (v.taskSize, "TASK_SIZE"), (v.window, "DEFAULT_MAP_WINDOW"), (v.minAddr, "mmap_min_addr")]
        where a >= lowest && a <= highest {
            if let i = marks.firstIndex(where: { $0.address == a }) { marks[i].text += ", \(name)" } else { marks.append(Mark(address: a, text: name)) }
        }
        return (pieces.sorted { $0.start > $1.start }, marks.sorted { $0.address > $1.address })
    }

    func flagText(_ f: UInt64) -> String {
        var parts: [String] = []
        let v = vocabulary
        if v.vmGrowsDown != 0 && f & v.vmGrowsDown != 0 { parts.append("GROWSDOWN stack") }
        if v.vmShadowStack != 0 && f & v.vmShadowStack != 0 { parts.append("shadow stack") }
        return parts.isEmpty ? "" : " (" + parts.joined(separator: ", ") + ")"
    }
}

extension Array {
    func plus(_ other: [Element]) -> [Element] { self + other }
}

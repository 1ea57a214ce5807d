import KernelC
import Placement
import Semantics

/// Makes and mutates the values of a property's parameters. What a parameter gets depends on its
/// type and name, the way a placement request is built: `struct file *` takes the file kinds,
/// `flags` MAP_* combinations, `len` lengths around PMD/PUD multiples, `pgoff`/`off` offsets with
/// interesting low bits, addresses and hints land on and next to boundaries and the layout's edges.
/// Any parameter may also get a plain random word, so nothing is excluded — but the values of a
/// small-domain parameter that the property's assumptions on it alone reject (`allowed`), which
/// could only make vacuous runs.
public final class InputGenerator {
    public enum Kind: Equatable { case bool, file, mapFlags, vmFlags, small, length, pgoff, offset, address, word }

    public let vocabulary: Vocabulary
    public let kinds: [Kind]
    public let widths: [Int]
    /// Precomputed for the hot loop: the huge sizes (the page when there are none), and the
    /// boundaries and lengths together.
    let hugeOrPage: [UInt64]
    let words: [UInt64]
    /// The MAP_* bits without their names.
    let mapBitValues: [UInt64]
    /// Per parameter: the only values worth drawing or mutating to, when the property's
    /// assumptions allow few (`AssumptionGuide.choices`); nil: any.
    public var allowed: [[UInt64]?]

    public init(parameters: [(name: String, type: CType, width: Int)], vocabulary: Vocabulary) {
        self.vocabulary = vocabulary
        hugeOrPage = vocabulary.hugeSizes.isEmpty ? [vocabulary.page] : vocabulary.hugeSizes
        words = vocabulary.boundaries + vocabulary.lengths
        mapBitValues = vocabulary.mapBits.map(\.1)
        allowed = Array(repeating: nil, count: parameters.count)
        widths = parameters.map(\.width)
        kinds = parameters.map { p in
            let n = p.name.lowercased()
            if p.type == .bool { return .bool }
            if case .pointer(.file) = p.type { return .file }
            if n.contains("vm_flags") || n.contains("vmflags") { return .vmFlags }
            if n.contains("flags") { return .mapFlags }
            if n.contains("order") || n.contains("shift") || n.contains("index") || n.contains("count") || (p.type.isSigned && p.width <= 32) { return .small }
            if n.contains("pgoff") { return .pgoff }
            if n == "off" || n.contains("offset") || n.hasSuffix("_off") { return .offset }
            if n.contains("len") || n.contains("size") || n.contains("length") { return .length }
            if n.contains("addr") || n.contains("hint") || n == "va" || n.contains("start") || n.contains("end") || n.contains("phys")
                || n.contains("base") || n.contains("limit") || n == "low" || n == "high" { return .address }
            return .word
        }
    }

    /// Fresh values for every parameter. `focus` is a length the layout generator built windows
    /// around; length parameters often take it.
    public func generate(_ rng: inout DeterministicRandom, layout: Layout, focus: UInt64) -> [UInt64] {
        kinds.indices.map { value($0, &rng, layout: layout, focus: focus) }
    }

    public func value(_ i: Int, _ rng: inout DeterministicRandom, layout: Layout, focus: UInt64) -> UInt64 {
        if let a = allowed[i] { return rng.pick(a) }
        let v = vocabulary
        let m = ConcreteDomain.mask(widths[i])
        if rng.chance(4) { return rng.next() & m }
        let raw: UInt64
        switch kinds[i] {
        case .bool: raw = rng.next() & 1
        case .file: raw = rng.pick(v.fileKinds)
        case .mapFlags:
            var f: UInt64 = rng.chance(50) ? v.mapPrivate : v.mapShared
            if rng.chance(50) { f |= v.mapAnonymous }
            for b in mapBitValues where rng.chance(12) { f |= b }
            raw = f
        case .vmFlags:
            switch rng.chance(50) ? 3 : rng.below(3) {
            case 0: raw = v.vmGrowsDown
            case 1: raw = v.vmShadowStack
            case 2: raw = v.vmGrowsDown | v.vmShadowStack
            default: raw = 0
            }
        case .small:
            raw = rng.chance(85) ? rng.below(UInt64(min(widths[i], 64)) + 2) : (rng.chance(50) ? 0 &- rng.below(3) : rng.next())
        case .length:
            switch rng.below(6) {
            case 0, 1: raw = focus
            case 2: raw = rng.pick(v.lengths)
            case 3: raw = rng.pick(hugeOrPage) &* (1 + rng.below(4)) &+ v.page &* rng.below(3)
            case 4: raw = v.pageAlign(rng.below(v.taskSize | 1))
            default: raw = (1 + rng.below(32)) &* v.page &+ (rng.chance(20) ? 1 : 0)
            }
        case .pgoff:
            let pagesPerPMD = v.pmd / max(v.page, 1), pagesPerPUD = v.pud / max(v.page, 1)
            switch rng.below(6) {
            case 0: raw = 0
            case 1: raw = rng.below(4)
            case 2:
                let k = rng.below(3)
                raw = pagesPerPMD &* rng.below(4) &+ (k == 2 ? pagesPerPMD &- 1 : k)
            case 3: raw = pagesPerPUD &* rng.below(3) &+ rng.below(2) &* pagesPerPMD
            case 4: raw = (m >> UInt64(v.page.trailingZeroBitCount)) &- rng.below(4)
            default: raw = rng.next() >> rng.below(64)
            }
        case .offset:
            let base = rng.pick(hugeOrPage) &* rng.below(4)
            raw = base &+ (rng.chance(50) ? 0 : v.page &* (1 + rng.below(8))) &+ (rng.chance(10) ? 1 : 0)
        case .address:
            raw = address(&rng, layout: layout, focus: focus)
        case .word:
            raw = rng.chance(50) ? rng.pick(words) : (rng.chance(50) ? rng.below(64) : rng.next())
        }
        return raw & m
    }

    func address(_ rng: inout DeterministicRandom, layout: Layout, focus: UInt64) -> UInt64 {
        let v = vocabulary
        switch rng.below(7) {
        case 0: return 0
        case 1: return rng.pick(v.boundaries)
        case 2, 3:
            guard let vma = layout.vmas.isEmpty ? nil : rng.pick(layout.vmas) else { return v.pageAlign(rng.below(v.taskSize | 1)) }
            let anchor = rng.chance(50) ? vma.start : vma.end
            let delta: UInt64
            switch rng.below(5) {
            case 0: delta = 0
            case 1: delta = v.page
            case 2: delta = focus
            case 3: delta = focus &+ v.page
            default: delta = v.pmd
            }
            return rng.chance(50) ? anchor &- delta : anchor &+ delta
        case 4:
            let align = rng.pick(hugeOrPage)
            return (rng.below(v.taskSize | 1) & ~(align &- 1)) &+ (rng.chance(50) ? 0 : v.page &* rng.below(4))
        case 5: return v.taskSize &- focus &- v.page &* rng.below(2)
        default: return v.pageAlign(rng.below(v.taskSize | 1)) &+ (rng.chance(10) ? 1 + rng.below(v.page) : 0)
        }
    }

    /// A small change to one value: a bit, a page or a PMD either way, a new value of its kind,
    /// alignment up or down, or another parameter's value.
    public func mutate(_ values: inout [UInt64], _ rng: inout DeterministicRandom, layout: Layout, focus: UInt64) {
        guard !values.isEmpty else { return }
        let i = Int(rng.below(UInt64(values.count)))
        if let a = allowed[i] { values[i] = rng.pick(a); return }
        let v = vocabulary
        let m = ConcreteDomain.mask(widths[i])
        var x = values[i]
        switch rng.below(9) {
        case 0: x ^= 1 << rng.below(UInt64(widths[i]))
        case 1: x = rng.chance(50) ? x &+ v.page : x &- v.page
        case 2: x = rng.chance(50) ? x &+ v.pmd : x &- v.pmd
        case 3: x = rng.chance(50) ? x &+ 1 : x &- 1
        case 4: let a = rng.pick(hugeOrPage); x &= ~(a &- 1)
        case 5: x = values[Int(rng.below(UInt64(values.count)))]
        case 6: x = kinds[i] == .mapFlags ? x ^ rng.pick(mapBitValues) : x ^ (rng.next() & rng.next())
        default: x = value(i, &rng, layout: layout, focus: focus)
        }
        values[i] = x & m
    }
}

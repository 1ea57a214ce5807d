import KernelC
import Placement

/// The address space a placement runs against, as the layout primitives see it. VMA handles are
/// 1-based indices (0 is NULL).
public protocol AddressSpace<D> {
    associatedtype D: Domain
    func findVMA(_ addr: D.Word) -> D.Word
    /// The last VMA with `vm_end <= addr` (0 when none).
    func vmaBefore(_ addr: D.Word) -> D.Word
    func field(_ vma: D.Word, _ f: VMAField) -> D.Word
    /// `mas_empty_area(low, high - 1, size)`: success and the lowest start.
    func areaLowest(low: D.Word, high: D.Word, size: D.Word) -> (ok: D.Truth, start: D.Word)
    /// `mas_empty_area_rev(low, high - 1, size)`: success and the window's end (last + 1).
    func areaHighest(low: D.Word, high: D.Word, size: D.Word) -> (ok: D.Truth, end: D.Word)
}

/// One VMA slot of a layout over a value domain. A slot that is not `present` is not there; present
/// slots come first and are sorted and disjoint (the prover assumes this of symbolic layouts).
public struct VMASlot<D: Domain> {
    public var present: D.Truth
    public var start: D.Word
    public var end: D.Word
    public var flags: D.Word
    public var pgoff: D.Word

    public init(present: D.Truth, start: D.Word, end: D.Word, flags: D.Word, pgoff: D.Word) {
        self.present = present
        self.start = start
        self.end = end
        self.flags = flags
        self.pgoff = pgoff
    }

    /// The value of one field.
    public subscript(_ f: VMAField) -> D.Word {
        switch f {
        case .start: return start
        case .end: return end
        case .flags: return flags
        case .pgoff: return pgoff
        }
    }
}

/// The reference semantics of the layout primitives, written once over any domain: a scan of all
/// slots and all gaps, merged with `ite`. The prover uses it with symbolic VMAs; tests run it with
/// concrete ones to check `IndexedAddressSpace`.
public struct SlotAddressSpace<D: Domain>: AddressSpace {
    public let domain: D
    public let bits: Int
    public let slots: [VMASlot<D>]

    public init(domain: D, bits: Int, slots: [VMASlot<D>]) {
        self.domain = domain
        self.bits = bits
        self.slots = slots
    }

    func k(_ v: UInt64) -> D.Word { domain.constant(v, bits: bits) }

    public func findVMA(_ addr: D.Word) -> D.Word {
        var r = k(0)
        for (i, s) in slots.enumerated().reversed() {
            r = domain.ite(domain.and(s.present, domain.ult(addr, s.end, bits: bits)), k(UInt64(i + 1)), r, bits: bits)
        }
        return r
    }

    public func vmaBefore(_ addr: D.Word) -> D.Word {
        var r = k(0)
        for (i, s) in slots.enumerated() {
            r = domain.ite(domain.and(s.present, domain.ule(s.end, addr, bits: bits)), k(UInt64(i + 1)), r, bits: bits)
        }
        return r
    }

    public func field(_ vma: D.Word, _ f: VMAField) -> D.Word {
        var r = k(0)
        for (i, s) in slots.enumerated() {
            r = domain.ite(domain.eq(vma, k(UInt64(i + 1)), bits: bits), s[f], r, bits: bits)
        }
        return r
    }

    /// For each gap j (between slot j-1 and slot j): whether it exists and fits, and its clipped
    /// bounds `[a, b]` inside `[min, max]`.
    func gaps(min: D.Word, max: D.Word, size: D.Word) -> [(fits: D.Truth, a: D.Word, b: D.Word)] {
        let d = domain
        var out: [(D.Truth, D.Word, D.Word)] = []
        let sizeMinus1 = d.sub(size, k(1), bits: bits)
        for j in 0...slots.count {
            let exists = j == 0 ? d.truth(true) : slots[j - 1].present
            let lo = j == 0 ? k(0) : slots[j - 1].end
            let isTop = j == slots.count ? d.truth(true) : d.not(slots[j].present)
            let hi = j == slots.count ? k(.max) : d.ite(isTop, k(.max), d.sub(slots[j].start, k(1), bits: bits), bits: bits)
            let nonEmpty = j == slots.count ? d.truth(true) : d.or(isTop, d.ult(lo, slots[j].start, bits: bits))
            let part = clipped(lo: lo, hi: hi, min: min, max: max, sizeMinus1: sizeMinus1)
            out.append((d.and(d.and(exists, nonEmpty), part.fits), part.a, part.b))
        }
        return out
    }

    /// The part `[a, b]` of a free range `[lo, hi]` inside the window `[min, max]`, and whether it
    /// holds `sizeMinus1 + 1` bytes: the test a window search applies to each gap (`gaps`), and
    /// the abstract layout to each free range it knows of (which fit a search takes).
    func clipped(lo: D.Word, hi: D.Word, min: D.Word, max: D.Word, sizeMinus1: D.Word) -> (fits: D.Truth, a: D.Word, b: D.Word) {
        let d = domain
        let a = d.ite(d.ult(lo, min, bits: bits), min, lo, bits: bits)
        let b = d.ite(d.ult(max, hi, bits: bits), max, hi, bits: bits)
        return (d.and(d.ule(a, b, bits: bits), d.ule(sizeMinus1, d.sub(b, a, bits: bits), bits: bits)), a, b)
    }

    func valid(min: D.Word, max: D.Word, size: D.Word) -> D.Truth {
        let d = domain
        let bad = d.or(d.ult(max, min, bits: bits),
                       d.or(d.eq(size, k(0), bits: bits), d.ult(d.sub(max, min, bits: bits), d.sub(size, k(1), bits: bits), bits: bits)))
        return d.not(bad)
    }

    public func areaLowest(low: D.Word, high: D.Word, size: D.Word) -> (ok: D.Truth, start: D.Word) {
        let max = domain.sub(high, k(1), bits: bits)
        var ok = domain.truth(false), start = k(0)
        for g in gaps(min: low, max: max, size: size).reversed() {
            start = domain.ite(g.fits, g.a, start, bits: bits)
            ok = domain.or(ok, g.fits)
        }
        let found = domain.and(valid(min: low, max: max, size: size), ok)
        return (found, domain.ite(found, start, k(0), bits: bits))
    }

    public func areaHighest(low: D.Word, high: D.Word, size: D.Word) -> (ok: D.Truth, end: D.Word) {
        let max = domain.sub(high, k(1), bits: bits)
        var ok = domain.truth(false), last = k(0)
        for g in gaps(min: low, max: max, size: size) {
            last = domain.ite(g.fits, g.b, last, bits: bits)
            ok = domain.or(ok, g.fits)
        }
        let found = domain.and(valid(min: low, max: max, size: size), ok)
        return (found, domain.add(domain.ite(found, last, k(0), bits: bits), k(1), bits: bits))
    }
}

/// The concrete address space backed by the O(log n) `VMAIndex`.
public struct IndexedAddressSpace: AddressSpace {
    public typealias D = ConcreteDomain
    public let index: VMAIndex

    public init(_ layout: Layout) { index = VMAIndex(layout) }
    public init(_ index: VMAIndex) { self.index = index }

    // Inlinable, like `VMAIndex`'s accessors: the compiled code's questions come through here.
    @inlinable public func findVMA(_ addr: UInt64) -> UInt64 { index.findVMA(addr).map { UInt64($0 + 1) } ?? 0 }
    @inlinable public func vmaBefore(_ addr: UInt64) -> UInt64 { index.vmaBefore(addr).map { UInt64($0 + 1) } ?? 0 }
    @inlinable public func field(_ vma: UInt64, _ f: VMAField) -> UInt64 {
        guard vma >= 1, vma <= UInt64(index.count) else { return 0 }
        let i = Int(vma - 1)
        switch f {
        case .start: return index.start(i)
        case .end: return index.end(i)
        case .flags: return index.flags(i)
        case .pgoff: return index.pgoff(i)
        }
    }
    public func areaLowest(low: UInt64, high: UInt64, size: UInt64) -> (ok: Bool, start: UInt64) {
        guard let s = index.lowest(min: low, max: high &- 1, size: size) else { return (false, 0) }
        return (true, s)
    }
    public func areaHighest(low: UInt64, high: UInt64, size: UInt64) -> (ok: Bool, end: UInt64) {
        guard let l = index.highestLast(min: low, max: high &- 1, size: size) else { return (false, 1) }
        return (true, l &+ 1)
    }
}

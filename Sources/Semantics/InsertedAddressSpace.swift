import KernelC

/// An address space with one more VMA than its base: what a property sees after `insert_vma`
/// (the mapping a successful mmap creates), so that a second placement runs against the first
/// one's result. Written once over any domain and any base — concrete, slots or the abstract
/// layout of `layout any` — by answering every question through the base's own answers:
///
/// - `find_vma(a)`: the base's answer, or the new VMA when it ends above `a` and lower;
/// - a window search: the base searched below the new VMA, and above it — the free ranges of the
///   union are exactly the base's free ranges on either side (the new VMA lies in a gap of the base,
///   which `insert_vma` checks). The lowest fit is the lower part's if any; the highest the upper's.
///
/// Nothing the base said before the insertion is related to the new VMA, which is what makes this
/// sound over the abstract layout: facts about questions asked earlier stay facts about the layout
/// as it was. Each insertion nests one more wrapper (window searches cost 2^n base searches after n
/// insertions; properties make a few calls).
public struct InsertedAddressSpace<D: Domain>: AddressSpace {
    public let base: any AddressSpace<D>
    public let vma: VMASlot<D>
    public let domain: D
    public let bits: Int
    /// This VMA's handle: the top of the space minus twice the nesting depth — an odd number near
    /// the top. Never a base handle: those are small indices, or VMA ends (page-aligned, so even).
    public let handle: D.Word

    /// `vma.present` is the path condition of the insertion; `vma.start < vma.end`.
    public init(base: any AddressSpace<D>, vma: VMASlot<D>, domain: D, bits: Int) {
        self.base = base
        self.vma = vma
        self.domain = domain
        self.bits = bits
        depth = (base as? InsertedAddressSpace<D>).map { $0.depth + 1 } ?? 0
        handle = domain.constant(UInt64.max >> UInt64(64 - bits) - 2 * UInt64(depth), bits: bits)
    }

    /// How many insertions lie below this one.
    let depth: Int

    func k(_ v: UInt64) -> D.Word { domain.constant(v, bits: bits) }

    public func findVMA(_ addr: D.Word) -> D.Word {
        let d = domain
        let b = base.findVMA(addr)
        let mine = d.and(vma.present, d.ult(addr, vma.end, bits: bits))
        let lower = d.or(d.eq(b, k(0), bits: bits), d.ult(vma.end, base.field(b, .end), bits: bits))
        return d.ite(d.and(mine, lower), handle, b, bits: bits)
    }

    public func vmaBefore(_ addr: D.Word) -> D.Word {
        let d = domain
        let b = base.vmaBefore(addr)
        let mine = d.and(vma.present, d.ule(vma.end, addr, bits: bits))
        let higher = d.or(d.eq(b, k(0), bits: bits), d.ult(base.field(b, .end), vma.end, bits: bits))
        return d.ite(d.and(mine, higher), handle, b, bits: bits)
    }

    public func field(_ h: D.Word, _ f: VMAField) -> D.Word {
        domain.ite(domain.and(vma.present, domain.eq(h, handle, bits: bits)), vma[f], base.field(h, f), bits: bits)
    }

    /// The window `[low, high)` cut at the new VMA: below it `[low, start)` (high' = min(high - 1,
    /// start - 1) + 1, which cannot wrap), above it `[max(low, end), high)`; each usable only when
    /// it is not empty (a wrapped `high` of 0, the top of the space, stays the top).
    func parts(low: D.Word, high: D.Word) -> (belowOK: D.Truth, belowHigh: D.Word, aboveOK: D.Truth, aboveLow: D.Word) {
        let d = domain
        let max = d.sub(high, k(1), bits: bits)
        let startMinus1 = d.sub(vma.start, k(1), bits: bits)
        let belowMax = d.ite(d.ult(max, startMinus1, bits: bits), max, startMinus1, bits: bits)
        let belowOK = d.ult(low, vma.start, bits: bits)
        let aboveLow = d.ite(d.ult(low, vma.end, bits: bits), vma.end, low, bits: bits)
        let aboveOK = d.ule(aboveLow, max, bits: bits)
        return (belowOK, d.add(belowMax, k(1), bits: bits), aboveOK, aboveLow)
    }

    public func areaLowest(low: D.Word, high: D.Word, size: D.Word) -> (ok: D.Truth, start: D.Word) {
        let r = search(low: low, high: high, lowestFirst: true, failed: k(0)) { let x = base.areaLowest(low: $0, high: $1, size: size); return (x.ok, x.start) }
        return (r.ok, r.value)
    }

    public func areaHighest(low: D.Word, high: D.Word, size: D.Word) -> (ok: D.Truth, end: D.Word) {
        // A failed search's end is 1, as the base spaces give it (last 0, plus 1).
        let r = search(low: low, high: high, lowestFirst: false, failed: k(1)) { let x = base.areaHighest(low: $0, high: $1, size: size); return (x.ok, x.end) }
        return (r.ok, r.value)
    }

    /// A window search of the union: the base searched below the new VMA and above it, the lower
    /// part's fit preferred for the lowest, the upper part's for the highest; the base alone where
    /// the insertion's path was not taken.
    func search(low: D.Word, high: D.Word, lowestFirst: Bool, failed: D.Word,
                _ baseSearch: (D.Word, D.Word) -> (ok: D.Truth, value: D.Word)) -> (ok: D.Truth, value: D.Word) {
        let d = domain
        if d.literal(vma.present) == false { return baseSearch(low, high) }
        let p = parts(low: low, high: high)
        let below = baseSearch(low, p.belowHigh), above = baseSearch(p.aboveLow, high)
        let belowOK = d.and(p.belowOK, below.ok), aboveOK = d.and(p.aboveOK, above.ok)
        let (first, firstOK, second, secondOK) = lowestFirst ? (below, belowOK, above, aboveOK) : (above, aboveOK, below, belowOK)
        let ok = d.or(firstOK, secondOK)
        let value = d.ite(firstOK, first.value, d.ite(secondOK, second.value, failed, bits: bits), bits: bits)
        if d.literal(vma.present) == true { return (ok, value) }
        let whole = baseSearch(low, high)
        return (d.ite(vma.present, ok, whole.ok), d.ite(vma.present, value, whole.value, bits: bits))
    }
}

extension InsertedAddressSpace {
    /// `base` with `inserted` on top, in order: the layout a run sees after its `insert_vma` calls.
    public static func stacked(_ base: (any AddressSpace<D>)?, _ inserted: [VMASlot<D>], domain: D, bits: Int) -> any AddressSpace<D> {
        var s: any AddressSpace<D> = base ?? SlotAddressSpace(domain: domain, bits: bits, slots: [])
        for v in inserted { s = InsertedAddressSpace(base: s, vma: v, domain: domain, bits: bits) }
        return s
    }

    /// Whether `[start, end)` is non-empty and free in `space`: what `insert_vma` obliges.
    public static func fits(start: D.Word, end: D.Word, in space: any AddressSpace<D>, domain: D, bits: Int) -> D.Truth {
        let next = space.findVMA(start)
        let free = domain.or(domain.eq(next, domain.constant(0, bits: bits), bits: bits),
                             domain.ule(end, space.field(next, .start), bits: bits))
        return domain.and(domain.ult(start, end, bits: bits), free)
    }
}

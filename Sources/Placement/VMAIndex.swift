/// The concrete window search: the maple tree's `mas_empty_area` / `mas_empty_area_rev` and
/// `find_vma` in O(log n), so a layout of vm.max_map_count (65 530) VMAs costs microseconds a call.
///
/// Gaps are numbered 0...n: gap j lies between VMA j-1 and VMA j (gap 0 below the first VMA, gap n
/// above the last, up to 2^64 - 1). A segment tree keeps the largest gap of each subtree, so the
/// first (or last) gap of at least `size` bytes inside a range of gaps is found by one descent; the
/// two gaps at the ends of the range are clipped to `[min, max]` and tested directly.
///
/// The reference semantics is `SlotAddressSpace` (Semantics), defined over any value domain; tests
/// check that this index answers every query exactly as that does.
public final class VMAIndex: @unchecked Sendable {
    /// Everything in one buffer (the fuzzer indexes a new layout on about every fifth run, so
    /// allocations count): starts, ends, flags and pgoffs (n each), the gap sizes (n + 1; per gap
    /// `hi - lo + 1`, saturated at 2^64 - 1, 0 for an empty gap), then the segment tree (2 ×
    /// `leaves`). Immutable once built.
    @usableFromInline let buffer: UnsafeMutablePointer<UInt64>
    public let count: Int
    let leaves: Int

    public init(_ layout: Layout) {
        let n = layout.vmas.count
        var p = 1
        while p < n + 1 { p <<= 1 }
        leaves = p
        count = n
        let b = UnsafeMutablePointer<UInt64>.allocate(capacity: 5 * n + 1 + 2 * p)
        buffer = b
        let gaps = b + 4 * n, tree = gaps + n + 1
        var lo: UInt64 = 0
        layout.vmas.withUnsafeBufferPointer { vmas in
            for (i, v) in vmas.enumerated() {
                b[i] = v.start; b[n + i] = v.end; b[2 * n + i] = v.flags; b[3 * n + i] = v.pgoff
                gaps[i] = v.start > lo ? v.start - lo : 0
                lo = v.end
            }
        }
        let span = UInt64.max - lo
        gaps[n] = span == .max ? .max : span + 1
        tree.initialize(repeating: 0, count: 2 * p)
        for j in 0...n { tree[p + j] = gaps[j] }
        if p > 1 { for i in stride(from: p - 1, through: 1, by: -1) { tree[i] = max(tree[2 * i], tree[2 * i + 1]) } }
    }

    deinit { buffer.deallocate() }

    /// Starts, ends, flags and pgoffs, `count` each: what the compiled code's C twin of `findVMA`
    /// and of field reads reads (`CompiledABI.layoutFields`; block k is field number k of
    /// `LayoutBridge.number`).
    public var fields: UnsafePointer<UInt64> { UnsafePointer(buffer) }

    // Inlinable: the compiled code's layout questions read fields through these, from other modules.
    @inlinable public func start(_ i: Int) -> UInt64 { buffer[i] }
    @inlinable public func end(_ i: Int) -> UInt64 { buffer[count + i] }
    @inlinable public func flags(_ i: Int) -> UInt64 { buffer[2 * count + i] }
    @inlinable public func pgoff(_ i: Int) -> UInt64 { buffer[3 * count + i] }
    @inline(__always) func gapSize(_ j: Int) -> UInt64 { buffer[4 * count + j] }
    @inline(__always) func tree(_ node: Int) -> UInt64 { buffer[5 * count + 1 + node] }

    @inline(__always) func gapLow(_ j: Int) -> UInt64 { j == 0 ? 0 : end(j - 1) }
    @inline(__always) func gapHighInclusive(_ j: Int) -> UInt64 { j == count ? .max : start(j) &- 1 }

    /// Number of elements of the sorted run `a[0..<count]` that are ≤ x.
    @inline(__always) func countAtMost(_ a: UnsafeMutablePointer<UInt64>, _ x: UInt64) -> Int {
        var lo = 0, hi = count
        while lo < hi {
            let mid = (lo + hi) >> 1
            if a[mid] <= x { lo = mid + 1 } else { hi = mid }
        }
        return lo
    }

    /// `find_vma`: index of the first VMA with `end > addr`, or nil.
    public func findVMA(_ addr: UInt64) -> Int? {
        let i = countAtMost(buffer + count, addr)
        return i < count ? i : nil
    }

    /// The last VMA with `end <= addr`, or nil (`find_vma_prev`'s prev).
    public func vmaBefore(_ addr: UInt64) -> Int? {
        let i = countAtMost(buffer + count, addr)
        return i > 0 ? i - 1 : nil
    }

    /// Gap j clipped to `[min, max]`, if it holds `size` bytes: its clipped bounds.
    @inline(__always) func clippedFit(_ j: Int, _ min: UInt64, _ max: UInt64, _ size: UInt64) -> (UInt64, UInt64)? {
        if gapSize(j) == 0 { return nil }
        let a = Swift.max(gapLow(j), min)
        let b = Swift.min(gapHighInclusive(j), max)
        guard a <= b, b - a >= size - 1 else { return nil }
        return (a, b)
    }

    /// The range of gaps that intersect `[min, max]`.
    @inline(__always) func gapRange(_ min: UInt64, _ max: UInt64) -> (Int, Int) {
        // First gap whose high end reaches min: the number of VMAs starting at or below min.
        let first = countAtMost(buffer, min)
        // Last gap whose low end is at most max: the number of VMAs ending at or below max.
        let last = countAtMost(buffer + count, max)
        return (first, last)
    }

    /// `mas_empty_area(min, max, size)`: the lowest start of `size` free bytes in `[min, max]`.
    public func lowest(min: UInt64, max: UInt64, size: UInt64) -> UInt64? {
        guard min <= max, size != 0, max - min >= size - 1 else { return nil }
        let (first, last) = gapRange(min, max)
        if first > last { return nil }
        if let (a, _) = clippedFit(first, min, max, size) { return a }
        if last > first + 1, let j = firstAtLeast(size, from: first + 1, to: last - 1) { return gapLow(j) }
        if last > first, let (a, _) = clippedFit(last, min, max, size) { return a }
        return nil
    }

    /// `mas_empty_area_rev(min, max, size)`: the highest last byte of `size` free bytes in `[min, max]`.
    public func highestLast(min: UInt64, max: UInt64, size: UInt64) -> UInt64? {
        guard min <= max, size != 0, max - min >= size - 1 else { return nil }
        let (first, last) = gapRange(min, max)
        if first > last { return nil }
        if let (_, b) = clippedFit(last, min, max, size) { return b }
        if last > first + 1, let j = lastAtLeast(size, from: first + 1, to: last - 1) { return gapHighInclusive(j) }
        if last > first, let (_, b) = clippedFit(first, min, max, size) { return b }
        return nil
    }

    func firstAtLeast(_ size: UInt64, from l: Int, to r: Int) -> Int? { descend(1, 0, leaves - 1, l, r, size, leftFirst: true) }
    func lastAtLeast(_ size: UInt64, from l: Int, to r: Int) -> Int? { descend(1, 0, leaves - 1, l, r, size, leftFirst: false) }

    func descend(_ node: Int, _ nl: Int, _ nr: Int, _ l: Int, _ r: Int, _ size: UInt64, leftFirst: Bool) -> Int? {
        if nr < l || nl > r || tree(node) < size { return nil }
        if nl == nr { return nl }
        let mid = (nl + nr) >> 1
        if leftFirst {
            return descend(2 * node, nl, mid, l, r, size, leftFirst: true) ?? descend(2 * node + 1, mid + 1, nr, l, r, size, leftFirst: true)
        }
        return descend(2 * node + 1, mid + 1, nr, l, r, size, leftFirst: false) ?? descend(2 * node, nl, mid, l, r, size, leftFirst: false)
    }
}

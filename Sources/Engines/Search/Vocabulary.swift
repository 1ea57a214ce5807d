import Placement

/// The numbers of a configuration that placement bugs live next to: page, PMD and PUD sizes, the
/// task and window limits, the mmap bases, the flag bits. Generators, mutators and the model
/// checker's sequences draw from it, so a scaled config gets scaled values.
public final class Vocabulary: Sendable {
    public let width: Int
    public let mask: UInt64
    public let page: UInt64, pmd: UInt64, pud: UInt64
    public let taskSize: UInt64, taskSizeMax: UInt64, window: UInt64
    public let mmapBase: UInt64, legacyBase: UInt64, minAddr: UInt64, guardGap: UInt64
    /// Sizes a huge mapping may use (PMD, PUD, contiguous PTE/PMD where the arch has them).
    public let hugeSizes: [UInt64]
    /// Non-zero MAP_* bits the config defines.
    public let mapBits: [(String, UInt64)]
    public let vmGrowsDown: UInt64, vmShadowStack: UInt64
    /// `struct file *` values: NULL (anonymous) and the FILE_* kinds.
    public let fileKinds: [UInt64]
    public let boundaries: [UInt64]
    public let lengths: [UInt64]
    /// Non-zero lengths and huge sizes: what layouts are built around (precomputed for the hot loop).
    public let focusLengths: [UInt64]
    public let mapPrivate: UInt64, mapShared: UInt64, mapAnonymous: UInt64

    public init(config: Config) {
        let v = { (k: ConfigKey) in config.number(k) }
        width = config.dataModel.longBits
        mask = width >= 64 ? .max : (1 << UInt64(width)) - 1
        page = v(.pageSize); pmd = v(.pmdSize); pud = v(.pudSize)
        taskSize = v(.taskSize); taskSizeMax = v(.taskSizeMax); window = v(.defaultMapWindow)
        mmapBase = v(.mmapBase); legacyBase = v(.mmapLegacyBase); minAddr = v(.mmapMinAddr)
        guardGap = v(.stackGuardGap)
        hugeSizes = [v(.pmdSize), v(.pudSize), v(.contPTESize), v(.contPMDSize)].filter { $0 != 0 }
        mapBits = ConfigKey.mapFlags.compactMap { k in
            let b = v(k); return b == 0 ? nil : (k.rawValue, b)
        }
        vmGrowsDown = v(.vmGrowsDown); vmShadowStack = v(.vmShadowStack)
        fileKinds = [0] + ConfigKey.fileKinds.compactMap { config[$0] }
        let m = mask, page = self.page, pmd = self.pmd, pud = self.pud, taskSize = self.taskSize
        var b: [UInt64] = [0, page, self.minAddr, self.mmapBase, self.legacyBase, taskSize, self.taskSizeMax, self.window, v(.sz4G), v(.taskUnmappedBase), m, m &- page &+ 1]
        for h in [pmd, pud] { b += [h, 2 &* h, h &- page, h &+ page] }
        boundaries = b.map { x in x & m }
        var l: [UInt64] = [page, 2 &* page, 3 &* page, 4 &* page]
        for h in self.hugeSizes { l += [h, 2 &* h, 3 &* h, h &- page, h &+ page, 2 &* h &+ page] }
        l += [taskSize, taskSize &- page, m &- page &+ 1, 0]
        // The room of the top-down window above mmap_min_addr, and a page more: a length that only
        // fits if a search goes below mmap_min_addr (or only fits at its very bottom).
        let minAddr = self.minAddr, base = self.mmapBase
        if base > minAddr { l += [base &- minAddr, base &- minAddr &+ page] }
        lengths = l.map { x in x & m }
        focusLengths = lengths.filter { $0 != 0 } + hugeSizes
        mapPrivate = v(.mapPrivate); mapShared = v(.mapShared); mapAnonymous = v(.mapAnonymous)
    }

    @inline(__always) public func pageAlign(_ x: UInt64) -> UInt64 { x & ~(page &- 1) & mask }
}

import Placement

/// The numbers of a configuration that placement bugs live next to: page, PMD and PUD sizes, the
/// task and window limits, the mmap bases, the flag bits. Generators, mutators and the model
/// checker's sequences draw from it, so a scaled config gets scaled values.
public struct Vocabulary: Sendable {
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
        let v = { (n: String) in config.value(n) ?? 0 }
        width = config.dataModel.longBits
        mask = width >= 64 ? .max : (1 << UInt64(width)) - 1
        page = v("PAGE_SIZE"); pmd = v("PMD_SIZE"); pud = v("PUD_SIZE")
        taskSize = v("TASK_SIZE"); taskSizeMax = v("TASK_SIZE_MAX"); window = v("DEFAULT_MAP_WINDOW")
        mmapBase = v("mm.mmap_base"); legacyBase = v("mm.mmap_legacy_base"); minAddr = v("mmap_min_addr")
        guardGap = v("stack_guard_gap")
        hugeSizes = [v("PMD_SIZE"), v("PUD_SIZE"), v("CONT_PTE_SIZE"), v("CONT_PMD_SIZE")].filter { $0 != 0 }
        mapBits = ["MAP_SHARED", "MAP_PRIVATE", "MAP_FIXED", "MAP_ANONYMOUS", "MAP_32BIT", "MAP_FIXED_NOREPLACE", "MAP_ABOVE4G",
                   "MAP_STACK", "MAP_GROWSDOWN", "MAP_NORESERVE", "MAP_POPULATE", "MAP_HUGETLB"].compactMap { n in
            let b = v(n); return b == 0 ? nil : (n, b)
        }
        vmGrowsDown = v("VM_GROWSDOWN"); vmShadowStack = v("VM_SHADOW_STACK")
        fileKinds = [0] + ["FILE_PLAIN", "FILE_THP", "FILE_SHMEM", "FILE_HUGETLBFS", "FILE_DAX"].compactMap { config.value($0) }
        let m = mask, page = self.page, pmd = self.pmd, pud = self.pud, taskSize = self.taskSize
        var b: [UInt64] = [0, page, self.minAddr, self.mmapBase, self.legacyBase, taskSize, self.taskSizeMax, self.window, v("SZ_4G"), v("TASK_UNMAPPED_BASE"), m, m &- page &+ 1]
        for h in [pmd, pud] { b += [h, 2 &* h, h &- page, h &+ page] }
        boundaries = b.map { x in x & m }
        var l: [UInt64] = [page, 2 &* page, 3 &* page, 4 &* page]
        for h in self.hugeSizes { l += [h, 2 &* h, 3 &* h, h &- page, h &+ page, 2 &* h &+ page] }
        l += [taskSize, taskSize &- page, m &- page &+ 1, 0]
        lengths = l.map { x in x & m }
        focusLengths = lengths.filter { $0 != 0 } + hugeSizes
        mapPrivate = v("MAP_PRIVATE"); mapShared = v("MAP_SHARED"); mapAnonymous = v("MAP_ANONYMOUS")
    }

    @inline(__always) public func pageAlign(_ x: UInt64) -> UInt64 { x & ~(page &- 1) & mask }
}

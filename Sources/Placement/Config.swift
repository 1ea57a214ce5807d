import KernelC

/// Arch constants, CONFIG switches, sysctls and mm state, as data. Specs name them; this supplies
/// the values. `IS_ENABLED(CONFIG_X)` of an option a config does not list is 0, as in the kernel.
public struct Config: Sendable {
    public var name: String
    public var summary: String
    public var dataModel: DataModel
    public var values: [String: UInt64]

    public init(name: String, summary: String, dataModel: DataModel, values: [String: UInt64]) {
        self.name = name
        self.summary = summary
        self.dataModel = dataModel
        self.values = values
    }

    /// The value of a catalog name, or nil when this config does not define it.
    public func value(_ name: String) -> UInt64? {
        if let v = values[name] { return v }
        if name.hasPrefix("CONFIG_") { return 0 }
        return nil
    }

    /// A one-line statement of the bounds this config implies (used in verdicts).
    public var boundsDescription: String {
        "config \(name) (int \(dataModel.intBits)-bit, long \(dataModel.longBits)-bit, PAGE_SHIFT \(values["PAGE_SHIFT"] ?? 0), PMD_SHIFT \(values["PMD_SHIFT"] ?? 0))"
    }

    public static func named(_ name: String) -> Config? { all.first { $0.name == name } }

    public static var all: [Config] { [x86_64, scaled16] }
    public static var names: [String] { all.map(\.name) }
}

extension Config {
    /// Values every Linux config shares (uapi numbers), parameterised by the word width.
    static func common(longBits: Int) -> [String: UInt64] {
        let ones: UInt64 = longBits == 64 ? .max : (1 << UInt64(longBits)) - 1
        return [
            "MAX_ERRNO": 4095, "VM_UNMAPPED_AREA_TOPDOWN": 1, "MMF_TOPDOWN": 31,
            "EPERM": 1, "ENOENT": 2, "EINTR": 4, "EIO": 5, "E2BIG": 7, "EBADF": 9, "EAGAIN": 11, "ENOMEM": 12,
            "EACCES": 13, "EFAULT": 14, "EBUSY": 16, "EEXIST": 17, "ENODEV": 19, "EINVAL": 22, "ENOSPC": 28,
            "ERANGE": 34, "EOVERFLOW": 75, "EOPNOTSUPP": 95, "ENOTSUPP": 524,
            "ULONG_MAX": ones, "U64_MAX": ones, "LONG_MAX": ones >> 1, "U32_MAX": 0xffff_ffff & ones,
            "in_compat_syscall": 0, "in_32bit_syscall": 0, "in_ia32_syscall": 0, "in_x32_syscall": 0,
            "mm.flags.MMF_TOPDOWN": 1,
        ]
    }

    /// Page-table geometry: sizes and masks from shifts.
    static func geometry(page: Int, pmd: Int, pud: Int, longBits: Int) -> [String: UInt64] {
        let ones: UInt64 = longBits == 64 ? .max : (1 << UInt64(longBits)) - 1
        let size = { (s: Int) -> UInt64 in UInt64(1) << UInt64(s) }
        return [
            "PAGE_SHIFT": UInt64(page), "PMD_SHIFT": UInt64(pmd), "PUD_SHIFT": UInt64(pud),
            "PMD_ORDER": UInt64(pmd - page), "PUD_ORDER": UInt64(pud - page),
            "HPAGE_PMD_ORDER": UInt64(pmd - page), "HPAGE_PUD_ORDER": UInt64(pud - page),
            "PAGE_SIZE": size(page), "PAGE_MASK": ~(size(page) - 1) & ones,
            "PMD_SIZE": size(pmd), "PMD_MASK": ~(size(pmd) - 1) & ones, "HPAGE_PMD_SIZE": size(pmd),
            "HPAGE_PMD_MASK": ~(size(pmd) - 1) & ones,
            "PUD_SIZE": size(pud), "PUD_MASK": ~(size(pud) - 1) & ones, "HPAGE_PUD_SIZE": size(pud),
        ]
    }

    /// x86-64, 4-level paging (47-bit user space), 4 KiB pages, THP enabled, top-down layout.
    public static let x86_64: Config = {
        var v = common(longBits: 64).merging(geometry(page: 12, pmd: 21, pud: 30, longBits: 64)) { $1 }
        let taskSize: UInt64 = 0x7fff_ffff_f000
        v.merge([
            "TASK_SIZE": taskSize, "TASK_SIZE_MAX": taskSize, "DEFAULT_MAP_WINDOW": taskSize, "STACK_TOP": taskSize,
            "TASK_UNMAPPED_BASE": 0x2aaa_aaaa_b000, "mmap_min_addr": 65536, "dac_mmap_min_addr": 65536,
            "stack_guard_gap": 256 << 12, "CONT_PTE_SIZE": 0, "CONT_PMD_SIZE": 0,
            "MAP_SHARED": 0x01, "MAP_PRIVATE": 0x02, "MAP_SHARED_VALIDATE": 0x03, "MAP_FIXED": 0x10,
            "MAP_ANONYMOUS": 0x20, "MAP_32BIT": 0x40, "MAP_ABOVE4G": 0x80, "MAP_GROWSDOWN": 0x100,
            "MAP_NORESERVE": 0x4000, "MAP_POPULATE": 0x8000, "MAP_STACK": 0x20000, "MAP_HUGETLB": 0x40000,
            "MAP_FIXED_NOREPLACE": 0x100000,
            "VM_READ": 0x1, "VM_WRITE": 0x2, "VM_EXEC": 0x4, "VM_SHARED": 0x8, "VM_GROWSDOWN": 0x100,
            "VM_GROWSUP": 0, "VM_PFNMAP": 0x400, "VM_HUGETLB": 0x400000, "VM_HUGEPAGE": 0x2000_0000,
            "VM_NOHUGEPAGE": 0x4000_0000, "VM_SHADOW_STACK": 1 << 37,
            "INT_MAX": 0x7fff_ffff, "INT_MIN": 0x8000_0000,
            "SZ_4K": 0x1000, "SZ_64K": 0x10000, "SZ_2M": 0x20_0000, "SZ_32M": 0x200_0000, "SZ_1G": 0x4000_0000,
            "SZ_4G": 0x1_0000_0000, "SHM_COLOUR": 0x1000,
            "CONFIG_64BIT": 1, "CONFIG_X86_64": 1, "CONFIG_MMU": 1, "CONFIG_TRANSPARENT_HUGEPAGE": 1,
            "CONFIG_HUGETLB_PAGE": 1, "CONFIG_HAVE_ARCH_TRANSPARENT_HUGEPAGE_PUD": 1, "CONFIG_X86_USER_SHADOW_STACK": 1,
            "mm.mmap_base": 0x7fff_f7ff_f000, "mm.mmap_legacy_base": 0x2aaa_aaaa_b000, "mm.task_size": taskSize,
        ]) { $1 }
        return Config(name: "x86_64", summary: "x86-64, 4-level paging (47-bit), 4 KiB pages, PMD 2 MiB, PUD 1 GiB",
                      dataModel: .lp64, values: v)
    }()

    /// A scaled address space for exhaustive checking: 16-bit words, 4-byte pages, 32-byte PMDs,
    /// 256-byte PUDs, so wrap-around and every layout are within reach.
    public static let scaled16: Config = {
        let model = DataModel(intBits: 16, longBits: 16, longLongBits: 16)
        var v = common(longBits: 16).merging(geometry(page: 2, pmd: 5, pud: 8, longBits: 16)) { $1 }
        let taskSize: UInt64 = 0xf000
        v.merge([
            "MAX_ERRNO": 127,
            "TASK_SIZE": taskSize, "TASK_SIZE_MAX": taskSize, "DEFAULT_MAP_WINDOW": taskSize, "STACK_TOP": taskSize,
            "TASK_UNMAPPED_BASE": 0x5000, "mmap_min_addr": 0x40, "dac_mmap_min_addr": 0x40, "stack_guard_gap": 0x10,
            "CONT_PTE_SIZE": 0, "CONT_PMD_SIZE": 0,
            "MAP_SHARED": 0x01, "MAP_PRIVATE": 0x02, "MAP_SHARED_VALIDATE": 0x03, "MAP_FIXED": 0x10,
            "MAP_ANONYMOUS": 0x20, "MAP_32BIT": 0x40, "MAP_ABOVE4G": 0x80, "MAP_GROWSDOWN": 0x100,
            "MAP_STACK": 0x200, "MAP_HUGETLB": 0x400, "MAP_FIXED_NOREPLACE": 0x800, "MAP_NORESERVE": 0x1000,
            "MAP_POPULATE": 0x2000,
            "VM_READ": 0x1, "VM_WRITE": 0x2, "VM_EXEC": 0x4, "VM_SHARED": 0x8, "VM_GROWSDOWN": 0x100,
            "VM_GROWSUP": 0, "VM_PFNMAP": 0x400, "VM_HUGETLB": 0x800, "VM_HUGEPAGE": 0x1000,
            "VM_NOHUGEPAGE": 0x2000, "VM_SHADOW_STACK": 0x4000,
            "INT_MAX": 0x7fff, "INT_MIN": 0x8000,
            "SZ_4K": 0x4, "SZ_64K": 0x40, "SZ_2M": 0x20, "SZ_32M": 0x200, "SZ_1G": 0x100, "SZ_4G": 0x400,
            "SHM_COLOUR": 0x4,
            "CONFIG_64BIT": 1, "CONFIG_MMU": 1, "CONFIG_TRANSPARENT_HUGEPAGE": 1, "CONFIG_HUGETLB_PAGE": 1,
            "CONFIG_HAVE_ARCH_TRANSPARENT_HUGEPAGE_PUD": 1,
            "mm.mmap_base": 0xe000, "mm.mmap_legacy_base": 0x5000, "mm.task_size": taskSize,
        ]) { $1 }
        return Config(name: "scaled16", summary: "scaled: 16-bit words, 4-byte pages, 32-byte PMDs, 256-byte PUDs",
                      dataModel: model, values: v)
    }()
}

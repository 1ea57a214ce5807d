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

    /// A built-in config, or a config file loaded earlier in this run (`Config.resolve`).
    public static func named(_ name: String) -> Config? { all.first { $0.name == name } ?? registered(name) }

    public static var all: [Config] { [x86_64, x86_64_la57, x86_64_shmemHuge, arm64_4k, arm64_16k, arm64_64k, scaled16, scaled8, scaled8_x86, scaled8_growsup, parisc_like, x86_64_legacy] }
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
            "FILE_PLAIN": 1, "FILE_THP": 2, "FILE_SHMEM": 3, "FILE_HUGETLBFS": 4, "FILE_DAX": 5,
            "SHMEM_HUGE_NEVER": 0, "SHMEM_HUGE_ALWAYS": 1, "SHMEM_HUGE_WITHIN_SIZE": 2, "SHMEM_HUGE_ADVISE": 3,
            "SHMEM_HUGE_DENY": ones & 0xffff_ffff, "SHMEM_HUGE_FORCE": (ones - 1) & 0xffff_ffff,
            "THP_NEVER": 0, "THP_MADVISE": 1, "THP_ALWAYS": 2,
            "ALIGN_VA_32": 1, "ALIGN_VA_64": 2,
            // do_mmap()'s own checks: protections, file modes, overcommit; no personality flags.
            "PROT_NONE": 0, "PROT_READ": 1, "PROT_WRITE": 2, "PROT_EXEC": 4, "FMODE_READ": 1, "FMODE_WRITE": 2,
            "OVERCOMMIT_GUESS": 0, "OVERCOMMIT_ALWAYS": 1, "OVERCOMMIT_NEVER": 2, "ETXTBSY": 26, "VM_NONE": 0,
            "task_personality": 0,
            // Not an AMD family 15h: no va_align; no randomisation (hugealign live runs the child
            // with ADDR_NO_RANDOMIZE); CAP_SYS_RAWIO held (root).
            "va_align_flags": ones & 0xffff_ffff, "va_align_mask": 0, "va_align_bits": 0, "task_randomize": 0,
            "map32_random_offset": 0, "cap_sys_rawio": 1,
            // This machine: THP madvise, shmem_enabled never, tmpfs/memfd mounts huge=never, no anon-shmem mTHP.
            "thp_enabled": 1, "shmem_huge": 0, "shmem_mount_huge": 0, "shmem_file_huge": 0, "shmem_anon_order": 0,
        ]
    }

    /// The uapi MAP_* and VM_* numbers x86-64 and arm64 share (include/uapi/asm-generic/mman*.h,
    /// include/linux/mm.h). Arch-only ones (MAP_32BIT, VM_SHADOW_STACK, ...) are set per config.
    static let linuxFlags: [String: UInt64] = [
        "MAP_SHARED": 0x01, "MAP_PRIVATE": 0x02, "MAP_SHARED_VALIDATE": 0x03, "MAP_FIXED": 0x10,
        "MAP_ANONYMOUS": 0x20, "MAP_GROWSDOWN": 0x100, "MAP_NORESERVE": 0x4000, "MAP_POPULATE": 0x8000,
        "MAP_STACK": 0x20000, "MAP_HUGETLB": 0x40000, "MAP_FIXED_NOREPLACE": 0x100000,
        "VM_READ": 0x1, "VM_WRITE": 0x2, "VM_EXEC": 0x4, "VM_SHARED": 0x8, "VM_GROWSDOWN": 0x100,
        "VM_GROWSUP": 0, "VM_PFNMAP": 0x400, "VM_HUGETLB": 0x400000, "VM_HUGEPAGE": 0x2000_0000,
        "VM_NOHUGEPAGE": 0x4000_0000, "INT_MAX": 0x7fff_ffff, "INT_MIN": 0x8000_0000,
        "SZ_4K": 0x1000, "SZ_64K": 0x10000, "SZ_2M": 0x20_0000, "SZ_32M": 0x200_0000, "SZ_1G": 0x4000_0000,
        "SZ_4G": 0x1_0000_0000,
        "MAP_TYPE": 0x0f, "MAP_DROPPABLE": 0x08, "MAP_DENYWRITE": 0x0800, "MAP_EXECUTABLE": 0x1000, "MAP_LOCKED": 0x2000,
        "MAP_NONBLOCK": 0x10000, "MAP_SYNC": 0x80000, "MAP_UNINITIALIZED": 0x400_0000,
        "MAP_HUGE_2MB": 21 << 26, "MAP_HUGE_1GB": 30 << 26,
        "VM_MAYREAD": 0x10, "VM_MAYWRITE": 0x20, "VM_MAYEXEC": 0x40, "VM_MAYSHARE": 0x80, "VM_LOCKED": 0x2000,
        "VM_NORESERVE": 0x20_0000, "VM_SYNC": 0x80_0000, "VM_WIPEONFORK": 0x200_0000, "VM_DONTDUMP": 0x400_0000,
        "VM_DROPPABLE": 1 << 40, "READ_IMPLIES_EXEC": 0x040_0000,
        "FMODE_UNSIGNED_OFFSET": 0x2000, "FOP_MMAP_SYNC": 1 << 2, "FOP_UNSIGNED_OFFSET": 1 << 5,
        "S_IFREG": 0o100000, "S_IFCHR": 0o020000, "MAX_LFS_FILESIZE": 0x7fff_ffff_ffff_ffff,
    ]

    /// include/linux/mman.h's LEGACY_MAP_MASK: the flags MAP_SHARED keeps (and MAP_SHARED_VALIDATE
    /// accepts without the file's say), from the config's own MAP_ numbers.
    static func withLegacyMapMask(_ v: [String: UInt64]) -> [String: UInt64] {
        let legacy = ["MAP_SHARED", "MAP_PRIVATE", "MAP_FIXED", "MAP_ANONYMOUS", "MAP_DENYWRITE", "MAP_EXECUTABLE",
                      "MAP_UNINITIALIZED", "MAP_GROWSDOWN", "MAP_LOCKED", "MAP_NORESERVE", "MAP_POPULATE", "MAP_NONBLOCK",
                      "MAP_STACK", "MAP_HUGETLB", "MAP_32BIT", "MAP_ABOVE4G", "MAP_HUGE_2MB", "MAP_HUGE_1GB"]
        var out = v
        out["LEGACY_MAP_MASK"] = legacy.reduce(0) { $0 | (v[$1] ?? 0) }
        return out
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
        var v = common(longBits: 64).merging(geometry(page: 12, pmd: 21, pud: 30, longBits: 64)) { $1 }.merging(linuxFlags) { $1 }
        let taskSize: UInt64 = 0x7fff_ffff_f000
        v.merge([
            "TASK_SIZE": taskSize, "TASK_SIZE_MAX": taskSize, "DEFAULT_MAP_WINDOW": taskSize, "STACK_TOP": taskSize,
            "TASK_UNMAPPED_BASE": 0x2aaa_aaaa_b000, "mmap_min_addr": 65536, "dac_mmap_min_addr": 65536,
            "stack_guard_gap": 256 << 12, "CONT_PTE_SIZE": 0, "CONT_PMD_SIZE": 0,
            "MAP_32BIT": 0x40, "MAP_ABOVE4G": 0x80,
            "VM_SHADOW_STACK": 1 << 37, "VM_STARTGAP_FLAGS": 0x100 | (1 << 37),
            "IA32_PAGE_OFFSET": 0xffff_e000, "MAP32_BASE": 0x4000_0000, "MAP32_END": 0x8000_0000, "HUGETLB_PAGE_SIZE": 0x20_0000, "DAX_ALIGN": 0x20_0000,
            "SHM_COLOUR": 0x1000,
            "CONFIG_64BIT": 1, "CONFIG_X86_64": 1, "CONFIG_MMU": 1, "CONFIG_SHMEM": 1, "CONFIG_HUGETLBFS": 1, "CONFIG_TRANSPARENT_HUGEPAGE": 1,
            "CONFIG_HUGETLB_PAGE": 1, "CONFIG_HAVE_ARCH_TRANSPARENT_HUGEPAGE_PUD": 1, "CONFIG_X86_USER_SHADOW_STACK": 1,
            "CONFIG_ARCH_SUPPORTS_PMD_PFNMAP": 1, "CONFIG_ARCH_SUPPORTS_PUD_PFNMAP": 1,
            "mm.mmap_base": 0x7fff_f7ff_f000, "mm.mmap_legacy_base": 0x2aaa_aaaa_b000, "mm.task_size": taskSize,
            // The bases of 32-bit syscalls (no randomisation): 128 MiB below IA32_PAGE_OFFSET, and a third of it.
            "CONFIG_HAVE_ARCH_COMPAT_MMAP_BASES": 1, "mm.mmap_compat_base": 0xf7ff_e000, "mm.mmap_compat_legacy_base": 0x5555_5000,
        ]) { $1 }
        return Config(name: "x86_64", summary: "x86-64, 4-level paging (47-bit), 4 KiB pages, PMD 2 MiB, PUD 1 GiB",
                      dataModel: .lp64, values: withLegacyMapMask(v))
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
            "TASK_UNMAPPED_BASE": 0x5000, "mmap_min_addr": 0x8, "dac_mmap_min_addr": 0x8, "stack_guard_gap": 0x10,
            "CONT_PTE_SIZE": 0, "CONT_PMD_SIZE": 0,
            "MAP_SHARED": 0x01, "MAP_PRIVATE": 0x02, "MAP_SHARED_VALIDATE": 0x03, "MAP_FIXED": 0x10,
            "MAP_ANONYMOUS": 0x20, "MAP_32BIT": 0x40, "MAP_ABOVE4G": 0x80, "MAP_GROWSDOWN": 0x100,
            "MAP_STACK": 0x200, "MAP_HUGETLB": 0x400, "MAP_FIXED_NOREPLACE": 0x800, "MAP_NORESERVE": 0x1000,
            "MAP_POPULATE": 0x2000,
            "VM_READ": 0x1, "VM_WRITE": 0x2, "VM_EXEC": 0x4, "VM_SHARED": 0x8, "VM_GROWSDOWN": 0x100,
            "VM_GROWSUP": 0, "VM_PFNMAP": 0x400, "VM_HUGETLB": 0x800, "VM_HUGEPAGE": 0x1000,
            "VM_NOHUGEPAGE": 0x2000, "VM_SHADOW_STACK": 0x4000, "VM_STARTGAP_FLAGS": 0x4100,
            "IA32_PAGE_OFFSET": 0x8000, "MAP32_BASE": 0x2000, "MAP32_END": 0x4000, "HUGETLB_PAGE_SIZE": 0x20, "DAX_ALIGN": 0x20,
            "INT_MAX": 0x7fff, "INT_MIN": 0x8000,
            "SZ_4K": 0x4, "SZ_64K": 0x40, "SZ_2M": 0x20, "SZ_32M": 0x200, "SZ_1G": 0x100, "SZ_4G": 0x400,
            "SHM_COLOUR": 0x4,
            // do_mmap()'s flags in the bits left free: MAP_DROPPABLE inside MAP_TYPE as on Linux.
            "MAP_TYPE": 0x0f, "MAP_DROPPABLE": 0x08, "MAP_LOCKED": 0x4000, "MAP_NONBLOCK": 0x8000,
            "VM_MAYREAD": 0x10, "VM_MAYWRITE": 0x20, "VM_MAYEXEC": 0x40, "VM_MAYSHARE": 0x80, "VM_NORESERVE": 0x200,
            "VM_DROPPABLE": 0x8000, "READ_IMPLIES_EXEC": 0x4000, "MAX_LFS_FILESIZE": 0x7fff,
            "CONFIG_64BIT": 1, "CONFIG_MMU": 1, "CONFIG_SHMEM": 1, "CONFIG_HUGETLBFS": 1, "CONFIG_TRANSPARENT_HUGEPAGE": 1, "CONFIG_HUGETLB_PAGE": 1,
            "CONFIG_HAVE_ARCH_TRANSPARENT_HUGEPAGE_PUD": 1,
            "mm.mmap_base": 0xe000, "mm.mmap_legacy_base": 0x5000, "mm.task_size": taskSize,
            // No 32-bit syscalls with bases of their own: the same bases.
            "mm.mmap_compat_base": 0xe000, "mm.mmap_compat_legacy_base": 0x5000,
        ]) { $1 }
        v.merge(scaledErrnos) { $1 }
        v.merge(scaledDoMmap) { $1 }
        var scaledModel = model
        scaledModel.scaledLiterals = scaledMap32Literals(v)
        return Config(name: "scaled16", summary: "scaled: 16-bit words, 4-byte pages, 32-byte PMDs, 256-byte PUDs",
                      dataModel: scaledModel, values: withLegacyMapMask(v))
    }()

    /// The smallest scaled space: 8-bit words, 4-byte pages (64 pages), 16-byte PMDs, 64-byte PUDs.
    /// Proofs over layouts of a few VMAs are fast here; MAP_/VM_ flags are renumbered to fit.
    public static let scaled8: Config = {
        let model = DataModel(intBits: 8, longBits: 8, longLongBits: 8)
        var v = common(longBits: 8).merging(geometry(page: 2, pmd: 4, pud: 6, longBits: 8)) { $1 }
        let taskSize: UInt64 = 0xc0
        v.merge([
            "MAX_ERRNO": 31, "FILE_PLAIN": 1, "FILE_THP": 2, "FILE_SHMEM": 3, "FILE_HUGETLBFS": 4, "FILE_DAX": 5,
            "TASK_SIZE": taskSize, "TASK_SIZE_MAX": taskSize, "DEFAULT_MAP_WINDOW": taskSize, "STACK_TOP": taskSize,
            "TASK_UNMAPPED_BASE": 0x44, "mmap_min_addr": 0x8, "dac_mmap_min_addr": 0x8, "stack_guard_gap": 0xc,
            "CONT_PTE_SIZE": 0, "CONT_PMD_SIZE": 0,
            "MAP_SHARED": 0x01, "MAP_PRIVATE": 0x02, "MAP_SHARED_VALIDATE": 0x03, "MAP_FIXED_NOREPLACE": 0x04,
            "MAP_STACK": 0x08, "MAP_FIXED": 0x10, "MAP_ANONYMOUS": 0x20, "MAP_32BIT": 0x40, "MAP_ABOVE4G": 0x80,
            "MAP_GROWSDOWN": 0, "MAP_HUGETLB": 0, "MAP_NORESERVE": 0, "MAP_POPULATE": 0,
            "VM_GROWSDOWN": 0x01, "VM_SHADOW_STACK": 0x02, "VM_SHARED": 0x04, "VM_HUGETLB": 0x08, "VM_PFNMAP": 0x10,
            "VM_HUGEPAGE": 0x20, "VM_NOHUGEPAGE": 0x40, "VM_READ": 0, "VM_WRITE": 0, "VM_EXEC": 0, "VM_GROWSUP": 0,
            "VM_STARTGAP_FLAGS": 0x03, "IA32_PAGE_OFFSET": 0x80, "MAP32_BASE": 0x20, "MAP32_END": 0x40, "HUGETLB_PAGE_SIZE": 0x10, "DAX_ALIGN": 0x10,
            "INT_MAX": 0x7f, "INT_MIN": 0x80,
            "SZ_4K": 0x4, "SZ_64K": 0x10, "SZ_2M": 0x10, "SZ_32M": 0x40, "SZ_1G": 0x40, "SZ_4G": 0x80, "SHM_COLOUR": 0x4,
            // do_mmap()'s flags: no bits left for most; MAP_DROPPABLE a MAP_TYPE value no request has
            // (VM_DROPPABLE is VM_NONE: refused, as on a 32-bit kernel).
            "MAP_TYPE": 0x03, "MAP_DROPPABLE": 0xff, "MAP_LOCKED": 0, "MAP_NONBLOCK": 0,
            "VM_MAYREAD": 0, "VM_MAYWRITE": 0, "VM_MAYEXEC": 0, "VM_MAYSHARE": 0, "VM_NORESERVE": 0x80,
            "VM_DROPPABLE": 0, "READ_IMPLIES_EXEC": 0x40, "MAX_LFS_FILESIZE": 0x7f,
            "CONFIG_64BIT": 1, "CONFIG_MMU": 1, "CONFIG_SHMEM": 1, "CONFIG_HUGETLBFS": 1, "CONFIG_TRANSPARENT_HUGEPAGE": 1, "CONFIG_HUGETLB_PAGE": 1,
            "mm.mmap_base": 0xb0, "mm.mmap_legacy_base": 0x44, "mm.task_size": taskSize,
            // No 32-bit syscalls with bases of their own: the same bases.
            "mm.mmap_compat_base": 0xb0, "mm.mmap_compat_legacy_base": 0x44,
        ]) { $1 }
        v.merge(scaledErrnos) { $1 }
        v.merge(scaledDoMmap) { $1 }
        var scaledModel = model
        scaledModel.scaledLiterals = scaledMap32Literals(v)
        return Config(name: "scaled8", summary: "scaled: 8-bit words, 4-byte pages (64 pages), 16-byte PMDs, 64-byte PUDs",
                      dataModel: scaledModel, values: withLegacyMapMask(v))
    }()

    /// x86's find_start_end() writes the MAP_32BIT window as literals (1 GiB, 2 GiB, and a 32 MiB
    /// random range); a scaled space maps them to its MAP32_BASE, MAP32_END and a range of 4 pages.
    static func scaledMap32Literals(_ v: [String: UInt64]) -> [UInt64: UInt64] {
        [0x4000_0000: v["MAP32_BASE"] ?? 0, 0x8000_0000: v["MAP32_END"] ?? 0, 0x0200_0000: (v["PAGE_SIZE"] ?? 1) * 4]
    }

    /// do_mmap()'s numbers the scaled spaces share: flags without a bit to spare are absent (0);
    /// file modes and operations flags are only compared with each other.
    static let scaledDoMmap: [String: UInt64] = [
        "MAP_SYNC": 0, "MAP_DENYWRITE": 0, "MAP_EXECUTABLE": 0, "MAP_UNINITIALIZED": 0, "MAP_HUGE_2MB": 0, "MAP_HUGE_1GB": 0,
        "VM_LOCKED": 0, "VM_SYNC": 0, "VM_WIPEONFORK": 0, "VM_DONTDUMP": 0,
        "FMODE_UNSIGNED_OFFSET": 0x4, "FOP_MMAP_SYNC": 0x4, "FOP_UNSIGNED_OFFSET": 0x8, "S_IFREG": 0x8, "S_IFCHR": 0x2,
    ]

    /// Errno numbers for the scaled spaces. With 4-byte pages, -ENOMEM (12), -EINTR, -EBUSY and
    /// -ENOSPC would be page-aligned and pass the kernel's "offset_in_page(addr) == 0 means success"
    /// tests, and with MAX_ERRNO 31 -ERANGE and -EOVERFLOW would not be IS_ERR_VALUE: so every errno
    /// here is odd modulo the page and below 31 (found by the model checker).
    static let scaledErrnos: [String: UInt64] = [
        "EPERM": 1, "ENOENT": 2, "EINTR": 3, "EIO": 5, "EBUSY": 6, "E2BIG": 7, "EBADF": 9, "ENOMEM": 10, "EAGAIN": 11,
        "EACCES": 13, "EFAULT": 14, "EEXIST": 17, "ENODEV": 19, "ENOSPC": 21, "EINVAL": 22, "ENOTSUPP": 26,
        "EOPNOTSUPP": 27, "ERANGE": 29, "EOVERFLOW": 30, "ETXTBSY": 25,
    ]

    /// A copy of a config with some values changed: variants differ in data only.
    func variant(_ name: String, _ summary: String, _ changes: [String: UInt64]) -> Config {
        Config(name: name, summary: summary, dataModel: dataModel, values: values.merging(changes) { $1 })
    }

    /// x86-64 with 5-level paging: 56-bit user space above the 47-bit default window.
    public static let x86_64_la57 = x86_64.variant(
        "x86_64-la57", "x86-64, 5-level paging (LA57): TASK_SIZE_MAX 2^56 - 4K, default window 47-bit",
        ["TASK_SIZE_MAX": 0xff_ffff_ffff_f000, "TASK_SIZE": 0xff_ffff_ffff_f000, "mm.task_size": 0xff_ffff_ffff_f000])

    /// scaled8 running the x86-64 placement code (sys_x86_64.c) instead of the generic one: the
    /// model checker's space for x86 paths (hints, MAP_32BIT, the top-down fallback).
    public static let scaled8_x86 = scaled8.variant(
        "scaled8-x86", "scaled8 with the x86-64 arch placement (arch/x86/kernel/sys_x86_64.c)", ["CONFIG_X86_64": 1])

    /// scaled8 where a VMA may grow up, as on parisc (VM_GROWSUP; x86-64 and arm64 define it as 0):
    /// the only space where vm_end_gap()'s guard gap above a VMA exists. parisc has no shadow
    /// stacks, so VM_GROWSUP takes VM_SHADOW_STACK's bit.
    public static let scaled8_growsup = scaled8.variant(
        "scaled8-growsup", "scaled8 with upward-growing stacks (VM_GROWSUP, as on parisc) and no shadow stacks",
        ["VM_GROWSUP": 0x02, "VM_SHADOW_STACK": 0, "VM_STARTGAP_FLAGS": 0x01])

    /// A parisc-like machine for io_uring's colouring question: x86-64's numbers with the 4 MiB
    /// SHM_COLOUR that parisc's virtually indexed caches need (the colouring search itself is the
    /// model in specs/seed/io_uring.spec).
    public static let parisc_like = x86_64.variant(
        "parisc-like", "x86-64 numbers with parisc's SHM_COLOUR of 4 MiB (colouring of shared mappings)", ["SHM_COLOUR": 0x40_0000])

    /// x86-64 in the legacy layout (`setarch -L`, or an unlimited stack rlimit): MMF_TOPDOWN off,
    /// so every placement is bottom-up from mmap_legacy_base.
    public static let x86_64_legacy = x86_64.variant(
        "x86_64-legacy", "x86-64 in the legacy (bottom-up) layout: MMF_TOPDOWN off", ["mm.flags.MMF_TOPDOWN": 0])

    /// x86-64 with shmem huge pages on (shmem_enabled=always, tmpfs huge=always).
    public static let x86_64_shmemHuge = x86_64.variant(
        "x86_64-shmem-huge", "x86-64 with shmem_enabled=always and huge=always mounts",
        ["shmem_huge": 1, "shmem_mount_huge": 1, "shmem_file_huge": 1])

    /// arm64 with 48-bit VA and the given granule: generic placement, PMD/PUD and contiguous sizes.
    static func arm64(granuleShift: Int, pmdShift: Int, pudShift: Int, contPTE: UInt64, contPMD: UInt64, name: String) -> Config {
        var v = common(longBits: 64).merging(geometry(page: granuleShift, pmd: pmdShift, pud: pudShift, longBits: 64)) { $1 }
            .merging(linuxFlags) { $1 }
        let taskSize: UInt64 = 1 << 48
        let page = UInt64(1) << UInt64(granuleShift)
        v.merge([
            "TASK_SIZE": taskSize, "TASK_SIZE_MAX": taskSize, "DEFAULT_MAP_WINDOW": taskSize, "STACK_TOP": taskSize,
            "TASK_UNMAPPED_BASE": (taskSize / 4 + page - 1) & ~(page - 1), "mmap_min_addr": 32768, "dac_mmap_min_addr": 32768,
            "stack_guard_gap": 256 * page, "CONT_PTE_SIZE": contPTE, "CONT_PMD_SIZE": contPMD,
            "MAP_32BIT": 0, "MAP_ABOVE4G": 0, "VM_SHADOW_STACK": 1 << 38, "VM_STARTGAP_FLAGS": 0x100 | (1 << 38),
            "IA32_PAGE_OFFSET": 0, "MAP32_BASE": 0, "MAP32_END": 0, "HUGETLB_PAGE_SIZE": UInt64(1) << UInt64(pmdShift),
            "DAX_ALIGN": UInt64(1) << UInt64(pmdShift), "SHM_COLOUR": page,
            "CONFIG_64BIT": 1, "CONFIG_ARM64": 1, "CONFIG_MMU": 1, "CONFIG_SHMEM": 1, "CONFIG_HUGETLBFS": 1, "CONFIG_TRANSPARENT_HUGEPAGE": 1, "CONFIG_HUGETLB_PAGE": 1,
            "CONFIG_ARM64_CONT_PTE": 1, "CONFIG_ARCH_SUPPORTS_PMD_PFNMAP": 1,
            "mm.mmap_base": taskSize - (128 << 20), "mm.mmap_legacy_base": taskSize / 4, "mm.task_size": taskSize,
            // No 32-bit syscalls with bases of their own: the same bases.
            "mm.mmap_compat_base": taskSize - (128 << 20), "mm.mmap_compat_legacy_base": taskSize / 4,
        ]) { $1 }
        return Config(name: name, summary: "arm64, \(page >> 10) KiB granule, 48-bit VA: PMD \(sizeName(1 << UInt64(pmdShift))), PUD \(sizeName(1 << UInt64(pudShift))), cont-PTE \(sizeName(contPTE)), cont-PMD \(sizeName(contPMD))",
                      dataModel: .lp64, values: withLegacyMapMask(v))
    }

    static func sizeName(_ v: UInt64) -> String {
        for (shift, unit) in [(40, "TiB"), (30, "GiB"), (20, "MiB"), (10, "KiB")] where v >= UInt64(1) << UInt64(shift) && v % (UInt64(1) << UInt64(shift)) == 0 {
            return "\(v >> UInt64(shift)) \(unit)"
        }
        return "\(v) B"
    }

    public static let arm64_4k = arm64(granuleShift: 12, pmdShift: 21, pudShift: 30, contPTE: 16 << 12, contPMD: 16 << 21, name: "arm64-4k")
    public static let arm64_16k = arm64(granuleShift: 14, pmdShift: 25, pudShift: 36, contPTE: 128 << 14, contPMD: 32 << 25, name: "arm64-16k")
    public static let arm64_64k = arm64(granuleShift: 16, pmdShift: 29, pudShift: 42, contPTE: 32 << 16, contPMD: 32 << 29, name: "arm64-64k")
}

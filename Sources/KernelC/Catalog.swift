/// The names a spec can use without declaring them, and their C types. The *values* come from the
/// configuration (`Placement.Config`); the front end only needs the types.
public enum Catalog {
    public enum Kind: Sendable { case int, unsignedLong, unsignedLongLong, bool, pointer }

    /// Constants and config-backed values usable as plain identifiers.
    public static let constants: [String: Kind] = {
        var c: [String: Kind] = [:]
        for n in ["PAGE_SHIFT", "PMD_SHIFT", "PUD_SHIFT", "PMD_ORDER", "PUD_ORDER", "HPAGE_PMD_ORDER", "HPAGE_PUD_ORDER",
                  "MAX_ERRNO", "MMF_TOPDOWN", "VM_UNMAPPED_AREA_TOPDOWN",
                  "MAP_SHARED", "MAP_PRIVATE", "MAP_SHARED_VALIDATE", "MAP_FIXED", "MAP_ANONYMOUS", "MAP_32BIT",
                  "MAP_FIXED_NOREPLACE", "MAP_ABOVE4G", "MAP_STACK", "MAP_HUGETLB", "MAP_NORESERVE", "MAP_POPULATE",
                  "MAP_GROWSDOWN",
                  "EPERM", "ENOENT", "EINTR", "EIO", "E2BIG", "EBADF", "EAGAIN", "ENOMEM", "EACCES", "EFAULT",
                  "EBUSY", "EEXIST", "ENODEV", "EINVAL", "ENOSPC", "ERANGE", "EOVERFLOW", "ENOTSUPP", "EOPNOTSUPP",
                  "INT_MAX", "INT_MIN", "SHMEM_HUGE_NEVER", "SHMEM_HUGE_ALWAYS", "SHMEM_HUGE_WITHIN_SIZE",
                  "SHMEM_HUGE_ADVISE", "SHMEM_HUGE_DENY", "SHMEM_HUGE_FORCE", "shmem_huge", "shmem_mount_huge",
                  "thp_enabled", "THP_NEVER", "THP_MADVISE", "THP_ALWAYS", "va_align_flags", "task_randomize",
                  "cap_sys_rawio", "shmem_file_huge", "shmem_anon_order", "ALIGN_VA_32", "ALIGN_VA_64",
                  "PROT_NONE", "PROT_READ", "PROT_WRITE", "PROT_EXEC", "FMODE_READ", "FMODE_WRITE", "FMODE_UNSIGNED_OFFSET",
                  "FOP_MMAP_SYNC", "FOP_UNSIGNED_OFFSET", "OVERCOMMIT_GUESS", "OVERCOMMIT_ALWAYS", "OVERCOMMIT_NEVER", "ETXTBSY",
                  "MAP_TYPE", "MAP_DROPPABLE", "MAP_DENYWRITE", "MAP_EXECUTABLE", "MAP_LOCKED", "MAP_NONBLOCK", "MAP_SYNC",
                  "MAP_UNINITIALIZED", "MAP_HUGE_2MB", "MAP_HUGE_1GB", "S_IFREG", "S_IFCHR"] {
            c[n] = .int
        }
        for n in ["PAGE_SIZE", "PAGE_MASK", "PMD_SIZE", "PMD_MASK", "PUD_SIZE", "PUD_MASK", "HPAGE_PMD_SIZE",
                  "HPAGE_PMD_MASK", "HPAGE_PUD_SIZE", "CONT_PTE_SIZE", "CONT_PMD_SIZE",
                  "TASK_SIZE", "TASK_SIZE_MAX", "DEFAULT_MAP_WINDOW", "TASK_UNMAPPED_BASE", "STACK_TOP",
                  "mmap_min_addr", "dac_mmap_min_addr", "stack_guard_gap",
                  "VM_READ", "VM_WRITE", "VM_EXEC", "VM_SHARED", "VM_GROWSDOWN", "VM_GROWSUP", "VM_SHADOW_STACK",
                  "VM_HUGETLB", "VM_NOHUGEPAGE", "VM_HUGEPAGE", "VM_PFNMAP",
                  "ULONG_MAX", "LONG_MAX", "U64_MAX", "U32_MAX",
                  "SZ_4K", "SZ_64K", "SZ_2M", "SZ_32M", "SZ_1G", "SZ_4G", "SHM_COLOUR",
                  "HUGETLB_PAGE_SIZE", "DAX_ALIGN", "FILE_PLAIN", "FILE_THP", "FILE_SHMEM", "FILE_HUGETLBFS", "FILE_DAX",
                  "VM_STARTGAP_FLAGS", "IA32_PAGE_OFFSET", "MAP32_BASE", "MAP32_END", "va_align_mask", "va_align_bits", "map32_random_offset",
                  "VM_NONE", "VM_MAYREAD", "VM_MAYWRITE", "VM_MAYEXEC", "VM_MAYSHARE", "VM_LOCKED", "VM_NORESERVE", "VM_SYNC",
                  "VM_WIPEONFORK", "VM_DONTDUMP", "VM_DROPPABLE", "READ_IMPLIES_EXEC", "LEGACY_MAP_MASK",
                  "task_personality"] {
            c[n] = .unsignedLong
        }
        // A file offset (loff_t): 64 bits even where long has 32.
        c["MAX_LFS_FILESIZE"] = .unsignedLongLong
        c["U64_MAX"] = .unsignedLongLong
        return c
    }()

    /// Config values reached through expressions rather than names.
    public static let mmFields: [String: String] = [
        "mmap_base": "mm.mmap_base", "mmap_legacy_base": "mm.mmap_legacy_base", "task_size": "mm.task_size",
        "mmap_compat_base": "mm.mmap_compat_base", "mmap_compat_legacy_base": "mm.mmap_compat_legacy_base",
    ]

    /// Predicates answered by the config: `in_compat_syscall()`, the `MMF_TOPDOWN` bit.
    public static let predicates: Set<String> = ["in_compat_syscall", "in_32bit_syscall", "in_ia32_syscall", "MMF_TOPDOWN_SET"]

    public static func type(of kind: Kind, model: DataModel) -> CType {
        switch kind {
        case .int: return model.int
        case .unsignedLong: return model.unsignedLong
        case .unsignedLongLong: return .int(bits: model.longLongBits, signed: false)
        case .bool: return .bool
        case .pointer: return .pointer(.void)
        }
    }
}

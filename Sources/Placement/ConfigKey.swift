/// The configuration values the engines and reports read by name (specs read any catalog name).
/// Typed keys instead of strings: a typo is a compile error, and `required` says which ones every
/// configuration must define (a test checks it), so reading them needs no made-up default.
public enum ConfigKey: String, CaseIterable, Sendable {
    case pageSize = "PAGE_SIZE", pageShift = "PAGE_SHIFT", pmdSize = "PMD_SIZE", pudSize = "PUD_SIZE"
    case contPTESize = "CONT_PTE_SIZE", contPMDSize = "CONT_PMD_SIZE"
    case taskSize = "TASK_SIZE", taskSizeMax = "TASK_SIZE_MAX", defaultMapWindow = "DEFAULT_MAP_WINDOW"
    case taskUnmappedBase = "TASK_UNMAPPED_BASE", sz4G = "SZ_4G"
    case mmapBase = "mm.mmap_base", mmapLegacyBase = "mm.mmap_legacy_base", mmapMinAddr = "mmap_min_addr"
    case stackGuardGap = "stack_guard_gap", maxErrno = "MAX_ERRNO", topDown = "mm.flags.MMF_TOPDOWN"
    case mapShared = "MAP_SHARED", mapPrivate = "MAP_PRIVATE", mapFixed = "MAP_FIXED", mapAnonymous = "MAP_ANONYMOUS"
    case map32Bit = "MAP_32BIT", mapFixedNoreplace = "MAP_FIXED_NOREPLACE", mapAbove4G = "MAP_ABOVE4G"
    case mapStack = "MAP_STACK", mapGrowsDown = "MAP_GROWSDOWN", mapNoreserve = "MAP_NORESERVE"
    case mapPopulate = "MAP_POPULATE", mapHugeTLB = "MAP_HUGETLB"
    case vmGrowsDown = "VM_GROWSDOWN", vmShadowStack = "VM_SHADOW_STACK"
    case filePlain = "FILE_PLAIN", fileTHP = "FILE_THP", fileShmem = "FILE_SHMEM", fileHugeTLBFS = "FILE_HUGETLBFS", fileDAX = "FILE_DAX"

    /// Every configuration defines these (an arch without the thing gives 0, explicitly).
    public static let required: [ConfigKey] = [.pageSize, .pageShift, .pmdSize, .pudSize, .taskSize, .taskSizeMax, .defaultMapWindow,
                                               .mmapBase, .mmapLegacyBase, .mmapMinAddr, .stackGuardGap, .maxErrno, .topDown,
                                               .mapShared, .mapPrivate, .mapFixed, .mapAnonymous, .mapFixedNoreplace,
                                               .vmGrowsDown, .fileTHP, .fileShmem]

    /// The MAP_ flags a request may carry, in the order generators draw them.
    public static let mapFlags: [ConfigKey] = [.mapShared, .mapPrivate, .mapFixed, .mapAnonymous, .map32Bit, .mapFixedNoreplace,
                                               .mapAbove4G, .mapStack, .mapGrowsDown, .mapNoreserve, .mapPopulate, .mapHugeTLB]
    /// The `struct file *` kinds the models tell apart (besides NULL).
    public static let fileKinds: [ConfigKey] = [.filePlain, .fileTHP, .fileShmem, .fileHugeTLBFS, .fileDAX]
}

extension Config {
    /// The configurations the model checker can enumerate (words of at most 16 bits).
    public static var scaledNames: [String] { names.filter { (named($0)?.dataModel.longBits ?? 64) <= 16 } }

    /// A value by typed key; nil when this configuration does not define it.
    public subscript(key: ConfigKey) -> UInt64? { value(key.rawValue) }

    /// A value every configuration must define (`ConfigKey.required`), or one whose absence means
    /// "this arch has none" (shadow stacks, contiguous PTEs): 0.
    public func number(_ key: ConfigKey) -> UInt64 { value(key.rawValue) ?? 0 }
}

import Placement

/// The kernel functions of the placement path that hugealign reads from a tree, where each is
/// defined, and which bundled models they stand for. The first file that defines a function (for
/// the configuration's arch) wins, as the linker would pick the arch's definition.
public struct PlacementFunction: Sendable {
    public var name: String
    /// Files to search, in order.
    public var files: [String]
    /// One of the 28 functions of the placement path (the others are helpers a tree may have).
    public var counted: Bool
    /// Bundled model functions it makes unused (the bundled rendering split or renamed them).
    public var supersedes: [String] = []
    /// Only for x86-64 (`CONFIG_X86_64`), or only for the other arches.
    public var arch: Arch = .any

    public enum Arch: Sendable { case any, x86, generic }

    init(_ name: String, _ files: [String], counted: Bool = true, supersedes: [String] = [], arch: Arch = .any) {
        self.name = name
        self.files = files
        self.counted = counted
        self.supersedes = supersedes
        self.arch = arch
    }
}

public enum PlacementFunctions {
    static let x86 = ["arch/x86/kernel/sys_x86_64.c", "arch/x86/mm/mmap.c"]
    static let mmap = ["mm/mmap.c", "mm/vma.c"]

    /// The 28 placement functions, then the helpers.
    public static let all: [PlacementFunction] = [
        PlacementFunction("do_mmap", ["mm/mmap.c"], supersedes: ["do_mmap_placement", "range_has_vma"]),
        PlacementFunction("round_hint_to_min", ["mm/mmap.c"]),
        PlacementFunction("__get_unmapped_area", ["mm/mmap.c"], supersedes: ["finish_placement"]),
        PlacementFunction("get_unmapped_area", ["include/linux/mm.h", "mm/mmap.c"]),
        PlacementFunction("mm_get_unmapped_area_vmflags", ["mm/mmap.c"]),
        PlacementFunction("mm_get_unmapped_area", ["mm/mmap.c"]),
        PlacementFunction("arch_get_unmapped_area", x86, supersedes: ["x86_get_unmapped_area"], arch: .x86),
        PlacementFunction("arch_get_unmapped_area_topdown", x86, supersedes: ["x86_get_unmapped_area_topdown"], arch: .x86),
        PlacementFunction("arch_get_unmapped_area", ["mm/mmap.c"], arch: .generic),
        PlacementFunction("arch_get_unmapped_area_topdown", ["mm/mmap.c"], arch: .generic),
        PlacementFunction("generic_get_unmapped_area", ["mm/mmap.c"], supersedes: ["generic_hint_fits", "arch_get_mmap_end", "arch_get_mmap_base"]),
        PlacementFunction("generic_get_unmapped_area_topdown", ["mm/mmap.c"]),
        PlacementFunction("vm_unmapped_area", mmap),
        PlacementFunction("unmapped_area", mmap),
        PlacementFunction("unmapped_area_topdown", mmap),
        PlacementFunction("stack_guard_start_gap", ["include/linux/mm.h"]),
        PlacementFunction("vm_start_gap", ["include/linux/mm.h"]),
        PlacementFunction("vm_end_gap", ["include/linux/mm.h"]),
        PlacementFunction("stack_guard_placement", x86 + mmap),
        PlacementFunction("__thp_get_unmapped_area", ["mm/huge_memory.c"]),
        PlacementFunction("thp_get_unmapped_area_vmflags", ["mm/huge_memory.c"]),
        PlacementFunction("thp_get_unmapped_area", ["mm/huge_memory.c"]),
        PlacementFunction("shmem_get_unmapped_area", ["mm/shmem.c"]),
        // x86 had its own hugetlbfs search (HAVE_ARCH_HUGETLB_UNMAPPED_AREA) until 6.13.
        PlacementFunction("hugetlb_get_unmapped_area", ["arch/x86/mm/hugetlbpage.c", "fs/hugetlbfs/inode.c"], arch: .x86),
        PlacementFunction("hugetlb_get_unmapped_area", ["fs/hugetlbfs/inode.c"], arch: .generic),
        PlacementFunction("dax_get_unmapped_area", ["drivers/dax/device.c"]),
        PlacementFunction("get_align_mask", x86, arch: .x86),
        PlacementFunction("get_align_bits", x86, arch: .x86),
        PlacementFunction("find_start_end", x86, supersedes: ["find_start", "find_end"], arch: .x86),
        PlacementFunction("mmap_address_hint_valid", x86, arch: .x86),
        // Helpers: read from the tree when it has them (their names changed between versions).
        PlacementFunction("get_mmap_base", x86, arch: .x86),
        PlacementFunction("task_size_32bit", x86, counted: false, arch: .x86),
        PlacementFunction("task_size_64bit", x86, counted: false, arch: .x86),
        PlacementFunction("generic_hugetlb_get_unmapped_area", ["fs/hugetlbfs/inode.c"], counted: false),
        PlacementFunction("hugetlb_get_unmapped_area_bottomup", ["arch/x86/mm/hugetlbpage.c", "fs/hugetlbfs/inode.c"], counted: false, arch: .x86),
        PlacementFunction("hugetlb_get_unmapped_area_topdown", ["arch/x86/mm/hugetlbpage.c", "fs/hugetlbfs/inode.c"], counted: false, arch: .x86),
        PlacementFunction("hugetlb_get_unmapped_area_bottomup", ["fs/hugetlbfs/inode.c"], counted: false, arch: .generic),
        PlacementFunction("hugetlb_get_unmapped_area_topdown", ["fs/hugetlbfs/inode.c"], counted: false, arch: .generic),
        PlacementFunction("file_mmap_size_max", ["mm/mmap.c"], counted: false),
        PlacementFunction("file_mmap_ok", ["mm/mmap.c"], counted: false),
        PlacementFunction("calc_vm_prot_bits", ["include/linux/mman.h"], counted: false),
        PlacementFunction("calc_vm_flag_bits", ["include/linux/mman.h"], counted: false),
    ]

    /// The functions that apply to a configuration's arch.
    public static func functions(for config: Config) -> [PlacementFunction] {
        let x86 = (config.value("CONFIG_X86_64") ?? 0) != 0
        return all.filter { $0.arch == .any || ($0.arch == .x86) == x86 }
    }

    /// The preprocessor's view of a configuration: its `CONFIG_` options and the arch's macros.
    /// `archPage` is the text of the tree's arch/x86/include/asm/page.h, which says whether x86
    /// still has its own hugetlbfs search (it defines HAVE_ARCH_HUGETLB_UNMAPPED_AREA before 6.13).
    public static func macros(for config: Config, archPage: String? = nil) -> Conditionals.Macros {
        let x86 = (config.value("CONFIG_X86_64") ?? 0) != 0
        let configs = config.values.filter { $0.key.hasPrefix("CONFIG_") }
        var defined: Set<String> = ["__KERNEL__"]
        var undefined: Set<String> = ["MODULE", "__ASSEMBLY__", "__CHECKER__"]
        let archHugetlb = x86 && (archPage?.contains("#define HAVE_ARCH_HUGETLB_UNMAPPED_AREA") ?? false)
        if archHugetlb { defined.insert("HAVE_ARCH_HUGETLB_UNMAPPED_AREA") } else { undefined.insert("HAVE_ARCH_HUGETLB_UNMAPPED_AREA") }
        if x86 {
            defined.formUnion(["HAVE_ARCH_UNMAPPED_AREA", "HAVE_ARCH_UNMAPPED_AREA_TOPDOWN"])
            undefined.formUnion(["arch_get_mmap_end", "arch_get_mmap_base"])
        } else {
            undefined.formUnion(["HAVE_ARCH_UNMAPPED_AREA", "HAVE_ARCH_UNMAPPED_AREA_TOPDOWN"])
            defined.formUnion(["arch_get_mmap_end", "arch_get_mmap_base"])
        }
        return Conditionals.Macros(configs: configs, defined: defined, undefined: undefined)
    }
}

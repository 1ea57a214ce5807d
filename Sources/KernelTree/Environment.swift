import KernelC
import Placement

/// What the placement functions of a kernel tree call that is not the placement path itself,
/// written for hugealign in its kernel-C over the address-space and configuration models: the
/// maple-tree iterator, the fields of the structs the functions read (as `STRUCT__FIELD(p)`
/// accessors), globals (`__global_NAME()`), `current`, the LSM hook and the hstate helpers.
/// Not kernel code: each definition states the behaviour the bundled models already assume.
public enum Environment {
    public static let path = "<hugealign kernel environment>"

    public static func functions(for config: Config, doMmapParameters: Int? = nil) throws -> [FunctionSyntax] {
        // One file, so that a diagnostic's line names the function it is in.
        let all = text + (doMmapParameters.map { "\n\n" + doMmapPlacement(doMmapParameters: $0) } ?? "")
        var parser = try Parser(file: SourceFile(path: path, text: all))
        return try parser.parseUnit().functions
    }

    public static let text = """
    // The maple-tree iterator over the layout (include/linux/mm_types.h, mm/vma.h). A search leaves
    // the iterator on the window it found: index = its first byte, last = its last byte.
    int vma_iter_area_lowest(struct vma_iterator *vmi, unsigned long min, unsigned long max, unsigned long size)
    {
        unsigned long start;

        if (__layout_area_lowest(min, max, size, &start))
            return -EBUSY;
        vmi->index = start;
        vmi->last = start + size - 1;
        return 0;
    }

    int vma_iter_area_highest(struct vma_iterator *vmi, unsigned long min, unsigned long max, unsigned long size)
    {
        unsigned long end;

        if (__layout_area_highest(min, max, size, &end))
            return -EBUSY;
        vmi->last = end - 1;
        vmi->index = end - size;
        return 0;
    }

    unsigned long vma_iter_addr(struct vma_iterator *vmi)
    {
        return vmi->index;
    }

    unsigned long vma_iter_end(struct vma_iterator *vmi)
    {
        return vmi->last + 1;
    }

    // After a search, the next VMA is the first above the window, the previous one the last below.
    struct vm_area_struct *vma_next(struct vma_iterator *vmi)
    {
        return find_vma(current->mm, vmi->index);
    }

    struct vm_area_struct *vma_prev(struct vma_iterator *vmi)
    {
        struct vm_area_struct *prev;

        find_vma_prev(current->mm, vmi->index, &prev);
        return prev;
    }

    void vma_iter_reset(struct vma_iterator *vmi)
    {
    }

    // The maple state of the searches before 6.4 (MA_STATE, mas_*): the same window over the same
    // layout. Their upper bound is inclusive; a window that ends at the very top of the space
    // (max == ULONG_MAX, as `high_limit - 1` gives for a high limit of 0) is checked on its own.
    static bool __window_at_top_is_free(unsigned long min, unsigned long size)
    {
        return size && ULONG_MAX - size + 1 >= min && !find_vma(current->mm, ULONG_MAX - size + 1);
    }

    int mas_empty_area(struct ma_state *mas, unsigned long min, unsigned long max, unsigned long size)
    {
        unsigned long start;

        if (__layout_area_lowest(min, max == ULONG_MAX ? max : max + 1, size, &start)) {
            if (max != ULONG_MAX || !__window_at_top_is_free(min, size))
                return -EBUSY;
            start = ULONG_MAX - size + 1;
        }
        mas->index = start;
        mas->last = start + size - 1;
        return 0;
    }

    int mas_empty_area_rev(struct ma_state *mas, unsigned long min, unsigned long max, unsigned long size)
    {
        unsigned long end;

        if (max == ULONG_MAX && __window_at_top_is_free(min, size)) {
            mas->last = ULONG_MAX;
            mas->index = ULONG_MAX - size + 1;
            return 0;
        }
        if (__layout_area_highest(min, max == ULONG_MAX ? max : max + 1, size, &end))
            return -EBUSY;
        mas->last = end - 1;
        mas->index = end - size;
        return 0;
    }

    struct vm_area_struct *mas_next(struct ma_state *mas, unsigned long max)
    {
        return find_vma(current->mm, mas->index);
    }

    struct vm_area_struct *mas_prev(struct ma_state *mas, unsigned long min)
    {
        struct vm_area_struct *prev;

        find_vma_prev(current->mm, mas->index, &prev);
        return prev;
    }

    void mas_reset(struct ma_state *mas)
    {
    }

    // Before 6.10 the layout's placement is the mm's hook, chosen by arch_pick_mmap_layout():
    // top-down or bottom-up, as MMF_TOPDOWN says later.
    void *mm_struct__get_unmapped_area(struct mm_struct *mm)
    {
        if (mm_flags_test(MMF_TOPDOWN, mm))
            return arch_get_unmapped_area_topdown;
        return arch_get_unmapped_area;
    }

    // Before 6.10 there is no __get_unmapped_area(..., vm_flags): do_mmap() calls
    // get_unmapped_area(), and nothing on the path reads vm_flags. Only used when the tree has
    // no __get_unmapped_area of its own.
    unsigned long __get_unmapped_area(struct file *file, unsigned long addr, unsigned long len,
                                      unsigned long pgoff, unsigned long flags, vm_flags_t vm_flags)
    {
        return get_unmapped_area(file, addr, len, pgoff, flags);
    }

    // current->flags: only PF_RANDOMIZE is read on the placement path, and only tested. Its bit
    // here is bit 0 (the kernel's is 0x00400000, which the scaled spaces cannot hold).
    unsigned int __global_PF_RANDOMIZE(void)
    {
        return 1;
    }

    unsigned int task_struct__flags(struct task_struct *task)
    {
        return task_randomize ? 1 : 0;
    }

    // x86's va_align (arch/x86/mm/mmap.c), AMD family 15h only: from the configuration.
    struct va_alignment *__global_va_align(void)
    {
        return (struct va_alignment *)1;
    }

    int va_alignment__flags(struct va_alignment *v)
    {
        return va_align_flags;
    }

    unsigned long va_alignment__mask(struct va_alignment *v)
    {
        return va_align_mask;
    }

    unsigned long va_alignment__bits(struct va_alignment *v)
    {
        return va_align_bits;
    }

    int mmap_is_ia32(void)
    {
        return in_32bit_syscall();
    }

    // The MAP_32BIT window's random start (PF_RANDOMIZE): the configuration's offset.
    unsigned long randomize_page(unsigned long start, unsigned long range)
    {
        return start + map32_random_offset;
    }

    // arch_mmap_check() is 0 on x86 and arm64; security_mmap_addr() is the capability LSM.
    unsigned long arch_mmap_check(unsigned long addr, unsigned long len, unsigned long flags)
    {
        return 0;
    }

    int security_mmap_addr(unsigned long addr)
    {
        if (addr < dac_mmap_min_addr && !cap_sys_rawio)
            return -EPERM;
        return 0;
    }

    // The generic arch_get_mmap_end()/arch_get_mmap_base() macros of include/linux/sched/mm.h and
    // arm64's (asm/processor.h): the whole window only for a hint above it.
    unsigned long arch_get_mmap_end(unsigned long addr, unsigned long len, unsigned long flags)
    {
        if (IS_ENABLED(CONFIG_ARM64))
            return addr > DEFAULT_MAP_WINDOW ? TASK_SIZE : DEFAULT_MAP_WINDOW;
        return TASK_SIZE;
    }

    unsigned long arch_get_mmap_base(unsigned long addr, unsigned long base)
    {
        if (IS_ENABLED(CONFIG_ARM64) && addr > DEFAULT_MAP_WINDOW)
            return base + TASK_SIZE - DEFAULT_MAP_WINDOW;
        return base;
    }

    // x86's TASK_SIZE_LOW: the window of a 32-bit task (TIF_ADDR32, as a 32-bit syscall here) or
    // the default one.
    unsigned long __global_TASK_SIZE_LOW(void)
    {
        return in_32bit_syscall() ? IA32_PAGE_OFFSET : DEFAULT_MAP_WINDOW;
    }

    // hugetlbfs: one huge page size per configuration.
    struct hstate *hstate_file(struct file *file)
    {
        return (struct hstate *)file;
    }

    unsigned long huge_page_size(struct hstate *h)
    {
        return HUGETLB_PAGE_SIZE;
    }

    unsigned long huge_page_mask(struct hstate *h)
    {
        return ~(HUGETLB_PAGE_SIZE - 1);
    }

    int prepare_hugepage_range(struct file *file, unsigned long addr, unsigned long len)
    {
        if (len & ~huge_page_mask(hstate_file(file)))
            return -EINVAL;
        if (addr & ~huge_page_mask(hstate_file(file)))
            return -EINVAL;
        return 0;
    }

    // device DAX: the device's alignment.
    struct dev_dax *file__private_data(struct file *file)
    {
        return (struct dev_dax *)file;
    }

    unsigned long dev_dax__align(struct dev_dax *dev_dax)
    {
        return DAX_ALIGN;
    }

    // Used by the loop invariant of unmapped_area_topdown() (LoopInvariants): whether the lowest
    // VMA starts within stack_guard_gap of address 0, where a guard gap is clamped.
    bool vma_within_guard_gap_of_zero(void)
    {
        struct vm_area_struct *v = find_vma(current->mm, 0);

        return v && v->vm_start <= stack_guard_gap;
    }

    // Tracepoints do nothing the placement depends on.
    void trace_vm_unmapped_area(unsigned long addr, struct vm_unmapped_area_info *info)
    {
    }

    // A struct file * is its kind (FILE_THP, FILE_SHMEM, ...); so are the handles reached from it:
    // its file_operations, inode, super block. The internal shmem mount is one more handle.
    struct file_operations *file__f_op(struct file *file)
    {
        return (struct file_operations *)file;
    }

    // The get_unmapped_area hook of each kind's file_operations (ext4/xfs, tmpfs, hugetlbfs,
    // device DAX); a plain file has none.
    void *file_operations__get_unmapped_area(struct file_operations *op)
    {
        if (op == (struct file_operations *)FILE_THP)
            return thp_get_unmapped_area;
        if (op == (struct file_operations *)FILE_SHMEM)
            return shmem_get_unmapped_area;
        if (op == (struct file_operations *)FILE_HUGETLBFS)
            return hugetlb_get_unmapped_area;
        if (op == (struct file_operations *)FILE_DAX)
            return dax_get_unmapped_area;
        return NULL;
    }

    struct file_operations *__global_shmem_file_operations(void)
    {
        return (struct file_operations *)FILE_SHMEM;
    }

    struct inode *file_inode(struct file *file)
    {
        return (struct inode *)file;
    }

    struct super_block *inode__i_sb(struct inode *inode)
    {
        return (struct super_block *)inode;
    }

    // shm_mnt: the internal mount of anonymous shared memory (its own handle, after the kinds).
    struct vfsmount *__global_shm_mnt(void)
    {
        return (struct vfsmount *)(FILE_DAX + 1);
    }

    struct super_block *vfsmount__mnt_sb(struct vfsmount *mnt)
    {
        return (struct super_block *)mnt;
    }

    struct shmem_sb_info *SHMEM_SB(struct super_block *sb)
    {
        return (struct shmem_sb_info *)sb;
    }

    // sb->huge: the internal mount's (shmem_mount_huge) or the file's mount's (shmem_file_huge).
    int shmem_sb_info__huge(struct shmem_sb_info *sbinfo)
    {
        if (sbinfo == (struct shmem_sb_info *)(FILE_DAX + 1))
            return shmem_mount_huge;
        return shmem_file_huge;
    }

    // The anonymous shmem mTHP orders (sysfs): the configuration's highest order, as "always".
    unsigned long __global_huge_shmem_orders_always(void)
    {
        return shmem_anon_order ? 1UL << shmem_anon_order : 0;
    }

    unsigned long __global_huge_shmem_orders_within_size(void)
    {
        return 0;
    }

    unsigned long __global_huge_shmem_orders_madvise(void)
    {
        return 0;
    }

    unsigned long __global_huge_shmem_orders_inherit(void)
    {
        return 0;
    }

    int highest_order(unsigned long orders)
    {
        return ilog2(orders);
    }

    // do_mmap() (mm/mmap.c) around the placement. The process: no personality flags (no
    // READ_IMPLIES_EXEC), no default vm_flags, far fewer VMAs than vm.max_map_count (a layout here
    // has at most 65 530), overcommit heuristic, may mlock. A file: opened read-write, mmap-able, on
    // a mount without noexec, not append-only, not a swap file, without memfd seals; device DAX
    // supports MAP_SYNC. After the placement mmap_region() maps at the address; only the file's
    // mmap hook can refuse: hugetlbfs_file_mmap() takes offsets in whole huge pages only.
    unsigned long task_struct__personality(struct task_struct *task)
    {
        return task_personality;
    }

    int mm_struct__map_count(struct mm_struct *mm)
    {
        return 0;
    }

    unsigned long mm_struct__def_flags(struct mm_struct *mm)
    {
        return 0;
    }

    // 65 530 on Linux; INT_MAX here so that the scaled spaces hold it (map_count is 0 anyway).
    int __global_sysctl_max_map_count(void)
    {
        return INT_MAX;
    }

    int __global_sysctl_overcommit_memory(void)
    {
        return 0;
    }

    void validate_mm(struct mm_struct *mm)
    {
    }

    int execute_only_pkey(struct mm_struct *mm)
    {
        return 0;
    }

    bool can_do_mlock(void)
    {
        return true;
    }

    bool mlock_future_ok(struct mm_struct *mm, unsigned long flags, unsigned long bytes)
    {
        return true;
    }

    int mlock_future_check(struct mm_struct *mm, unsigned long flags, unsigned long len)
    {
        return 0;
    }

    struct vm_area_struct *find_vma_intersection(struct mm_struct *mm, unsigned long start_addr, unsigned long end_addr)
    {
        struct vm_area_struct *vma = find_vma(mm, start_addr);

        if (vma && end_addr <= vma->vm_start)
            vma = NULL;
        return vma;
    }

    unsigned long mmap_region(struct file *file, unsigned long addr, unsigned long len, vm_flags_t vm_flags,
                              unsigned long pgoff, struct list_head *uf)
    {
        if (file == FILE_HUGETLBFS && (pgoff & ((HUGETLB_PAGE_SIZE >> PAGE_SHIFT) - 1)))
            return -EINVAL;
        return addr;
    }

    struct path *file__f_path(struct file *file)
    {
        return (struct path *)file;
    }

    bool path_noexec(struct path *path)
    {
        return false;
    }

    fmode_t file__f_mode(struct file *file)
    {
        return FMODE_READ | FMODE_WRITE;
    }

    struct address_space *file__f_mapping(struct file *file)
    {
        return (struct address_space *)file;
    }

    struct inode *address_space__host(struct address_space *mapping)
    {
        return (struct inode *)mapping;
    }

    bool IS_SWAPFILE(struct inode *inode)
    {
        return false;
    }

    bool IS_APPEND(struct inode *inode)
    {
        return false;
    }

    // The mode of the inode: a regular file, except device DAX (a character device).
    umode_t inode__i_mode(struct inode *inode)
    {
        return inode == (struct inode *)FILE_DAX ? S_IFCHR : S_IFREG;
    }

    bool S_ISREG(umode_t mode)
    {
        return mode == S_IFREG;
    }

    bool S_ISBLK(umode_t mode)
    {
        return false;
    }

    bool S_ISSOCK(umode_t mode)
    {
        return false;
    }

    // Which MAP_ flags beyond the legacy ones a file's mmap takes: device DAX takes MAP_SYNC
    // (6.12's fop_flags, 6.1's mmap_supported_flags); none has unsigned offsets.
    unsigned int file_operations__fop_flags(struct file_operations *op)
    {
        return op == (struct file_operations *)FILE_DAX ? FOP_MMAP_SYNC : 0;
    }

    unsigned long file_operations__mmap_supported_flags(struct file_operations *op)
    {
        return op == (struct file_operations *)FILE_DAX ? MAP_SYNC : 0;
    }

    void *file_operations__mmap(struct file_operations *op)
    {
        return (void *)1;
    }

    int memfd_check_seals_mmap(struct file *file, unsigned long *vm_flags_ptr)
    {
        return 0;
    }

    unsigned int memfd_file_seals(struct file *file)
    {
        return 0;
    }

    bool is_readonly_sealed(unsigned int seals, vm_flags_t vm_flags)
    {
        return false;
    }
    """

    /// What a property calls for "mmap() up to the placement": the bundled model is
    /// `do_mmap_placement`; with a tree it is the tree's `do_mmap` with PROT_READ | PROT_WRITE,
    /// whichever signature the tree has (6.10 added `vm_flags`).
    public static func doMmapPlacement(doMmapParameters: Int) -> String {
        let call = doMmapParameters >= 9
            ? "do_mmap(file, addr, len, PROT_READ | PROT_WRITE, flags, vm_flags, pgoff, &populate, NULL)"
            : "do_mmap(file, addr, len, PROT_READ | PROT_WRITE, flags, pgoff, &populate, NULL)"
        return """
        unsigned long do_mmap_placement(struct file *file, unsigned long addr, unsigned long len,
                                        unsigned long flags, vm_flags_t vm_flags, unsigned long pgoff)
        {
            unsigned long populate;

            return \(call);
        }
        """
    }
}

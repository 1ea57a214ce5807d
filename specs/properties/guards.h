// Guard gaps and "free" as the properties state them, shared by specs/properties and mutants/.
// A header (.h, not .spec): it holds no properties, so `prove specs` does not take it as a spec.

// The free space a VMA demands below and above itself, stated by the properties themselves rather
// than with the models' vm_start_gap()/vm_end_gap(): a property built on those would change with
// them, and could not notice a slip in them (hugealign mutate, the seeded bugs in mutants/).
static unsigned long guard_below(struct vm_area_struct *v)
{
    unsigned long g = 0;

    if (v->vm_flags & VM_GROWSDOWN)
        g = stack_guard_gap;
    else if (v->vm_flags & VM_SHADOW_STACK)
        g = PAGE_SIZE;
    return v->vm_start >= g ? v->vm_start - g : 0;
}

static unsigned long guard_above(struct vm_area_struct *v)
{
    if (!(v->vm_flags & VM_GROWSUP))
        return v->vm_end;
    return v->vm_end + stack_guard_gap >= v->vm_end ? v->vm_end + stack_guard_gap : -PAGE_SIZE;
}

// True when [addr, addr + len) touches no VMA and no VMA's guard gap: the properties' own statement
// of "free", kept out of the models so that mutating the models never changes it.
static bool range_free(unsigned long addr, unsigned long len)
{
    struct vm_area_struct *prev;
    struct vm_area_struct *next = find_vma_prev(current->mm, addr, &prev);

    if (addr + len < addr)
        return false;
    if (next && addr + len > guard_below(next))
        return false;
    if (prev && guard_above(prev) > addr)
        return false;
    return true;
}

// The file kinds the models tell apart (anonymous when NULL): what a request's `file` may be.
static bool file_kind_ok(struct file *file)
{
    return !file || file == FILE_PLAIN || file == FILE_THP || file == FILE_SHMEM || file == FILE_HUGETLBFS || file == FILE_DAX;
}

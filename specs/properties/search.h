// vm_unmapped_area() as its callers use it, shared by vm_unmapped_area.spec (the scaled spaces) and
// vm_unmapped_area_64.spec (64 bits). A header: it holds no properties.

#include "../kernel/v6.18/vma.spec"

// The search with the callers' preconditions: page-aligned length and limits, a non-zero high
// limit inside the task (0 would wrap to "everything"), a page-granular alignment mask.
static unsigned long search(unsigned long len, unsigned long low, unsigned long high, int align_order,
                            unsigned long align_offset, bool shadow, bool topdown)
{
    struct vm_unmapped_area_info info = {};

    assume(len != 0 && !offset_in_page(len) && !offset_in_page(low) && !offset_in_page(high));
    assume(high != 0 && high <= TASK_SIZE && !offset_in_page(align_offset));
    assume(align_order >= 0 && align_order <= PUD_SHIFT - PAGE_SHIFT);
    info.flags = topdown ? VM_UNMAPPED_AREA_TOPDOWN : 0;
    info.length = len;
    info.low_limit = low;
    info.high_limit = high;
    info.align_mask = (PAGE_SIZE << align_order) - PAGE_SIZE;
    info.align_offset = align_offset;
    info.start_gap = shadow ? PAGE_SIZE : 0;
    return vm_unmapped_area(&info);
}

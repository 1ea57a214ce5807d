// Contracts (assume-guarantee, docs/verdicts.md "Contracts"): what a caller may assume of a call.
// A property that names one (`contract unmapped_area`, with `layout any`) sees every call to the
// function only through it; the prover first proves the contract itself — for all arguments and
// every layout, under the property's configuration — and the verdict says it did. A header: it
// holds no properties.

#include "../kernel/v6.18/vma.spec"
#include "guards.h"

// The window searches as their callers use them (the preconditions of search.h): page-aligned
// length and limits, a non-zero high limit inside the task, a page-granular alignment of at most a
// PUD, a start gap of no or one page.
static bool search_request_ok(struct vm_unmapped_area_info *info)
{
    unsigned long m = info->align_mask;

    return info->length != 0 && !offset_in_page(info->length) && !offset_in_page(info->low_limit)
           && !offset_in_page(info->high_limit) && info->high_limit != 0 && info->high_limit <= TASK_SIZE
           && !offset_in_page(info->align_offset) && !offset_in_page(m) && m < PUD_SIZE && (m & (m + PAGE_SIZE)) == 0
           && (info->start_gap == 0 || info->start_gap == PAGE_SIZE);
}

// What they return: -ENOMEM, or a page-aligned range inside the window, aligned as asked, free of
// every VMA and guard gap, with a free page below it when a start gap is asked. (Written out in each
// contract: each clause is then an assertion of its own, decided by the engine that suits it.)

// unmapped_area(): the bottom-up search.
contract unsigned long unmapped_area(struct vm_unmapped_area_info *info) arithmetic both
    requires search_request_ok(info)
    ensures result == -ENOMEM || (!offset_in_page(result) && result >= info->low_limit && result >= mmap_min_addr
                                  && result + info->length > result && result + info->length <= info->high_limit)
    ensures result == -ENOMEM || ((result - info->align_offset) & info->align_mask) == 0
    ensures result == -ENOMEM || range_free(result, info->length)
    ensures result == -ENOMEM || !info->start_gap || range_free(result - PAGE_SIZE, PAGE_SIZE);

// unmapped_area_topdown(): the top-down search, when no stack lies within stack_guard_gap of
// address 0 (there the search may return anything: the guard-gap finding, docs/kernel-policies.md).
contract unsigned long unmapped_area_topdown(struct vm_unmapped_area_info *info) arithmetic both
    requires search_request_ok(info)
    requires !vma_within_guard_gap_of_zero()
    ensures result == -ENOMEM || (!offset_in_page(result) && result >= info->low_limit && result >= mmap_min_addr
                                  && result + info->length > result && result + info->length <= info->high_limit)
    ensures result == -ENOMEM || ((result - info->align_offset) & info->align_mask) == 0
    ensures result == -ENOMEM || range_free(result, info->length)
    ensures result == -ENOMEM || !info->start_gap || range_free(result - PAGE_SIZE, PAGE_SIZE);

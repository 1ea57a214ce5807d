// hugealign finding reproducer: an anonymous MAP_32BIT mapping whose length is a multiple of the
// PMD size (2 MiB) skips the first PMD of the free space it is placed in. THP alignment pads the
// request by 2 MiB and asks for it bottom-up (MAP_32BIT is always bottom-up on x86-64), then
// applies its top-down rule — "already aligned: move up one block, so the mapping ends at the top
// of the padded window" — because the mm is top-down, although this search was not. The 2 MiB
// below the mapping stay free, and every such mapping leaves one such hole in the 1 GiB window.
// Build: cc -O2 -o map32bit_thp_hole map32bit_thp_hole.c && ./map32bit_thp_hole
// Exit: 1 the kernel shows the behaviour, 0 it does not, 2 cannot be set up here.
#define _GNU_SOURCE
#include <stdio.h>
#include <sys/mman.h>

#ifndef MAP_FIXED_NOREPLACE
#define MAP_FIXED_NOREPLACE 0x100000
#endif

int main(void)
{
#if defined(__x86_64__) && defined(MAP_32BIT)
    const unsigned long pmd = 2UL << 20;
    char *p = mmap(NULL, pmd, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS | MAP_32BIT, -1, 0);
    if (p == MAP_FAILED) { perror("mmap MAP_32BIT"); return 2; }
    printf("2 MiB MAP_32BIT mapping at %p\n", (void *)p);
    if ((unsigned long)p % pmd != 0) { printf("not PMD-aligned: no THP alignment here\n"); return 0; }
    if ((unsigned long)p < (1UL << 30) + pmd) { printf("no room below it in the window\n"); return 0; }
    // The block right below it: free, aligned, inside the window, and lower — a bottom-up search
    // for this length would have taken it.
    char *below = mmap(p - pmd, pmd, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE, -1, 0);
    if (below == p - pmd) {
        printf("the 2 MiB below it, %p, was free: the mapping skipped it\n", (void *)below);
        return 1;
    }
    printf("the block below it is taken: no hole\n");
    return 0;
#else
    printf("MAP_32BIT exists only on x86-64\n");
    return 2;
#endif
}

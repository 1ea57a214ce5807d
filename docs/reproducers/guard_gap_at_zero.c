// hugealign finding reproducer: a stack mapped below stack_guard_gap gets its guard gap clamped
// to address 0; a top-down search that reaches it wraps and returns -len, which
// arch_get_unmapped_area_topdown() takes for an address (it is page-aligned), so its bottom-up
// fallback is skipped and mmap() fails with ENOMEM although there is room above mmap_base.
// Build: cc -O2 -o guard_gap_at_zero guard_gap_at_zero.c && ./guard_gap_at_zero
// Exit: 1 the kernel shows the behaviour, 0 it does not, 2 cannot be set up (needs mmap_min_addr <= 64 KiB).
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/personality.h>
#include <unistd.h>

#ifndef MAP_FIXED_NOREPLACE
#define MAP_FIXED_NOREPLACE 0x100000
#endif

static unsigned long gaps[4096][2];

/* The free ranges of [lo, hi) in this process, from /proc/self/maps. */
static int free_ranges(unsigned long lo, unsigned long hi)
{
    FILE *m = fopen("/proc/self/maps", "r");
    char line[512];
    unsigned long prev = lo;
    int n = 0;
    if (!m) return -1;
    while (fgets(line, sizeof line, m) && n < 4096) {
        unsigned long s, e;
        if (sscanf(line, "%lx-%lx", &s, &e) != 2 || e <= lo) continue;
        if (s >= hi) break;
        if (s > prev) { gaps[n][0] = prev; gaps[n][1] = s; n++; }
        if (e > prev) prev = e;
    }
    fclose(m);
    if (prev < hi && n < 4096) { gaps[n][0] = prev; gaps[n][1] = hi; n++; }
    return n;
}

int main(int argc, char **argv)
{
    (void)argc;
    int persona = personality(0xffffffff);
    if (persona != -1 && !(persona & ADDR_NO_RANDOMIZE) && !getenv("HUGEALIGN_REEXEC")) {
        setenv("HUGEALIGN_REEXEC", "1", 1);
        if (personality(persona | ADDR_NO_RANDOMIZE) != -1) execv("/proc/self/exe", argv);
    }
    /* mmap_base: where the first top-down mapping of a page lands, plus that page. */
    void *probe = mmap(NULL, 4096, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (probe == MAP_FAILED) { perror("mmap"); return 2; }
    unsigned long top = (unsigned long)probe;  /* the highest free page below mmap_base */
    munmap(probe, 4096);
    /* The low stack: [192 KiB, 256 KiB), free space below it down to mmap_min_addr (64 KiB), its
       guard gap (1 MiB) reaching below 0, so vm_start_gap() clamps it to 0. */
    void *stack = mmap((void *)0x30000, 0x10000, PROT_READ | PROT_WRITE,
                       MAP_PRIVATE | MAP_ANONYMOUS | MAP_GROWSDOWN | MAP_FIXED_NOREPLACE, -1, 0);
    if (stack != (void *)0x30000) { printf("cannot map a stack at 0x30000 (%s)\n", strerror(errno)); return 2; }
    /* Fill every free range between the stack and the highest free page below mmap_base. */
    int n = free_ranges(0x40000, top + 4096);
    for (int i = 0; i < n; i++) {
        void *p = mmap((void *)gaps[i][0], gaps[i][1] - gaps[i][0], PROT_NONE,
                       MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE | MAP_FIXED_NOREPLACE, -1, 0);
        if (p == MAP_FAILED) { printf("cannot fill [0x%lx, 0x%lx): %s\n", gaps[i][0], gaps[i][1], strerror(errno)); return 2; }
    }
    /* Room is left above mmap_base (below the stack of the process): a bottom-up search finds it. */
    void *r = mmap(NULL, 4096, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    printf("filled %d ranges below 0x%lx; stack at [0x30000, 0x40000) with MAP_GROWSDOWN, [0x10000, 0x30000) free\n", n, top);
    if (r == MAP_FAILED) {
        printf("mmap(NULL, 4096) failed: %s — the top-down search wrapped at the stack's guard gap and the bottom-up fallback was skipped\n", strerror(errno));
        /* The same mapping without MAP_GROWSDOWN (no guard gap): the same request is placed in the
           free space below it, so the failure comes from the clamped guard gap alone. */
        munmap(stack, 0x10000);
        void *plain = mmap((void *)0x30000, 0x10000, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE, -1, 0);
        void *again = mmap(NULL, 4096, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
        printf("the same layout with a plain VMA at 0x30000: %s (0x%lx)\n", again == MAP_FAILED ? strerror(errno) : "placed", (unsigned long)again);
        return plain == (void *)0x30000 && again != MAP_FAILED ? 1 : 0;
    }
    printf("mmap(NULL, 4096) = %p: not reproduced\n", r);
    return 0;
}

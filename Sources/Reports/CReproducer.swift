import Engines
import Placement

/// A standalone C program that asks the running kernel the counterexample's question: it re-execs
/// itself without address randomisation (as the x86-64 model assumes), maps the layout's VMAs with
/// MAP_FIXED_NOREPLACE, makes the property's mmap call (anonymous, an ext4 file in the current
/// directory for THP files, a memfd for shmem) and compares the address with the model's. The same
/// address means the property is violated on this kernel (the assertion depends only on it and the
/// inputs); a different one is reported as "not reproduced", never as a violation.
public enum CReproducer {
    /// Nil when the finding cannot be run on a real kernel: a scaled or non-x86-64 config, or no
    /// `do_mmap_placement` call.
    public static func program(_ f: Finding, config: Config) -> String? {
        guard config.name.hasPrefix("x86_64"), config.dataModel.longBits == 64,
              let call = f.counterexample.calls?.first(where: { $0.function == PlacementEntry.function }),
              let file = call.argument("file"), let addr = call.argument("addr"), let len = call.argument("len"),
              let flags = call.argument("flags"), let pgoff = call.argument("pgoff"), let model = call.resultValue else { return nil }
        let kind: String
        switch file {
        case 0: kind = "anon"
        case config[.fileTHP]: kind = "ext4"
        case config[.fileShmem]: kind = "memfd"
        default: return nil
        }
        let h = { (v: UInt64) in "0x" + String(v, radix: 16) + "UL" }
        let growsdown = config.number(.vmGrowsDown)
        let vmas = (f.counterexample.layout ?? []).map { "    { \(h($0.start)), \(h($0.end)), \($0.flags & growsdown != 0 ? 1 : 0) }," }
        let failed = f.expected.map { "//   " + $0 }.joined(separator: "\n")
        return """
        // hugealign counterexample reproducer (generated; do not edit)
        // spec \(f.spec), property \(f.property), config \(f.config), found by the \(f.engine.rawValue)
        // The model's do_mmap_placement returns \(h(model)) for this request, which violates:
        \(failed)
        // Build and run: cc -O2 -o repro repro.c && ./repro
        // Exit status: 1 the kernel shows the violation, 0 not reproduced (this process's own mappings
        // are in the way), 3 the kernel and the model disagree, 2 cannot be set up here.
        #define _GNU_SOURCE
        #include <errno.h>
        #include <fcntl.h>
        #include <stdio.h>
        #include <stdlib.h>
        #include <string.h>
        #include <sys/mman.h>
        #include <sys/personality.h>
        #include <unistd.h>

        #ifndef MAP_FIXED_NOREPLACE
        #define MAP_FIXED_NOREPLACE 0x100000
        #endif

        /* Whether [start, end) overlaps a mapping of this process (/proc/self/maps). */
        static int range_taken(unsigned long start, unsigned long end)
        {
            FILE *m = fopen("/proc/self/maps", "r");
            char line[512];
            int taken = 0;
            if (!m) return 0;
            while (!taken && fgets(line, sizeof line, m)) {
                unsigned long s, e;
                if (sscanf(line, "%lx-%lx", &s, &e) == 2 && s < end && start < e) taken = 1;
            }
            fclose(m);
            return taken;
        }

        static const struct { unsigned long start, end; int growsdown; } layout[] = {
        \(vmas.joined(separator: "\n"))
            { 0, 0, 0 }
        };

        int main(int argc, char **argv)
        {
            (void)argc;
            int persona = personality(0xffffffff);
            if (persona != -1 && !(persona & ADDR_NO_RANDOMIZE) && !getenv("HUGEALIGN_REEXEC")) {
                /* The model's mmap_base assumes no randomisation: run again without it. */
                setenv("HUGEALIGN_REEXEC", "1", 1);
                if (personality(persona | ADDR_NO_RANDOMIZE) != -1)
                    execv("/proc/self/exe", argv);
            }
            for (int i = 0; layout[i].end; i++) {
                unsigned long len = layout[i].end - layout[i].start;
                int extra = layout[i].growsdown ? MAP_GROWSDOWN : 0;
                void *p = mmap((void *)layout[i].start, len, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE | extra, -1, 0);
                if (p == MAP_FAILED || (unsigned long)p != layout[i].start) {
                    printf("cannot set up the layout here: [0x%lx, 0x%lx) is taken (%s)\\n", layout[i].start, layout[i].end, strerror(errno));
                    return 2;
                }
            }
            unsigned long addr = \(h(addr)), len = \(h(len)), flags = \(h(flags)), pgoff = \(h(pgoff));
            unsigned long model = \(h(model));
            int fd = -1;
            const char *kind = "\(kind)";
            if (!strcmp(kind, "ext4")) {
                char name[] = "./hugealign-repro.XXXXXX";
                fd = mkstemp(name);
                if (fd < 0) { perror("mkstemp"); return 2; }
                unlink(name);
                if (ftruncate(fd, (off_t)((pgoff << 12) + len + (2UL << 20))) != 0) { perror("ftruncate"); return 2; }
            } else if (!strcmp(kind, "memfd")) {
                fd = memfd_create("hugealign-repro", 0);
                if (fd < 0 || ftruncate(fd, (off_t)((pgoff << 12) + len)) != 0) { perror("memfd_create"); return 2; }
            }
            unsigned long model_end = model + ((len + 0xfffUL) & ~0xfffUL);
            int model_range_taken = model < -4095UL && range_taken(model, model_end);
            void *r = mmap((void *)addr, len, PROT_READ, (int)flags, fd, (off_t)(pgoff << 12));
            unsigned long got = r == MAP_FAILED ? -(unsigned long)errno : (unsigned long)r;
            printf("request: mmap(0x%lx, 0x%lx, PROT_READ, 0x%lx, %s, 0x%lx)\\n", addr, len, flags, kind, pgoff << 12);
            printf("kernel:  0x%lx\\nmodel:   0x%lx\\n", got, model);
            if (got == model) {
                printf("VIOLATED on this kernel: it returned the model's address, which breaks property \(f.property)\\n");
                return 1;
            }
            if (model_range_taken) {
                printf("not reproduced: this process's own mappings (libc, stack, ...) occupy the model's answer; the layout here is not the counterexample's\\n");
                return 0;
            }
            printf("MODEL AND KERNEL DISAGREE: the model's answer was free here, yet the kernel chose another; the model (or its config) does not match this kernel\\n");
            return 3;
        }

        """
    }
}

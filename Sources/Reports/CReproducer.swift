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
        guard config.name.hasPrefix("x86_64"), config.dataModel.longBits == 64, let calls = f.counterexample.calls,
              let requests = requests(calls, page: config.number(.pageSize)), let file = requests[0].argument("file") else { return nil }
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
        // Earlier requests of a sequence: made first, each must get the model's answer.
        let earlier = requests.dropLast().map { c in
            "    { \(h(c.argument("addr") ?? 0)), \(h(c.argument("len") ?? 0)), \(h(c.argument("flags") ?? 0)), \(h(c.argument("pgoff") ?? 0)), \(h(c.resultValue ?? 0)) },"
        }
        let last = requests[requests.count - 1]
        guard let lastAddr = last.argument("addr"), let lastLen = last.argument("len"), let lastFlags = last.argument("flags"),
              let lastPgoff = last.argument("pgoff"), let lastModel = last.resultValue else { return nil }
        return """
        // hugealign counterexample reproducer (generated; do not edit)
        // spec \(f.spec), property \(f.property), config \(f.config), found by the \(f.engine.rawValue)
        // The model's do_mmap_placement returns \(h(lastModel)) for the\(requests.count > 1 ? " last" : "") request, which violates:
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

        static const struct { unsigned long addr, len, flags, pgoff, model; } earlier[] = {
        \(earlier.joined(separator: "\n"))
            { 0, 0, 0, 0, 0 }
        };

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
            unsigned long addr = \(h(lastAddr)), len = \(h(lastLen)), flags = \(h(lastFlags)), pgoff = \(h(lastPgoff));
            unsigned long model = \(h(lastModel));
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
            for (int i = 0; earlier[i].len; i++) {
                void *e = mmap((void *)earlier[i].addr, earlier[i].len, PROT_READ, (int)earlier[i].flags, fd, (off_t)(earlier[i].pgoff << 12));
                unsigned long got = e == MAP_FAILED ? -(unsigned long)errno : (unsigned long)e;
                printf("request %d: mmap(0x%lx, 0x%lx, PROT_READ, 0x%lx, %s, 0x%lx) = 0x%lx (model 0x%lx)\\n", i + 1, earlier[i].addr,
                       earlier[i].len, earlier[i].flags, kind, earlier[i].pgoff << 12, got, earlier[i].model);
                if (got != earlier[i].model) {
                    printf("not reproduced: an earlier request of the sequence got another answer here, so the layout differs from the counterexample's\\n");
                    return 0;
                }
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

    /// The property's placement requests, in order: one, or a sequence whose insertions are exactly
    /// the ranges the earlier requests returned (what mmap itself does on a real kernel), all with
    /// the same file. Nil when the calls cannot be replayed as plain mmaps.
    static func requests(_ calls: [CallRecord], page: UInt64) -> [CallRecord]? {
        var out: [CallRecord] = []
        var inserted = false  // the previous request's range was inserted
        for c in calls {
            if c.function == "insert_vma" {
                guard !inserted, let prev = out.last, let r = prev.resultValue, let len = prev.argument("len"),
                      c.argument("start") == r, c.argument("end") == r &+ ((len &+ page &- 1) & ~(page &- 1)) else { return nil }
                inserted = true
            } else if c.function == PlacementEntry.function {
                // A request after an earlier one is only the same process's next mmap when that
                // earlier mapping was inserted.
                if !out.isEmpty && !inserted { return nil }
                if let first = out.first, first.argument("file") != c.argument("file") { return nil }
                out.append(c)
                inserted = false
            }
        }
        return out.isEmpty ? nil : out
    }
}

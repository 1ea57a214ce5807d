import Compiled
import Engines
import Foundation
import KernelC
import Placement

/// The native yardstick of `fuzz`: the same placement model and check, compiled C (the compiled
/// form's own functions), driven by a C loop that builds a fresh 50-VMA layout for every check,
/// answers the window searches with a plain C gap scan (`find_vma` and fields are read by the
/// compiled code itself, as in the fuzzer) and draws the inputs in C, without
/// coverage, corpus or mutation. What the fuzzer adds on top of that is the price of its search.
public enum NativeBaseline {
    /// How a property's inputs are drawn in C, per parameter (a C expression over `r()`, the
    /// generator, and `L`, the layout).
    static let draws: [String: [String]] = [
        // file, len, pgoff
        "thp_congruent": ["(r() & 1) ? 2 : 0",
                          "(r() & 1) ? ((1 + r() % 8) << 21) : ((1 + r() % 2048) << 12)",
                          "(r() & 1) ? (r() % 1024) : ((r() % 64) << 9)"],
        // file, addr, len, flags
        "placement_avoids_vmas": ["(r() & 3) ? 0 : 4",
                                  "(r() & 1) ? 0 : (L.f[r() % L.n] - ((r() % 16) << 12))",
                                  "(r() & 1) ? ((1 + r() % 1024) << 12) : ((1 + r() % 4) << 21)",
                                  "(u64[]){0x22, 0x01, 0x62}[r() % 3]"],
    ]

    static let driver = """

    #include <stdio.h>
    #include <stdlib.h>
    #include <time.h>
    /* As VMAIndex.fields: n starts, then n ends, n flags, n pgoffs. */
    typedef struct { u64 f[4 * 64]; int n; } nl_layout;
    #define START(L, i) ((L)->f[i])
    #define END(L, i) ((L)->f[(L)->n + (i)])
    static u64 state = 0x9E3779B97F4A7C15ULL;
    static inline u64 r(void) { state ^= state << 13; state ^= state >> 7; state ^= state << 17; return state; }
    static int fits(nl_layout *L, int j, u64 min, u64 max, u64 size, u64 *a, u64 *b) {
        u64 lo = j ? END(L, j - 1) : 0, hi = j == L->n ? ~0ULL : START(L, j) - 1;
        if (j < L->n && START(L, j) <= lo) return 0;
        *a = lo < min ? min : lo; *b = hi > max ? max : hi;
        return *a <= *b && *b - *a >= size - 1;
    }
    /* Window searches only: find_vma and field reads never come here, the compiled code reads
       them from L.f (ctx[HX_FIELDS]); these properties insert nothing. */
    static u64 nl_query(void *o, s64 op, const u64 *x, u64 *out) {
        nl_layout *L = o;
        int i;
        switch (op) {
        case 3: case 4: {
            u64 min = x[0], max = x[1] - 1, size = x[2], a, b;
            if (max < min || size == 0 || max - min < size - 1) { *out = op == 3 ? 0 : 1; return 0; }
            if (op == 3) { for (i = 0; i <= L->n; i++) if (fits(L, i, min, max, size, &a, &b)) { *out = a; return 1; } *out = 0; }
            else { for (i = L->n; i >= 0; i--) if (fits(L, i, min, max, size, &a, &b)) { *out = b + 1; return 1; } *out = 1; }
            return 0;
        }
        default: return 0;
        }
    }
    static void build(nl_layout *L) {
        u64 addr = 0x7f0000000000ULL + ((r() % 4096) << 12);
        L->n = 50;
        for (int i = 0; i < 50; i++) {
            addr += ((1 + r() % 6) << 12) + ((r() % 9 == 0) ? (2ULL << 20) : 0);
            u64 len = (1 + r() % 7) << 12;
            L->f[i] = addr; L->f[50 + i] = addr + len; L->f[100 + i] = i == 49 ? 0x100 : 0; L->f[150 + i] = 0;
            addr += len;
        }
    }
    int main(int argc, char **argv) {
        long n = atol(argv[1]);
        u64 ctx[HX_SLOTS] = {0};
        nl_layout L;
        ctx[HX_QUERY] = (u64)(uintptr_t)nl_query;
        ctx[HX_LAYOUT] = (u64)(uintptr_t)&L;
        ctx[HX_FIELDS] = (u64)(uintptr_t)L.f;
        ctx[HX_NVMAS] = 50;
        long checks = 0, failed = 0, vacuous = 0;
        struct timespec t0, t1;
        clock_gettime(CLOCK_MONOTONIC, &t0);
        for (long k = 0; k < n; k++) {
            build(&L);
            u64 in[8];
            for (int attempt = 0; attempt < 8; attempt++) {
                DRAW
                if (LEAD(ctx, in, ~0ULL)) break;
            }
            s64 s = PROP(ctx, in, 0);
            if (s == 1) vacuous++; else { checks++; if (s == 2) failed++; }
        }
        clock_gettime(CLOCK_MONOTONIC, &t1);
        double secs = (t1.tv_sec - t0.tv_sec) + (t1.tv_nsec - t0.tv_nsec) / 1e9;
        printf("%.0f %ld %ld %ld\\n", checks / secs, checks, vacuous, failed);
        return 0;
    }

    """

    /// Builds and runs the native loop for `property` of `spec` (x86_64); non-vacuous checks per
    /// second, and the counts behind it.
    public static func run(spec: String, property: String, iterations: Int) throws -> (perSecond: Double, checks: Int, vacuous: Int, failed: Int) {
        guard let draw = draws[property], let cc = NativeLibrary.compiler else {
            throw NativeCodeError(message: "no native rendering of \(property), or no C compiler")
        }
        let plan = try SpecPlan(file: spec, defaultConfig: .x86_64, only: property)
        let item = plan.items[0]
        let compiled = try CompiledProgram(program: item.program, config: item.config, unwind: ConcreteRunner.unwind(item.property, nil))
        guard let index = item.program.properties.firstIndex(where: { $0.name == property }), compiled.hasProperty(index) else {
            throw NativeCodeError(message: "\(property) is not compiled")
        }
        let draws = draw.enumerated().map { "in[\($0.offset)] = \($0.element);" }.joined(separator: " ")
        let main = driver.replacingOccurrences(of: "DRAW", with: draws)
            .replacingOccurrences(of: "LEAD", with: compiled.leading[index] != nil ? "hx_lead_\(index)" : "1 || ")
            .replacingOccurrences(of: "PROP", with: "hx_prop_\(index)")
        let dir = NSTemporaryDirectory() + "hugealign-native-\(getpid())-\(property)-\(UInt32.random(in: 0 ... .max))"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        try (compiled.source + main).write(toFile: dir + "/native.c", atomically: true, encoding: .utf8)
        try shell(cc, ["-O2", "-w", "-o", dir + "/native", dir + "/native.c"])
        let out = try shell(dir + "/native", [String(iterations)]).split(separator: " ").map { Double($0.trimmingCharacters(in: .whitespacesAndNewlines)) ?? 0 }
        return (out[0], Int(out[1]), Int(out[2]), Int(out[3]))
    }

    @discardableResult
    static func shell(_ exe: String, _ args: [String]) throws -> String {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: exe)
        p.arguments = args
        let pipe = Pipe()
        p.standardOutput = pipe
        try p.run()
        let data = pipe.fileHandleForReading.readDataToEndOfFile()
        p.waitUntilExit()
        guard p.terminationStatus == 0 else { throw NativeCodeError(message: "\(exe) exited with \(p.terminationStatus)") }
        return String(decoding: data, as: UTF8.self)
    }
}

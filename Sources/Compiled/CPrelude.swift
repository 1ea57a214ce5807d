import Semantics

/// The contract between the generated C and this process: the slots of the context array every
/// generated function receives, and the C twin of `ConcreteDomain` (and of the coverage hash) that
/// the generated code calls. Both are written here once; the emitter prints the prelude from these
/// constants, so the two sides cannot drift.
enum CompiledABI {
    /// `uint64_t ctx[]` slots.
    static let layoutObject = 0
    /// `uint64_t (*)(void *layout, int64_t op, const uint64_t *args, uint64_t *out)`.
    static let layoutQuery = 1
    /// `uint32_t *`: per coverage bit, the epoch of the last run that set it (0: no coverage).
    static let coverageBits = 2
    /// `int32_t *`: the indices the run set, appended.
    static let coverageTouched = 3
    /// `int64_t *`: how many indices `coverageTouched` holds, the run's epoch, and whether the run
    /// set a bit `coverageSeen` does not have (`CoverageMap.state`).
    static let coverageState = 4
    /// 1 + the obligation site that failed first (0: none).
    static let firstFailure = 5
    /// `jmp_buf *` of the entry point: a false `assume` ends the run there (vacuous).
    static let jump = 6
    /// `uint8_t *`: every coverage bit any run has set.
    static let coverageSeen = 7
    /// `const uint64_t *`: the run's layout as `VMAIndex.fields` (starts, ends, flags, pgoffs), or
    /// 0 once the run has inserted a VMA. While set, `find_vma` and field reads are answered in C
    /// (`hx_layout`), with `VMAIndex`'s and `IndexedAddressSpace`'s semantics; window searches and
    /// insertions always go to the query callback.
    static let layoutFields = 8
    /// The number of VMAs of `layoutFields`.
    static let layoutCount = 9
    /// Layout questions the run has asked, both ways (0: its outcome is the same on every layout).
    static let layoutQuestions = 10
    static let count = 11

    /// Layout operations of the query callback.
    enum Op: Int64 {
        case findVMA = 0, findVMAPrev, field, areaLowest, areaHighest, insert

        /// By raw value, inlined into each question's dispatch: the synthesized
        /// `init(rawValue:)` was a call per question, a twentieth of a model-checking run.
        @inline(__always) static func of(_ raw: Int64) -> Op {
            switch raw {
            case 0: return .findVMA
            case 1: return .findVMAPrev
            case 2: return .field
            case 3: return .areaLowest
            case 4: return .areaHighest
            default: return .insert
            }
        }
    }

    /// What an entry point returns.
    static let passed: Int64 = 0, vacuous: Int64 = 1, failed: Int64 = 2
}

enum CPrelude {
    static var text: String {
        """
        #ifdef __TINYC__
        /* tcc: the few declarations the code needs instead of the system headers, whose parsing
           was a quarter of the quick build (2 of 8 ms); glibc's _setjmp/longjmp, a buffer larger
           than any libc's jmp_buf. */
        typedef unsigned long long uint64_t;
        typedef long long int64_t;
        typedef unsigned int uint32_t;
        typedef int int32_t;
        typedef unsigned char uint8_t;
        typedef unsigned long uintptr_t;
        typedef struct { unsigned long long hx_space[64]; } jmp_buf[1];
        extern int _setjmp(jmp_buf);
        #define setjmp(b) _setjmp(b)
        extern void longjmp(jmp_buf, int) __attribute__((noreturn));
        extern void *memset(void *, int, unsigned long);
        extern void *memcpy(void *, const void *, unsigned long);
        extern void *memmove(void *, const void *, unsigned long);
        #else
        #include <stdint.h>
        #include <setjmp.h>
        #include <string.h>
        #endif
        typedef uint64_t u64;
        typedef int64_t s64;
        #define HX_LAYOUT \(CompiledABI.layoutObject)
        #define HX_QUERY \(CompiledABI.layoutQuery)
        #define HX_COV_BITS \(CompiledABI.coverageBits)
        #define HX_COV_TOUCHED \(CompiledABI.coverageTouched)
        #define HX_COV_STATE \(CompiledABI.coverageState)
        #define HX_COV_SEEN \(CompiledABI.coverageSeen)
        #define HX_SLOTS \(CompiledABI.count)
        #define HX_FIRST \(CompiledABI.firstFailure)
        #define HX_FIELDS \(CompiledABI.layoutFields)
        #define HX_NVMAS \(CompiledABI.layoutCount)
        #define HX_QUESTIONS \(CompiledABI.layoutQuestions)
        #define HX_JUMP \(CompiledABI.jump)
        #define HX_COV_SIZE \(CoverageMap.size)ULL
        typedef u64 (*hx_query_fn)(void *, s64, const u64 *, u64 *);
        static inline u64 hx_mask(int b) { return b >= 64 ? ~0ULL : ((1ULL << b) - 1); }
        static inline int hx_negative(u64 a, int b) { return (a >> (b - 1)) & 1; }
        static inline s64 hx_signed(u64 a, int b) { return b >= 64 ? (s64)a : (hx_negative(a, b) ? (s64)(a | ~hx_mask(b)) : (s64)a); }
        static inline u64 hx_neg(u64 a, int b) { return (0 - a) & hx_mask(b); }
        static inline u64 hx_udiv(u64 a, u64 d, int b) { return d == 0 ? hx_mask(b) : a / d; }
        static inline u64 hx_urem(u64 a, u64 d, int b) { return d == 0 ? a : a % d; }
        static inline u64 hx_sdiv(u64 a, u64 d, int b) {
            int na = hx_negative(a, b), nd = hx_negative(d, b);
            u64 q = hx_udiv(na ? hx_neg(a, b) : a, nd ? hx_neg(d, b) : d, b);
            return na != nd ? hx_neg(q, b) : q;
        }
        static inline u64 hx_srem(u64 a, u64 d, int b) {
            int na = hx_negative(a, b), nd = hx_negative(d, b);
            u64 r = hx_urem(na ? hx_neg(a, b) : a, nd ? hx_neg(d, b) : d, b);
            return na ? hx_neg(r, b) : r;
        }
        static inline u64 hx_shl(u64 a, u64 s, int b) { return s >= (u64)b ? 0 : (a << s) & hx_mask(b); }
        static inline u64 hx_lshr(u64 a, u64 s, int b) { return s >= (u64)b ? 0 : a >> s; }
        static inline u64 hx_ashr(u64 a, u64 s, int b) {
            int n = hx_negative(a, b);
            if (s >= (u64)b) return n ? hx_mask(b) : 0;
            u64 x = a >> s;
            return n ? (x | ~(hx_mask(b) >> s)) & hx_mask(b) : x;
        }
        static inline u64 hx_sext(u64 a, int from, int to) { return hx_negative(a, from) ? (a | ~hx_mask(from)) & hx_mask(to) : a; }
        static inline void hx_fail(u64 *ctx, u64 site) { if (!ctx[HX_FIRST]) ctx[HX_FIRST] = site + 1; }
        static inline void hx_vacuous(u64 *ctx) { longjmp(*(jmp_buf *)ctx[HX_JUMP], 1); }
        static inline void hx_cov(u64 *ctx, u64 id, u64 outcome) {
            uint32_t *bits = (uint32_t *)ctx[HX_COV_BITS];
            if (!bits) return;
            u64 h = id * 0x9E3779B97F4A7C15ULL + outcome * 0xBF58476D1CE4E5B9ULL;
            h ^= h >> 29;
            u64 i = h & (HX_COV_SIZE - 1);
            int64_t *st = (int64_t *)ctx[HX_COV_STATE];
            uint32_t epoch = (uint32_t)st[1];
            if (bits[i] != epoch) {
                bits[i] = epoch;
                ((int32_t *)ctx[HX_COV_TOUCHED])[st[0]++] = (int32_t)i;
                if (!((uint8_t *)ctx[HX_COV_SEEN])[i]) st[2] = 1;
            }
        }
        /* VMAIndex.countAtMost: how many of the sorted ends[0..n) are <= x. */
        static inline u64 hx_ends_at_most(const u64 *ends, u64 n, u64 x) {
            u64 lo = 0, hi = n;
            while (lo < hi) { u64 mid = (lo + hi) >> 1; if (ends[mid] <= x) lo = mid + 1; else hi = mid; }
            return lo;
        }
        /* IndexedAddressSpace's findVMA (handle i + 1, 0: none), vmaBefore and field, read from the
           index's fields while the run has inserted nothing; the rest through the callback. */
        static inline u64 hx_layout(u64 *ctx, s64 op, const u64 *args, u64 *out) {
            ctx[HX_QUESTIONS]++;
            const u64 *v = (const u64 *)ctx[HX_FIELDS];
            if (v && op == \(CompiledABI.Op.field.rawValue)) {
                u64 n = ctx[HX_NVMAS], h = args[0], f = args[1] > 3 ? 3 : args[1];
                return h >= 1 && h <= n ? v[f * n + h - 1] : 0;
            }
            if (v && (op == \(CompiledABI.Op.findVMA.rawValue) || op == \(CompiledABI.Op.findVMAPrev.rawValue))) {
                u64 n = ctx[HX_NVMAS], i = hx_ends_at_most(v + n, n, args[0]);
                if (op == \(CompiledABI.Op.findVMAPrev.rawValue)) *out = i;
                return i < n ? i + 1 : 0;
            }
            return ((hx_query_fn)ctx[HX_QUERY])((void *)ctx[HX_LAYOUT], op, args, out);
        }

        """
    }
}


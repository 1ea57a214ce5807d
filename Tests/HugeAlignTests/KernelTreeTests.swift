import Engines
import Foundation
import KernelC
import KernelTree
import Placement
import Testing

/// Placement functions read from a kernel source tree: the preprocessor's conditionals, the
/// extraction of one definition, the kernel idioms the front end now takes, and (when Debian's
/// linux-source-6.12 is installed) the real 6.12 functions against the bundled properties.
@Suite struct KernelTreeTests {
    static let macros = Conditionals.Macros(configs: ["CONFIG_A": 1, "CONFIG_B": 0], defined: ["HAVE_Y"], undefined: ["HAVE_X"])

    @Test func conditionalsAreDecidedByTheConfig() {
        let text = """
        #ifdef CONFIG_A
        int a;
        #else
        int b;
        #endif
        #ifndef HAVE_X
        int c;
        #elif defined(HAVE_Y)
        int c2;
        #endif
        #if defined(CONFIG_B) && SOMETHING_UNKNOWN
        int d;
        #endif
        #if IS_ENABLED(CONFIG_A) || SOMETHING_UNKNOWN
        int e;
        #endif
        #ifdef SOMETHING_UNKNOWN
        int f;
        #endif
        int g;
        """
        let c = Conditionals(text: text, macros: KernelTreeTests.macros)
        let lines = String(decoding: c.text, as: UTF8.self).split(separator: "\n", omittingEmptySubsequences: false)
        func state(_ word: String) -> Conditionals.LineState {
            let n = text.split(separator: "\n", omittingEmptySubsequences: false).firstIndex { $0.hasPrefix(word) }!
            return c.lines[n]
        }
        #expect(state("int a;") == .active)
        #expect(state("int b;") == .inactive)
        #expect(state("int c;") == .active)
        #expect(state("int c2;") == .inactive)
        #expect(state("int d;") == .inactive)   // the known side of && decides
        #expect(state("int e;") == .active)     // and of ||
        #expect(state("int f;") == .undecided(symbol: "SOMETHING_UNKNOWN", line: 17))
        #expect(state("int g;") == .active)
        // Same lines, directives and inactive code blanked.
        #expect(lines.count == text.split(separator: "\n", omittingEmptySubsequences: false).count)
        #expect(!lines.contains { $0.contains("#") || $0.contains("int b") })
    }

    static let file = """
    /* a comment with a brace { and a "string" */
    unsigned long pick(unsigned long x);

    static unsigned long caller(void)
    {
        return pick(1);   /* a call, not the definition */
    }

    #ifdef CONFIG_B
    unsigned long pick(unsigned long x)
    {
        return 1;
    }
    #else
    static inline unsigned long
    pick(unsigned long x)
    {
        const char *s = "}";
        return x + 2;
    }
    #endif
    EXPORT_SYMBOL(pick);

    #ifdef SOME_ARCH_MACRO
    unsigned long hidden(void)
    {
        return 0;
    }
    #endif
    """

    @Test func theActiveDefinitionIsExtractedWithItsLineNumbers() throws {
        let source = SourceFile(path: "mm/x.c", text: KernelTreeTests.file)
        guard case .found(let f) = FunctionExtractor.definition(of: "pick", in: source, macros: KernelTreeTests.macros) else {
            Issue.record("pick not found"); return
        }
        #expect(f.lines.count == source.lines.count)
        #expect(f.text.contains("return x + 2;") && !f.text.contains("return 1;") && !f.text.contains("caller"))
        #expect(!f.text.contains("EXPORT_SYMBOL"))
        // The definition starts where the file has it (line 15, `static inline unsigned long`).
        let first = f.lines.firstIndex { !$0.trimmingCharacters(in: .whitespaces).isEmpty }
        #expect(first == 14)
        #expect(FunctionExtractor.definition(of: "nowhere", in: source, macros: KernelTreeTests.macros).isAbsent)
        guard case .undecided(let symbol, let line) = FunctionExtractor.definition(of: "hidden", in: source, macros: KernelTreeTests.macros) else {
            Issue.record("hidden should be undecided"); return
        }
        #expect(symbol == "SOME_ARCH_MACRO" && line == 24)
    }

    // MARK: - Kernel idioms in the front end

    static let idioms = """
    // Out-parameters, as find_start_end() returns its window.
    static void window(unsigned long addr, unsigned long *begin, unsigned long *end)
    {
        *begin = addr & ~0xfffUL;
        *end = *begin + 0x1000;
    }

    static void window_on(unsigned long addr, unsigned long *begin, unsigned long *end)
    {
        window(addr, begin, end);
    }

    // A retry loop written with a backward goto, as unmapped_area() is.
    static unsigned long next_multiple_of_3(unsigned long x)
    {
        unsigned long y = x;
    retry:
        if (y % 3) {
            y++;
            goto retry;
        }
        return y;
    }

    // Function pointers, as __get_unmapped_area() picks a provider.
    unsigned long one(unsigned long x) { return x + 1; }
    unsigned long two(unsigned long x) { return x + 2; }

    void *pick(int k)
    {
        if (k == 1)
            return one;
        if (k == 2)
            return two;
        return NULL;
    }

    // Struct handles read through accessors.
    struct thing *make_thing(unsigned long x) { return (struct thing *)x; }
    unsigned long thing__size(struct thing *t) { return (unsigned long)t * 2; }

    // expect: proved
    property out_parameters(unsigned long addr)
    {
        unsigned long b, e;

        window_on(addr, &b, &e);
        assert(!(b & 0xfff) && e - b == 0x1000 && addr - b < 0x1000);
    }

    // expect: counterexample
    property out_parameters_wrong(unsigned long addr)
    {
        unsigned long b, e;

        window(addr, &b, &e);
        assert(b == addr);
    }

    // expect: proved
    property backward_goto_is_a_loop(unsigned long x) unwind 4
    {
        unsigned long y = next_multiple_of_3(x);

        assume(x < 1000);
        assert(y % 3 == 0 && y - x < 3);
    }

    // expect: proved
    property call_through_pointer(int k, unsigned long x)
    {
        unsigned long (*f)(unsigned long) = NULL;

        assume(k == 1 || k == 2);
        f = pick(k);
        assert(f(x) == x + k);
    }

    // expect: counterexample
    property call_through_null(int k, unsigned long x)
    {
        unsigned long (*f)(unsigned long) = pick(k);

        assert(f(x) == x + k);
    }

    // expect: proved
    property accessors(unsigned long x)
    {
        struct thing *t = make_thing(x);

        assert(t->size == x * 2);
    }
    """

    @Test func kernelIdiomsRunInBothDomains() throws {
        let results = try proveAll(KernelTreeTests.idioms, config: .x86_64)
        #expect(results.count == 6)
        for (name, r) in results {
            let expected = name.hasSuffix("_wrong") || name.hasSuffix("_null") ? "counterexample" : "proved"
            #expect(r.verdict.name == expected, "\(name): \(r.verdict.name)")
        }
        // The call through NULL is reported at the call, with what went wrong.
        if case .counterexample(let cex) = results["call_through_null"]?.verdict {
            #expect(cex.failures.first?.text.contains("function pointer that holds no function") == true)
        } else {
            Issue.record("call_through_null should be a counterexample")
        }
    }

    @Test func kernelIdiomsStillGetClearErrors() throws {
        func error(_ text: String) -> String {
            do { _ = try SpecLoader.load(text: text); return "" } catch { return "\(error)" }
        }
        #expect(error("static void f(unsigned long *p) { p = 0; }").contains("out-parameter"))
        #expect(error("static void f(unsigned long *p) { *p = 1; }\nproperty q(int x) { unsigned long v; f(v); }").contains("pass the variable by address: &v"))
        #expect(error("property q(int x) { assert(*x == 1); }").contains("pointer dereference"))
        #expect(error("static unsigned long f(struct page *p) { return p->flags; }").contains("no accessor page__flags"))
        #expect(error("property q(int x) { unsigned long *p; }").contains("only supported as parameters"))
    }

    // MARK: - Two versions of a function

    static let versionA = """
    static unsigned long clamp_hint(unsigned long hint) { return hint < 0x10000 ? 0x10000 : hint; }
    unsigned long place(unsigned long hint, unsigned long *end)
    {
        unsigned long (*f)(unsigned long) = clamp_hint;

        *end = f(hint) + 0x1000;
        return f(hint);
    }
    """

    static func versions(_ b: String, assume: [String] = []) throws -> Verdict {
        let pa = try SpecLoader.load(text: versionA, path: "a.spec").program
        let pb = try SpecLoader.load(text: b, path: "b.spec").program
        let diff = try VersionDiff(function: "place", a: pa, b: pb, config: .x86_64, vmas: 0, unwind: 2, names: ("a", "b"), assumptions: assume)
        return try Prover(options: .deterministic(config: .x86_64)).prove(diff.property, in: diff.product, file: "diff").verdict
    }

    @Test func twoVersionsAreComparedOnTheSameInputs() throws {
        // The same logic written otherwise (an extra helper shifts every function index).
        let same = """
        static unsigned long unused(unsigned long x) { return x; }
        static unsigned long at_least(unsigned long hint, unsigned long floor) { return hint < floor ? floor : hint; }
        unsigned long place(unsigned long hint, unsigned long *end)
        {
            *end = at_least(hint, 0x10000) + 0x1000;
            return at_least(hint, 0x10000);
        }
        """
        #expect(try KernelTreeTests.versions(same).name == "proved")
        // A slip at one input: found there, and gone when callers never pass it.
        let slip = same.replacingOccurrences(of: "? floor : hint;", with: "? floor : (hint == 0x12345 ? hint + 1 : hint);")
        guard case .counterexample(let c) = try KernelTreeTests.versions(slip) else { Issue.record("expected a difference"); return }
        #expect(c.inputs.first { $0.name == "hint" }?.bits == 0x12345)
        #expect(try KernelTreeTests.versions(slip, assume: ["hint != 0x12345"]).name == "proved")
        // An out-parameter that differs is a difference too.
        let end = same.replacingOccurrences(of: "+ 0x1000;", with: "+ 0x2000;")
        #expect(try KernelTreeTests.versions(end).name == "counterexample")
    }

    // MARK: - A real kernel tree (Debian's linux-source-6.12)

    static let tree612 = "/usr/src/linux-source-6.12.tar.xz"

    @Test func aMissingTreeIsAnInputError() throws {
        let r = try runCLI(["prove", "specs/examples/thp_alignment_lemma.spec", "--kernel-tree", "/nonexistent/linux"])
        #expect(r.status == 2)
        #expect(r.err.contains("kernel tree '/nonexistent/linux' does not exist"))
        let notATree = try temporaryFolder("not-a-tree")
        let r2 = try runCLI(["tree", notATree])
        #expect(r2.status == 2 && r2.err.contains("is not a kernel source tree"))
    }

    /// A tarball is unpacked once into the cache, even by runs that start at the same time.
    @Test func aTarballIsUnpackedOnceEvenConcurrently() throws {
        let dir = try temporaryFolder("tarball")
        let src = (dir as NSString).appendingPathComponent("linux-source-9.9")
        try FileManager.default.createDirectory(atPath: src + "/mm", withIntermediateDirectories: true)
        try "static inline unsigned long round_hint_to_min(unsigned long hint)\n{\n    return hint;\n}\n"
            .write(toFile: src + "/mm/mmap.c", atomically: true, encoding: .utf8)
        try "VERSION = 9\nPATCHLEVEL = 9\nSUBLEVEL = 1\n".write(toFile: src + "/Makefile", atomically: true, encoding: .utf8)
        let tar = Process()
        tar.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        tar.arguments = ["tar", "-czf", dir + "/linux-source-9.9.tar.gz", "-C", dir, "linux-source-9.9"]
        try tar.run()
        tar.waitUntilExit()
        let cache = dir + "/cache"
        final class Roots: @unchecked Sendable { var values: [String] = []; let lock = NSLock() }
        let roots = Roots()
        DispatchQueue.concurrentPerform(iterations: 4) { _ in
            if let t = try? KernelTree(path: dir + "/linux-source-9.9.tar.gz", cache: cache) {
                roots.lock.lock(); roots.values.append(t.root); roots.lock.unlock()
            }
        }
        #expect(roots.values.count == 4 && Set(roots.values).count == 1)
        let tree = try KernelTree(path: dir + "/linux-source-9.9.tar.gz", cache: cache)
        #expect(tree.version == "9.9.1")
        #expect(try tree.file("mm/mmap.c")?.text.contains("round_hint_to_min") == true)
        #expect(try FileManager.default.contentsOfDirectory(atPath: cache).count == 1)   // nothing half-unpacked left
    }

    @Test(.enabled(if: FileManager.default.fileExists(atPath: KernelTreeTests.tree612), "needs Debian's linux-source-6.12 (/usr/src/linux-source-6.12.tar.xz)"))
    func the612PlacementFunctionsRunUnmodified() throws {
        let tree = try KernelTree(path: KernelTreeTests.tree612)
        #expect(tree.version?.hasPrefix("6.12") == true)
        let functions = try TreeFunctions(tree: tree, config: .x86_64)
        let counted = functions.entries.filter(\.function.counted)
        let accepted = counted.filter { if case .accepted = $0.outcome { return true } else { return false } }.map(\.function.name)
        #expect(counted.count == 28)
        #expect(accepted.count >= 26, "accepted: \(accepted)")
        // The whole x86-64 path from do_mmap's preparation down comes from the tree.
        for name in ["do_mmap", "round_hint_to_min", "__get_unmapped_area", "mm_get_unmapped_area_vmflags", "arch_get_unmapped_area",
                     "arch_get_unmapped_area_topdown", "vm_unmapped_area", "unmapped_area", "unmapped_area_topdown",
                     "__thp_get_unmapped_area", "shmem_get_unmapped_area", "hugetlb_get_unmapped_area", "dax_get_unmapped_area",
                     "find_start_end", "get_align_mask"] {
            #expect(accepted.contains(name), "\(name)")
        }
        // x86 has its own hugetlbfs search until 6.13 (arch/x86/include/asm/page.h says so).
        #expect(functions.entries.first { $0.function.name == "hugetlb_get_unmapped_area" }?.file == "arch/x86/mm/hugetlbpage.c")
    }

    /// What mmap() returns for requests do_mmap() checks around the placement: the bundled model
    /// and 6.12's do_mmap() (through the environment's do_mmap_placement) agree.
    static let requestChecks = """
    #include "specs/kernel/v6.18/mmap.spec"

    // A MAP_FIXED_NOREPLACE hint is not rounded to mmap_min_addr: it is MAP_FIXED by then.
    // expect: proved
    property noreplace_hint_is_not_raised(unsigned long hint) layout vmas <= 0
    {
        assume(hint >= PAGE_SIZE && hint < mmap_min_addr && IS_ALIGNED(hint, PAGE_SIZE));
        assert(do_mmap_placement(NULL, hint, PAGE_SIZE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE, 0, 0) == hint);
    }

    // A MAP_TYPE that is none of shared, shared-validate, private (or droppable) is refused; so is
    // a file offset past MAX_LFS_FILESIZE, and MAP_SYNC on a file that does not take it.
    // expect: proved
    property invalid_requests_are_refused(unsigned long type, unsigned long pgoff) layout vmas <= 0
    {
        assume(type == 0 || (type > MAP_SHARED_VALIDATE && type != MAP_DROPPABLE && type <= MAP_TYPE));
        assume(pgoff > (MAX_LFS_FILESIZE >> PAGE_SHIFT) && pgoff < (ULONG_MAX >> PAGE_SHIFT));
        assert(do_mmap_placement(NULL, 0, PAGE_SIZE, type | MAP_ANONYMOUS, 0, 0) == -EINVAL);
        assert(do_mmap_placement(FILE_THP, 0, PAGE_SIZE, MAP_PRIVATE, 0, pgoff) == -EOVERFLOW);
        assert(do_mmap_placement(FILE_PLAIN, 0, PAGE_SIZE, MAP_SHARED_VALIDATE | MAP_SYNC, 0, 0) == -EOPNOTSUPP);
        assert(!IS_ERR_VALUE(do_mmap_placement(FILE_DAX, 0, PMD_SIZE, MAP_SHARED_VALIDATE | MAP_SYNC, 0, 0)));
    }
    """

    @Test func theBundledDoMmapChecksTheRequest() throws {
        let results = try proveAll(KernelTreeTests.requestChecks.replacingOccurrences(of: "specs/", with: Paths.repo("specs") + "/"), config: .x86_64)
        #expect(results.count == 2)
        for (name, r) in results { #expect(r.verdict.name == "proved", "\(name): \(r.verdict.name)") }
    }

    @Test(.enabled(if: FileManager.default.fileExists(atPath: KernelTreeTests.tree612), "needs Debian's linux-source-6.12 (/usr/src/linux-source-6.12.tar.xz)"))
    func the612DoMmapChecksTheRequestTheSameWay() throws {
        let tree = try KernelTree(path: KernelTreeTests.tree612)
        let dir = try temporaryFolder("requests")
        let path = (dir as NSString).appendingPathComponent("requests.spec")
        try KernelTreeTests.requestChecks.replacingOccurrences(of: "specs/", with: Paths.repo("specs") + "/").write(toFile: path, atomically: true, encoding: .utf8)
        let plan = try SpecPlan(file: path, defaultConfig: .x86_64, replacements: { try TreeFunctions(tree: tree, config: $0) })
        #expect(plan.items.count == 2)
        for item in plan.items {
            // do_mmap_placement is the environment's wrapper around the tree's do_mmap.
            #expect(item.program.functions.contains { $0.name == "do_mmap" && $0.location.file?.path.hasSuffix("mm/mmap.c") == true })
            let r = try Prover(options: .deterministic(config: item.config)).prove(item.property, in: item.program, file: path)
            #expect(r.verdict.name == "proved", "\(item.property.name): \(r.verdict.name)")
        }
    }

    @Test(.enabled(if: FileManager.default.fileExists(atPath: KernelTreeTests.tree612), "needs Debian's linux-source-6.12 (/usr/src/linux-source-6.12.tar.xz)"))
    func diffShowsWhatChangedSince612() throws {
        // Unchanged since 6.12: equivalent.
        let same = try runCLI(["diff", "round_hint_to_min", "--kernel-tree", KernelTreeTests.tree612, "--vmas", "0"])
        #expect(same.status == 0 && same.out.contains("equivalent for every input"), "\(same.out)\(same.err)")
        // 6.12 aligns a PMD-multiple mapping of a file without a get_unmapped_area hook; the
        // bundled 6.18 model only anonymous ones.
        let changed = try runCLI(["diff", "get_unmapped_area", "--kernel-tree", KernelTreeTests.tree612, "--vmas", "0",
                                  "--assume", "len != 0 && IS_ALIGNED(len, PAGE_SIZE)"])
        #expect(changed.status == 10 && changed.out.contains("they differ") && changed.out.contains("file = 0x1"), "\(changed.out)\(changed.err)")
    }

    @Test func versionExpectationsPickTheirKernel() throws {
        let unit = try SpecLoader.load(text: """
        // expect: proved
        // expect on 6.1: counterexample — not there yet
        property p(int x) { assert(x == x); }
        """)
        let p = unit.program.properties[0]
        #expect(p.expected == .proved)
        #expect(p.expected(onVersion: "6.1.192") == .counterexample)
        #expect(p.expected(onVersion: "6.1") == .counterexample)
        #expect(p.expected(onVersion: "6.12.117") == .proved)
        #expect(throws: Diagnostic.self) { try SpecLoader.load(text: "// expect on 6.1: maybe\nproperty p(int x) { }") }
    }

    static let tree61 = "/usr/src/linux-source-6.1.tar.xz"

    /// 6.1 against 6.12: anonymous memory is THP-aligned only in the later one.
    @Test(.enabled(if: FileManager.default.fileExists(atPath: KernelTreeTests.tree61) && FileManager.default.fileExists(atPath: KernelTreeTests.tree612),
                   "needs Debian's linux-source-6.1 and linux-source-6.12"))
    func anonymousTHPAlignmentArrivesBetween61And612() throws {
        let tree = try KernelTree(path: KernelTreeTests.tree61)
        let functions = try TreeFunctions(tree: tree, config: .x86_64)
        let accepted = functions.entries.filter { if case .accepted = $0.outcome { return true } else { return false } }.map(\.function.name)
        for name in ["get_unmapped_area", "arch_get_unmapped_area", "arch_get_unmapped_area_topdown", "vm_unmapped_area",
                     "unmapped_area", "unmapped_area_topdown", "thp_get_unmapped_area", "shmem_get_unmapped_area"] {
            #expect(accepted.contains(name), "\(name)")
        }
        let r = try runCLI(["diff", "get_unmapped_area", "--kernel-tree", KernelTreeTests.tree61, "--kernel-tree", KernelTreeTests.tree612,
                            "--vmas", "0", "--assume", "len != 0 && IS_ALIGNED(len, PAGE_SIZE) && file == NULL && flags == (MAP_PRIVATE | MAP_ANONYMOUS)"])
        #expect(r.status == 10 && r.out.contains("they differ") && r.out.contains("len = 0x200000"), "\(r.out)\(r.err)")
    }

    /// The bundled properties give the same verdicts on 6.12's real functions (a few fast ones
    /// here; CI runs `prove specs/properties --kernel-tree` for all of them).
    @Test(.enabled(if: FileManager.default.fileExists(atPath: KernelTreeTests.tree612), "needs Debian's linux-source-6.12 (/usr/src/linux-source-6.12.tar.xz)"))
    func bundledPropertiesHoldOnThe612Functions() throws {
        let tree = try KernelTree(path: KernelTreeTests.tree612)
        let path = Paths.repo("specs/properties/placement.spec")
        let plan = try SpecPlan(file: path, defaultConfig: .x86_64, replacements: { try TreeFunctions(tree: tree, config: $0) })
        let names = ["mmap_fixed_is_exact", "anon_thp_is_pmd_aligned", "file_thp_is_congruent_to_offset",
                     "map_32bit_thp_starts_at_window_start", "anon_free_hint_beside_vma_is_returned_x86"]
        for item in plan.items where names.contains(item.property.name) {
            #expect(item.program.functionSource?.contains("Linux 6.12") == true)
            #expect(item.program.functions.contains { $0.location.file?.path.hasSuffix("mm/mmap.c") == true })
            let r = try Prover(options: .deterministic(config: item.config)).prove(item.property, in: item.program, file: path)
            #expect(r.verdict.name == item.property.expected?.rawValue, "\(item.property.name): \(r.verdict.name)")
        }
    }
}

extension FunctionExtractor.Outcome {
    var isAbsent: Bool { if case .absent = self { return true } else { return false } }
}

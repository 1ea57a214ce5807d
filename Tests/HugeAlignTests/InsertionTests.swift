import Engines
import Foundation
import KernelC
import Placement
import Semantics
import Testing

/// `insert_vma`: sequences of calls on one layout. The layout after an insertion must answer every
/// question as the real union does (on concrete layouts against the index of the union), and the
/// prover must see the second call against the first one's result.
@Suite struct InsertionTests {
    /// For random layouts and a random free range, the wrapper over the base answers exactly as an
    /// index built from base + range: lookups (compared by the fields of the VMA found) and window
    /// searches, including wrapped and inverted windows.
    @Test func insertedLayoutAnswersAsTheUnion() {
        var rng = SplitMix64(seed: 7)
        let page: UInt64 = 0x1000
        let d = ConcreteDomain()
        var checked = 0
        for round in 0..<400 {
            let layout = AddressSpaceTests.randomLayout(&rng, count: Int(rng.next() % 5))
            // A free range: pick pages until one run of 1–3 free pages is found.
            let a = (rng.next() % 64) * page, n = (rng.next() % 3 + 1) * page
            guard a + n <= 64 * page, !layout.vmas.contains(where: { $0.start < a + n && a < $0.end }) else { continue }
            let flags: UInt64 = rng.next() % 2 == 0 ? 0x100 : 0
            let union = Layout(vmas: (layout.vmas + [VMA(start: a, end: a + n, flags: flags, pgoff: 7)]).sorted { $0.start < $1.start })
            let truth = IndexedAddressSpace(union)
            let base = IndexedAddressSpace(layout)
            let inserted = InsertedAddressSpace(base: base, vma: VMASlot(present: true, start: a, end: a + n, flags: flags, pgoff: 7),
                                                domain: d, bits: 64)
            let pick = { (r: inout SplitMix64) in AddressSpaceTests.pick(&r, page: page) }
            for _ in 0..<40 {
                let low = pick(&rng), high = pick(&rng)
                let size = rng.next() % 3 == 0 ? pick(&rng) : (rng.next() % 8) * page + (rng.next() % 2)
                let x = inserted.areaLowest(low: low, high: high, size: size), y = truth.areaLowest(low: low, high: high, size: size)
                #expect(x.ok == y.ok && x.start == y.start, "round \(round) lowest(\(low), \(high), \(size)) on \(union.vmas.map { ($0.start, $0.end) }), inserted \(a)")
                let u = inserted.areaHighest(low: low, high: high, size: size), v = truth.areaHighest(low: low, high: high, size: size)
                #expect(u.ok == v.ok && u.end == v.end, "round \(round) highest(\(low), \(high), \(size)) on \(union.vmas.map { ($0.start, $0.end) }), inserted \(a)")
                let addr = pick(&rng)
                for f in VMAField.allCases {
                    #expect(inserted.field(inserted.findVMA(addr), f) == truth.field(truth.findVMA(addr), f))
                    #expect(inserted.field(inserted.vmaBefore(addr), f) == truth.field(truth.vmaBefore(addr), f))
                }
                checked += 1
            }
        }
        #expect(checked > 5000)
    }

    /// A copy of specs/kernel/v6.18 with one seeded bug of mutants/mutants.json applied; its folder.
    func mutantModels(_ id: String) throws -> String {
        let data = try #require(FileManager.default.contents(atPath: Paths.repo("mutants/mutants.json")))
        let all = try #require(try JSONSerialization.jsonObject(with: data) as? [[String: String]])
        let m = try #require(all.first { $0["id"] == id })
        let dir = try temporaryFolder("mutant-\(id)")
        let source = Paths.repo("specs/kernel/v6.18")
        for name in try FileManager.default.contentsOfDirectory(atPath: source) {
            var text = try String(contentsOfFile: source + "/" + name, encoding: .utf8)
            if name == m["file"] {
                let find = try #require(m["find"]), replace = try #require(m["replace"])
                #expect(text.components(separatedBy: find).count == 2)
                text = text.replacingOccurrences(of: find, with: replace)
            }
            try text.write(toFile: dir + "/" + name, atomically: true, encoding: .utf8)
        }
        return dir
    }

    func prove(_ text: String, config: Config = .scaled8) throws -> [String: PropertyResult] { try proveAll(text, config: config) }

    /// A second lookup sees the first insertion, over slots and over every layout; an insertion
    /// over a mapped range is a failure of its own.
    @Test func lookupsSeeWhatWasInserted() throws {
        let text = """
            property sees_it(unsigned long a, unsigned long n) LAYOUT {
                struct vm_area_struct *v;
                assume(n != 0 && !offset_in_page(a) && !offset_in_page(n) && a + n > a);
                assume(!find_vma(current->mm, a) || find_vma(current->mm, a)->vm_start >= a + n);
                insert_vma(current->mm, a, a + n, VM_GROWSDOWN, 3);
                v = find_vma(current->mm, a);
                assert(v && v->vm_start == a && v->vm_end == a + n && v->vm_pgoff == 3 && (v->vm_flags & VM_GROWSDOWN));
                assert(vma_iter_area_lowest(a, a + n, PAGE_SIZE, &n) != 0);
            }
            property lands_on_a_vma(unsigned long a) LAYOUT {
                assume(!offset_in_page(a));
                insert_vma(current->mm, a, a + PAGE_SIZE, 0, 0);
            }
            """
        for layout in ["layout vmas <= 2", "layout any"] {
            let r = try prove(text.replacingOccurrences(of: "LAYOUT", with: layout))
            #expect(r["sees_it"]?.verdict == .proved(vacuous: false), "\(layout)")
            guard case .counterexample(let c)? = r["lands_on_a_vma"]?.verdict else {
                Issue.record("\(layout): an insertion over a VMA must be refuted, got \(String(describing: r["lands_on_a_vma"]?.verdict))")
                continue
            }
            #expect(c.failures.first?.kind == .insertion)
            #expect((c.layout?.count ?? 0) >= 1)
        }
    }

    /// An inserted VMA's handle never names a VMA of the layout below it (over every layout, VMAs
    /// are named by their page-aligned ends): eighteen insertions deep in scaled8, a lookup of any
    /// VMA still reads that VMA's own fields. (Handles are odd numbers near the top of the space;
    /// page-aligned ones counted down from the top would meet real ends.)
    @Test func insertedHandlesNeverNameAnotherVMA() throws {
        let r = try prove("""
            property many_insertions(unsigned long a) layout any {
                struct vm_area_struct *v;
                assume(!find_vma(current->mm, 16) || find_vma(current->mm, 16)->vm_start >= 160UL);
                insert_vma(current->mm, 16UL, 20UL, 0, 0);
                insert_vma(current->mm, 24UL, 28UL, 0, 0);
                insert_vma(current->mm, 32UL, 36UL, 0, 0);
                insert_vma(current->mm, 40UL, 44UL, 0, 0);
                insert_vma(current->mm, 48UL, 52UL, 0, 0);
                insert_vma(current->mm, 56UL, 60UL, 0, 0);
                insert_vma(current->mm, 64UL, 68UL, 0, 0);
                insert_vma(current->mm, 72UL, 76UL, 0, 0);
                insert_vma(current->mm, 80UL, 84UL, 0, 0);
                insert_vma(current->mm, 88UL, 92UL, 0, 0);
                insert_vma(current->mm, 96UL, 100UL, 0, 0);
                insert_vma(current->mm, 104UL, 108UL, 0, 0);
                insert_vma(current->mm, 112UL, 116UL, 0, 0);
                insert_vma(current->mm, 120UL, 124UL, 0, 0);
                insert_vma(current->mm, 128UL, 132UL, 0, 0);
                insert_vma(current->mm, 136UL, 140UL, 0, 0);
                insert_vma(current->mm, 144UL, 148UL, 0, 0);
                insert_vma(current->mm, 152UL, 156UL, 0, 0);
                v = find_vma(current->mm, a);
                assert(!v || v->vm_end > a);
            }
            """)
        #expect(r["many_insertions"]?.verdict == .proved(vacuous: false), "\(String(describing: r["many_insertions"]?.verdict))")
    }

    /// Sequences belong to properties: not in functions, not in loops.
    @Test func insertionsOnlyInPropertyBodies() {
        for text in ["static void f(void) { insert_vma(current->mm, 0, 4, 0, 0); }\nproperty p(void) { f(); }",
                     "property p(unsigned long n) { while (n) { insert_vma(current->mm, 0, 4, 0, 0); n--; } }"] {
            #expect(throws: Diagnostic.self) { _ = try SpecLoader.load(text: text, path: "t.spec", model: Config.scaled8.dataModel) }
        }
    }

    /// Two consecutive top-down THP requests (proved on the models as
    /// placement.spec's `anon_thp_consecutive_topdown_mmaps_abut`, which SpecSuiteTests also
    /// model-checks): refuted when the THP code loses its top-down case (the seeded bug
    /// `thp-no-topdown-case`), with the sequence in the report.
    @Test func consecutiveTopDownTHPRequestsAbut() throws {
        let property = """
            property consecutive(unsigned long len) config scaled8 layout vmas <= 1 unwind 3 {
                unsigned long r1, r2, end;
                assume(len != 0 && IS_ALIGNED(len, PMD_SIZE) && len <= TASK_SIZE);
                r1 = do_mmap_placement(NULL, 0, len, MAP_PRIVATE | MAP_ANONYMOUS, 0, 0);
                assume(!IS_ERR_VALUE(r1));
                insert_vma(current->mm, r1, r1 + len, VM_READ | VM_WRITE, r1 >> PAGE_SHIFT);
                assume(vma_iter_area_highest(mmap_min_addr, current->mm->mmap_base, len + PMD_SIZE, &end) == 0 && end == r1);
                r2 = do_mmap_placement(NULL, 0, len, MAP_PRIVATE | MAP_ANONYMOUS, 0, 0);
                assert(r2 + len == r1);
            }
            """
        let bad = try prove("#include \"\(try mutantModels("thp-no-topdown-case"))/mmap.spec\"\n" + property)
        guard case .counterexample(let c)? = bad["consecutive"]?.verdict else {
            Issue.record("the mutant must be refuted, got \(String(describing: bad["consecutive"]?.verdict))")
            return
        }
        #expect(c.failures.first?.kind == .assertion)
        #expect(c.calls?.map(\.function) == ["do_mmap_placement", "insert_vma", "do_mmap_placement"])
    }

    /// The same sequence at 64 bits over every layout (placement_64_fit.spec, proved there through
    /// the contract of an anonymous mmap): with the seeded bug the contract's proof fails, the
    /// property is run without it, and the counterexample is the shortest sequence — two requests
    /// on an empty layout, the first mapping inserted between them.
    @Test func consecutiveTopDownTHPRequestsAbutAt64Bits() throws {
        let spec = Paths.repo("specs/properties/placement_64_fit.spec")
        let text = try String(contentsOfFile: spec, encoding: .utf8)
            .replacingOccurrences(of: "#include \"../kernel/v6.18/mmap.spec\"", with: "#include \"\(try mutantModels("thp-no-topdown-case"))/mmap.spec\"")
            .replacingOccurrences(of: "#include \"guards.h\"", with: "#include \"\(Paths.repo("specs/properties/guards.h"))\"")
        let name = "anon_thp_consecutive_topdown_mmaps_abut_any_layout_x86_64"
        let bad = try prove(text, config: .x86_64)
        let r = try #require(bad[name])
        guard case .counterexample(let c) = r.verdict else {
            Issue.record("the mutant must be refuted at 64 bits, got \(r.verdict)")
            return
        }
        #expect(r.bounds.contractsNotUsed?.first?.hasPrefix("anon_mmap: its contract fails") == true, "\(r.bounds)")
        #expect(c.failures.first?.kind == .assertion)
        #expect(c.layout?.isEmpty == true)
        // (The helpers the assumptions call are calls of the property too.)
        #expect(c.calls?.map(\.function).filter { !$0.hasPrefix("thp_fit_") } == ["anon_mmap", "insert_vma", "anon_mmap"])
    }
}

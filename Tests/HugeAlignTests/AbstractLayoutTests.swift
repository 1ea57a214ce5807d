import Engines
import SMT
import Semantics
import KernelC
import Placement
import Testing

/// `layout any`: every layout through the abstract layout, and loops by their invariants. A proof
/// must hold for layouts of any size and any number of iterations; what the abstraction cannot
/// decide must come out unknown, never proved; a counterexample still replays on a real layout.
@Suite struct AbstractLayoutTests {
    func prove(_ text: String, config: Config = .scaled8) throws -> [String: PropertyResult] { try proveAll(text, config: config) }

    /// The counterexample of a property, or nil with an issue recorded.
    func counterexample(_ r: [String: PropertyResult], _ name: String) -> Counterexample? {
        guard case .counterexample(let c)? = r[name]?.verdict else {
            Issue.record("\(name): expected a counterexample, got \(String(describing: r[name]?.verdict))")
            return nil
        }
        return c
    }

    @Test func invariantCoversEveryNumberOfIterations() throws {
        let r = try prove("""
            property counts(unsigned long n) layout any {
                unsigned long i = 0;
                while (i < n) {
                    invariant(i <= n);
                    i++;
                }
                assert(i == n);
            }
            property counts_unwound(unsigned long n) unwind 8 {
                unsigned long i = 0;
                while (i < n) {
                    invariant(i <= n);
                    i++;
                }
                assert(i == n);
            }
            """)
        #expect(r["counts"]?.verdict == .proved(vacuous: false))
        #expect(r["counts"]?.bounds.anyLayout == true)
        #expect(r["counts"]?.bounds.description.contains("every layout") == true)
        // Unwound, 8 iterations are not all of them: the unwinding check fails.
        #expect(counterexample(r, "counts_unwound")?.failures.first?.kind == .unwinding)
    }

    @Test func weakInvariantIsNeverAProof() throws {
        // True at every iteration, but too weak to show i == n at the end: not proved.
        let r = try prove("""
            property weak(unsigned long n) layout any {
                unsigned long i = 0;
                assume(n < 50);
                while (i < n) {
                    invariant(i <= 100);
                    i++;
                }
                assert(i == n);
            }
            """)
        guard case .unknown? = r["weak"]?.verdict else {
            Issue.record("a weak invariant must give unknown, got \(String(describing: r["weak"]?.verdict))")
            return
        }
    }

    @Test func invariantFalseOnEntryIsAReplayedCounterexample() throws {
        let r = try prove("""
            property wrong(unsigned long n) layout any {
                unsigned long i = 0;
                while (i < n) {
                    invariant(i >= 1);
                    i++;
                }
            }
            """)
        #expect(counterexample(r, "wrong")?.failures.first?.kind == .invariant)
    }

    @Test func lookupsHoldInEveryLayout() throws {
        let r = try prove("""
            property find_vma_ends_above(unsigned long a) layout any {
                struct vm_area_struct *v = find_vma(current->mm, a);
                struct vm_area_struct *prev;
                struct vm_area_struct *next = find_vma_prev(current->mm, a, &prev);
                assert(!v || v->vm_end > a);
                assert(v == next);
                assert(!prev || (prev->vm_end <= a && (!next || prev->vm_end <= next->vm_start)));
            }
            """)
        #expect(r["find_vma_ends_above"]?.verdict == .proved(vacuous: false))
    }

    /// The same search asked twice has one answer (the facts alone do not say which fit a
    /// search takes): needed when a property's assumption and the placement ask the same search.
    @Test func sameSearchSameAnswer() throws {
        let r = try prove("""
            property same_answer(unsigned long lo, unsigned long hi, unsigned long len) layout any {
                unsigned long a = 0, b = 0, c = 0, d = 0;
                int x = vma_iter_area_highest(lo, hi, len, &a);
                int y = vma_iter_area_highest(lo, hi, len, &b);
                int z = vma_iter_area_lowest(lo, hi, len, &c);
                int w = vma_iter_area_lowest(lo, hi, len, &d);
                assert(x == y && a == b && z == w && c == d);
            }
            """)
        #expect(r["same_answer"]?.verdict == .proved(vacuous: false), "\(String(describing: r["same_answer"]?.verdict))")
    }

    /// A search takes the lowest (highest) fit: no higher (lower) than a free stretch the run has
    /// seen — one a lookup showed, or another search's fit — in every layout. The integer form
    /// gets these facts (`AbstractAddressSpace.fitFacts`) where the property unwinds its loops (its
    /// own `unwind N`); a claim they do not imply (that the fit is the stretch itself) is still no
    /// proof.
    @Test func aSearchTakesAFitNoFartherThanAFreeStretch() throws {
        let r = try prove("""
            property lowest_fit(unsigned long lo, unsigned long hi, unsigned long len, unsigned long a) layout any unwind 1 arithmetic both {
                struct vm_area_struct *v = find_vma(current->mm, a);
                unsigned long s = 0, e = 0;
                assume(len != 0 && a >= lo && a + len > a && a + len <= hi);
                assume(!v || v->vm_start >= a + len);
                assert(vma_iter_area_lowest(lo, hi, len, &s) == 0 && s <= a);
                assert(vma_iter_area_highest(lo, hi, len, &e) == 0 && e >= a + len);
            }
            property smaller_fit(unsigned long lo, unsigned long hi, unsigned long len, unsigned long n) layout any unwind 1 arithmetic both {
                unsigned long s = 0, t = 0;
                assume(n != 0 && n <= len && vma_iter_area_lowest(lo, hi, len, &s) == 0);
                assert(vma_iter_area_lowest(lo, hi, n, &t) == 0 && t <= s);
            }
            property fit_is_the_stretch(unsigned long lo, unsigned long hi, unsigned long len, unsigned long a) layout any unwind 1 arithmetic both {
                struct vm_area_struct *v = find_vma(current->mm, a);
                unsigned long s = 0;
                assume(len != 0 && a >= lo && a + len > a && a + len <= hi);
                assume(!v || v->vm_start >= a + len);
                assert(vma_iter_area_lowest(lo, hi, len, &s) == 0 && s == a);
            }
            """)
        #expect(r["lowest_fit"]?.verdict == .proved(vacuous: false), "\(String(describing: r["lowest_fit"]?.verdict))")
        #expect(r["smaller_fit"]?.verdict == .proved(vacuous: false), "\(String(describing: r["smaller_fit"]?.verdict))")
        #expect(r["fit_is_the_stretch"]?.verdict.kind != .proved, "\(String(describing: r["fit_is_the_stretch"]?.verdict))")
    }

    /// A property's own `unwind N` unwinds the retry loops too (the bounds say so): the first pass
    /// searches the window the property asked about. Never a proof on its own: beside a stack a
    /// second pass is needed (the claim is false, and its counterexample replays), and by induction
    /// — the one arbitrary pass — which fit the search takes is not known. (That it proves what
    /// one pass settles at 64 bits, placement_64.spec's `…_any_layout…` properties with
    /// `unwind 1`, is checked by SpecSuiteTests with the solver portfolio.)
    @Test func ownUnwindIsOnlyAProofOfWhatItCovers() throws {
        let property = """
            property abut_NAME(unsigned long len) config scaled8 layout any CLAUSE {
                unsigned long r, end;
                struct vm_area_struct *above;
                assume(len != 0 && IS_ALIGNED(len, PMD_SIZE) && len <= TASK_SIZE && len + PMD_SIZE > len);
                assume(vma_iter_area_highest(mmap_min_addr, current->mm->mmap_base, len + PMD_SIZE, &end) == 0);
                assume(IS_ALIGNED(end, PMD_SIZE));
                above = find_vma(current->mm, end - 1);
                GUARD
                r = do_mmap_placement(NULL, 0, len, MAP_PRIVATE | MAP_ANONYMOUS, 0, 0);
                assert(r + len == end);
            }
            """
        func variant(_ name: String, _ clause: String, guarded: Bool) -> String {
            property.replacingOccurrences(of: "NAME", with: name).replacingOccurrences(of: "CLAUSE", with: clause)
                .replacingOccurrences(of: "GUARD", with: guarded ? "assume(!above || guard_below(above) >= end);" : "")
        }
        let r = try prove("""
            #include "\(Paths.repo("specs/kernel/v6.18/mmap.spec"))"
            #include "\(Paths.repo("specs/properties/guards.h"))"
            \(variant("by_induction", "", guarded: true))
            \(variant("next_to_a_stack", "unwind 1", guarded: false))
            """)
        if case .proved? = r["abut_by_induction"]?.verdict { Issue.record("the induction cannot know which fit the search takes") }
        #expect(r["abut_by_induction"]?.bounds.description.contains("loops with an invariant: any number of iterations") == true)
        if let c = counterexample(r, "abut_next_to_a_stack") {
            #expect(c.layout?.contains { $0.flags & 3 != 0 } == true, "a stack beside the fit (scaled8: VM_GROWSDOWN 0x1, VM_SHADOW_STACK 0x2)")
        }
        #expect(r["abut_next_to_a_stack"]?.bounds.description.contains("every loop unwound") == true)
    }

    /// False claims need several VMAs: the abstract layout must find them, and they replay.
    @Test func falseClaimsAreRefutedOnRealLayouts() throws {
        let r = try prove("""
            #include "\(Paths.repo("specs/kernel/v6.18/vma.spec"))"
            property contains(unsigned long a) layout any {
                struct vm_area_struct *v = find_vma(current->mm, a);
                assert(!v || v->vm_start <= a);
            }
            property at_most_one_vma(unsigned long a) layout any {
                struct vm_area_struct *v = find_vma(current->mm, 0);
                if (v)
                    assert(!find_vma(current->mm, v->vm_end));
            }
            property search_below_everything(unsigned long len) layout any {
                struct vm_unmapped_area_info info = {};
                unsigned long r;

                assume(len != 0 && !offset_in_page(len));
                info.length = len;
                info.low_limit = 0;
                info.high_limit = TASK_SIZE;
                r = vm_unmapped_area(&info);
                // False: a VMA can sit at the bottom.
                assert(r == -ENOMEM || r == mmap_min_addr);
            }
            """)
        for name in ["contains", "at_most_one_vma", "search_below_everything"] {
            guard let c = counterexample(r, name) else { continue }
            // Replayed (a counterexample is, by construction) on the layout of the VMAs it saw.
            #expect(c.layout != nil, "\(name)")
            if name == "at_most_one_vma" { #expect(c.layout?.count == 2) }
        }
    }
}

/// The abstract layout is sound only if every fact it states is true of every real layout: for
/// random concrete layouts and questions, the real answers (the reference scan, at 16 bits) with
/// the facts must be satisfiable, each VMA the questions saw being one of the layout's.
@Suite struct AbstractLayoutFactTests {
    /// The same question of the same address is answered by the same VMA (the facts above check
    /// that this is true of real layouts: their questions repeat addresses); another address or
    /// another question makes a new one. A property restating a contract's `range_free(r, len)`
    /// then meets the contract's own VMAs (anonymous THP over every layout is proved only so).
    @Test func aRepeatedQuestionMeetsTheSameVMA() throws {
        let c = Context()
        let d = SymbolicDomain(context: c)
        let space = AbstractAddressSpace(domain: d, bits: 16, pageSize: 0x10, taskSizeMax: 0xf000)
        let a = SymWord.term(c.bvConst("a", width: 16)), b = SymWord.term(c.bvConst("b", width: 16))
        let first = d.term(space.findVMA(a), bits: 16), again = d.term(space.findVMA(a), bits: 16)
        #expect(space.seen.count == 1 && first.term.raw == again.term.raw)
        _ = space.vmaBefore(a)
        #expect(space.seen.count == 2)
        _ = space.findVMA(b)
        #expect(space.seen.count == 3)
    }

    /// A question about a merge of answered addresses gets the merge of their answers, once the
    /// other merged values are excluded; where one is not, or no `excluded` is set, the merged
    /// address gets a VMA of its own. The merged answer is the answer: a solver finds no layout
    /// where it differs from the answers about the merged addresses.
    @Test func aMergedAddressMeetsTheAnswersAlreadyGiven() throws {
        let c = Context()
        let d = SymbolicDomain(context: c)
        let space = AbstractAddressSpace(domain: d, bits: 16, pageSize: 0x10, taskSizeMax: 0xf000)
        let ok = c.boolConst("ok"), bad = c.boolConst("bad")
        let a = c.bvConst("a", width: 16), b = c.bvConst("b", width: 16)
        let ha = d.term(space.findVMA(.term(a)), bits: 16), hb = d.term(space.findVMA(.term(b)), bits: 16)
        // `bad ? -ENOMEM : (ok ? a : b)`, as a placement's result merges them.
        let merged = bad.ite(c.bv(0xfff4, width: 16), ok.ite(a, b))
        // No `excluded`: a VMA of its own.
        _ = space.findVMA(.term(bad.ite(c.bv(0xffea, width: 16), ok.ite(a, b))))
        #expect(space.seen.count == 3)
        // The error code lies on a path the check excludes: the merge of the two answers.
        var asked: [SBool] = []
        space.excluded = { c, _ in asked.append(c); return true }
        let h = d.term(space.findVMA(.term(merged)), bits: 16)
        #expect(space.seen.count == 3 && asked.count == 1)
        let s = try Solver(c)
        for f in space.facts { s.assert(f) }
        s.assert(!bad)
        s.assert(!h.eq(ok.ite(ha, hb)))
        #expect(try s.check() == .unsat)
        // A value not excluded (here `b`'s sibling `a + 1`) gets its own question; only the merged
        // values are asked about, not the merged address.
        space.excluded = { _, _ in false }
        _ = space.findVMA(.term(ok.ite(a, a.add(c.bv(1, width: 16)))))
        #expect(space.seen.count == 4)
    }

    /// A search whose window and size are shown the same as an earlier one's (by the path and the
    /// assumptions, not the layout) takes its answer and adds nothing; one not shown the same is
    /// a search of its own, and a solver finds a layout where the two answers differ.
    @Test func aSearchShownTheSameAsAnEarlierOneTakesItsAnswer() throws {
        let c = Context()
        let d = SymbolicDomain(context: c)
        let space = AbstractAddressSpace(domain: d, bits: 16, pageSize: 0x10, taskSizeMax: 0xf000)
        let low = c.bvConst("low", width: 16), size = c.bvConst("size", width: 16)
        let first = space.areaLowest(low: .term(low), high: .term(c.bv(0xf000, width: 16)), size: .term(size))
        let facts = space.facts.count
        // The same window written otherwise (`low < 0x100 ? 0x100 : low` against `max(low, 0x100)`
        // is the kernel's and a property's way): asked without the layout, and shown the same.
        var withLayout: [Bool] = []
        space.excluded = { _, layout in withLayout.append(layout); return true }
        let again = space.areaLowest(low: .term(low.add(c.bv(0, width: 16))), high: .term(c.bv(0xf000, width: 16)), size: .term(size))
        #expect(withLayout == [false] && space.facts.count == facts)
        #expect(d.term(again.start, bits: 16).term.raw == d.term(first.start, bits: 16).term.raw)
        // Not shown the same: a search of its own, whose fit may differ from the first.
        space.excluded = { _, _ in false }
        let other = space.areaLowest(low: .term(low.add(c.bv(0x10, width: 16))), high: .term(c.bv(0xf000, width: 16)), size: .term(size))
        #expect(space.facts.count > facts)
        let s = try Solver(c)
        for f in space.facts { s.assert(f) }
        s.assert(d.term(first.ok) && d.term(other.ok) && !d.term(first.start, bits: 16).eq(d.term(other.start, bits: 16)))
        #expect(try s.check() == .sat)
    }

    @Test func realLayoutsSatisfyEveryFact() throws {
        var rng = SplitMix64(seed: 7)
        let bits = 16
        let page: UInt64 = 0x10
        let taskSizeMax: UInt64 = 0xf000
        for round in 0..<60 {
            let layout = AddressSpaceTests.randomLayout(&rng, count: Int(rng.next() % 6), page: page, pages: 0xf00)
            let real = SlotAddressSpace(domain: ConcreteDomain(), bits: bits, slots: layout.vmas.map {
                VMASlot(present: true, start: $0.start, end: $0.end, flags: $0.flags, pgoff: $0.pgoff)
            })
            let c = Context()
            let d = SymbolicDomain(context: c)
            let space = AbstractAddressSpace(domain: d, bits: bits, pageSize: page, taskSizeMax: taskSizeMax)
            let k = { (v: UInt64) -> SymWord in .known(v & 0xffff) }
            let pick = { (r: inout SplitMix64) -> UInt64 in
                switch r.next() % 5 {
                case 0: return 0
                case 1: return 0xffff
                default: return (r.next() % 0xf10) * page
                }
            }
            var claims: [SBool] = []
            let term = { (w: SymWord) -> SBV in d.term(w, bits: bits) }
            let truth = { (t: SymTruth) -> SBool in d.term(t) }
            for _ in 0..<3 {
                let a = pick(&rng), lo = pick(&rng), hi = pick(&rng), size = (rng.next() % 8) * page + (rng.next() % 3 == 0 ? 0 : page)
                let first = real.findVMA(a & 0xffff), before = real.vmaBefore(a & 0xffff)
                let realEnd = { (h: UInt64) -> UInt64 in h == 0 ? 0 : layout.vmas[Int(h) - 1].end }
                claims.append(term(space.findVMA(k(a))).eq(c.bv(realEnd(first), width: bits)))
                claims.append(term(space.vmaBefore(k(a))).eq(c.bv(realEnd(before), width: bits)))
                let l = real.areaLowest(low: lo & 0xffff, high: hi & 0xffff, size: size)
                let al = space.areaLowest(low: k(lo), high: k(hi), size: k(size))
                claims.append(truth(al.ok).iff(c.bool(l.ok)))
                if l.ok { claims.append(term(al.start).eq(c.bv(l.start, width: bits))) }
                let h = real.areaHighest(low: lo & 0xffff, high: hi & 0xffff, size: size)
                let ah = space.areaHighest(low: k(lo), high: k(hi), size: k(size))
                claims.append(truth(ah.ok).iff(c.bool(h.ok)))
                if h.ok { claims.append(term(ah.end).eq(c.bv(h.end & 0xffff, width: bits))) }
            }
            // Each VMA seen is absent or one of the layout's.
            for v in space.seen {
                let choices = layout.vmas.map { r in
                    v.start.eq(c.bv(r.start, width: bits)) && v.end.eq(c.bv(r.end, width: bits))
                        && v.flags.eq(c.bv(r.flags, width: bits)) && v.pgoff.eq(c.bv(r.pgoff, width: bits))
                }
                claims.append(v.present.implies(SBool.or(choices, in: c)))
            }
            let s = try Solver(c)
            for f in space.facts + claims { s.assert(f) }
            #expect(try s.check() == .sat, "round \(round): the facts exclude the real answers of layout \(layout.vmas.map { "[\(String($0.start, radix: 16)), \(String($0.end, radix: 16)))" })")
        }
    }
}

import Engines
import KernelC
import Placement
import Testing

/// `layout any`: every layout through the abstract layout, and loops by their invariants. A proof
/// must hold for layouts of any size and any number of iterations; what the abstraction cannot
/// decide must come out unknown, never proved; a counterexample still replays on a real layout.
@Suite struct AbstractLayoutTests {
    func prove(_ text: String, config: Config = .scaled8) throws -> [String: PropertyResult] {
        let unit = try SpecLoader.load(text: text, path: "test.spec", model: config.dataModel)
        let prover = Prover(options: .deterministic(config: config))
        var out: [String: PropertyResult] = [:]
        for p in unit.program.properties { out[p.name] = try prover.prove(p, in: unit.program, file: "test.spec") }
        return out
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
        guard case .counterexample(let c)? = r["counts_unwound"]?.verdict else {
            Issue.record("expected a counterexample, got \(String(describing: r["counts_unwound"]?.verdict))")
            return
        }
        #expect(c.failures.first?.kind == .unwinding)
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
        guard case .counterexample(let c)? = r["wrong"]?.verdict else {
            Issue.record("expected a counterexample, got \(String(describing: r["wrong"]?.verdict))")
            return
        }
        #expect(c.failures.first?.kind == .invariant)
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
            guard case .counterexample(let c)? = r[name]?.verdict else {
                Issue.record("\(name): expected a counterexample, got \(String(describing: r[name]?.verdict))")
                continue
            }
            // Replayed (a counterexample is, by construction) on the layout of the VMAs it saw.
            #expect(c.layout != nil, "\(name)")
            if name == "at_most_one_vma" { #expect(c.layout?.count == 2) }
        }
    }
}

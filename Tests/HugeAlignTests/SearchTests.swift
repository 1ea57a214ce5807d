import Compiled
@testable import Engines
import Foundation
import KernelC
import Placement
import Reports
import Semantics
import Testing
@testable import hugealign_bench

/// The solver-free engines (fuzzer, model checker), replay, and the counterexample reports.
@Suite struct SearchTests {
    func item(_ spec: String, _ property: String, config: Config = .x86_64) throws -> SpecPlan.Item {
        try #require(try SpecPlan(file: spec, defaultConfig: config, only: property).items.first)
    }

    @Test func fuzzerFindsShrinksAndReplays() throws {
        let spec = Paths.repo("specs/examples/thp_alignment_lemma.spec")
        let it = try item(spec, "thp_alignment_sign_slip")
        var o = FuzzOptions()
        o.runs = 5000
        let r = try Fuzzer(program: it.program, property: it.property, config: it.config, options: o).run()
        let c = try #require(r.failing)
        // Shrunk toward 0: the failure needs ret − off ≢ 0 and ≢ 2^(shift−1) (mod 2^shift); the
        // smallest such cases are {ret, off} = {0, 1}, at the smallest shift.
        #expect(c.values[0] + c.values[1] == 1 && c.values[2] == 12, "\(c.values)")
        let runner = try ConcreteRunner(program: it.program, property: it.property, config: it.config)
        let cex = try #require(runner.counterexample(c, relevant: runner.relevance(c)))
        let f = Finding(engine: .fuzzer, spec: spec, property: it.property.name, config: "x86_64",
                        bounds: Bounds(config: "x86_64", intBits: 32, longBits: 64, unwind: 8, layoutVMAs: 0), seed: 1, sequence: nil, counterexample: cex)
        let back = try Finding.decode(try f.encoded(), file: "x.json")
        #expect(back == f)
        guard case .reproduced = try Replay.replay(back) else { Issue.record("stored counterexample did not replay"); return }
    }

    @Test func fuzzerFindsNothingWhereTheLemmaHolds() throws {
        let it = try item(Paths.repo("specs/examples/thp_alignment_lemma.spec"), "thp_alignment_lemma")
        var o = FuzzOptions()
        o.runs = 20_000
        let r = try Fuzzer(program: it.program, property: it.property, config: it.config, options: o).run()
        #expect(r.failing == nil)
        #expect(r.stats.runs == 20_000 && r.stats.coverage > 0)
    }

    @Test func sameSeedWritesByteIdenticalReports() throws {
        let base = NSTemporaryDirectory() + "hugealign-det-\(getpid())"
        defer { try? FileManager.default.removeItem(atPath: base) }
        var contents: [[String: Data]] = []
        for run in 0..<2 {
            let dir = base + "/\(run)"
            let r = try runCLI(["fuzz", "specs/properties/placement.spec", "--property", "dax_topdown_abuts_window_end",
                                "--runs", "3000", "--seed", "7", "--out", dir])
            #expect(r.status == 10, "\(r.out)\(r.err)")
            let names = try FileManager.default.contentsOfDirectory(atPath: dir).sorted()
            #expect(names.contains("dax_topdown_abuts_window_end.fuzzer.json") && names.contains("dax_topdown_abuts_window_end.fuzzer.svg"))
            contents.append(Dictionary(uniqueKeysWithValues: try names.map { ($0, try Data(contentsOf: URL(fileURLWithPath: dir + "/" + $0))) }))
        }
        #expect(contents[0] == contents[1])
        let replay = try runCLI(["replay", base + "/0/dax_topdown_abuts_window_end.fuzzer.json"])
        #expect(replay.status == 10 && replay.out.contains("reproduced"), "\(replay.out)\(replay.err)")
    }

    @Test func modelCheckerFindsTheShortestSyscallSequence() throws {
        // The seeded bug: MAP_FIXED_NOREPLACE no longer checks for overlap. The empty address space
        // cannot show it; one mmap first can.
        let root = Paths.root
        let mutant = try #require(try MutantCampaign.load(root: root).first { $0.id == "mmap-noreplace-check-dropped" })
        let spec = try MutantCampaign.materialize(root: root, mutant: mutant)
        let config = try #require(Config.named("scaled8-x86"))
        let it = try item(spec, "noreplace_never_overlaps", config: config)
        var o = CheckOptions()
        o.depth = 2
        let r = try ModelChecker(program: it.program, property: it.property, config: config, options: o).run()
        let seq = try #require(r.sequence)
        #expect(seq.count == 1, "\(seq.map(\.description))")
        let failing = try #require(r.failing)
        let runner = try ConcreteRunner(program: it.program, property: it.property, config: config)
        let cex = try #require(runner.counterexample(failing, relevant: runner.relevance(failing)))
        let f = Finding(engine: .modelChecker, spec: spec, property: it.property.name, config: config.name,
                        bounds: Bounds(config: config.name, intBits: 8, longBits: 8, unwind: runner.unwind, layoutVMAs: failing.layout.vmas.count),
                        seed: nil, sequence: seq, counterexample: cex)
        guard case .reproduced = try Replay.replay(try Finding.decode(try f.encoded(), file: "x.json")) else {
            Issue.record("sequence counterexample did not replay"); return
        }
        // Unmodified models: the same search finds nothing.
        let clean = try MutantCampaign.materialize(root: root, mutant: nil)
        let ok = try item(clean, "noreplace_never_overlaps", config: config)
        let r2 = try ModelChecker(program: ok.program, property: ok.property, config: config, options: o).run()
        #expect(r2.failing == nil && r2.stats.exhausted && r2.stats.depthReached == 2)
    }

    /// Mode 1 runs an input whose compiled run asked the layout nothing on one layout only, and
    /// still finds a failure that needs both a particular input and a particular layout (one the
    /// sweep's sample does not hold).
    @Test(.enabled(if: NativeLibrary.compiler != nil, "needs a C compiler (the compiled form says what a run asked)"))
    func modelCheckerRunsLayoutFreeInputsOnce() throws {
        let dir = try temporaryFolder("layoutfree")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let spec = dir + "/p.spec"
        try """
        property stack_two_pages_above(unsigned long addr, unsigned long len) unwind 4
        {
            struct vm_area_struct *v;
            assume(!offset_in_page(addr) && len < 8);
            if (len == 5 && addr == 0x94) {
                v = find_vma(current->mm, addr);
                assert(!v || v->vm_start != addr + 2 * PAGE_SIZE || !(v->vm_flags & VM_GROWSDOWN));
            }
        }

        property find_vma_ends_above(unsigned long addr, unsigned long len) unwind 4
        {
            struct vm_area_struct *v;
            assume(!offset_in_page(addr) && len < 8);
            if (len == 3) {
                v = find_vma(current->mm, addr);
                assert(!v || v->vm_end > addr);
            }
        }
        """.write(toFile: spec, atomically: true, encoding: .utf8)
        let config = try #require(Config.named("scaled8-x86"))
        var o = CheckOptions()
        o.compiled = true
        let bad = try item(spec, "stack_two_pages_above", config: config)
        let r = try ModelChecker(program: bad.program, property: bad.property, config: config, options: o).run()
        let c = try #require(r.failing, "the failure on one layout must be found")
        #expect(c.values == [0x94, 5] && c.layout.vmas.count == 1 && c.layout.vmas[0].start == 0x9c && c.layout.vmas[0].flags & config.number(.vmGrowsDown) != 0, "\(c)")
        let good = try item(spec, "find_vma_ends_above", config: config)
        let checker = try ModelChecker(program: good.program, property: good.property, config: config, options: o)
        let g = try checker.run()
        #expect(g.failing == nil && g.stats.exhausted)
        // 64 page-aligned addresses × 8 lengths on each layout; 7 lengths of 8 ask nothing, so
        // after the first layout only len == 3 runs (plus the 64-input sweep of each layout).
        let everything = checker.layoutCount * 512
        #expect(Double(g.stats.runs) < everything / 3, "\(g.stats.runs) runs of \(everything)")
    }

    @Test func pruningByLeadingAssumptionsIsSound() throws {
        let text = """
        // expect: proved
        property pruned(unsigned long len, unsigned long pgoff)
        {
            unsigned long off = pgoff << PAGE_SHIFT;
            assume(len != 0 && !offset_in_page(len));
            assume(round_up(off, PMD_SIZE) + PMD_SIZE <= off + len);
            assert(len != 0 && !offset_in_page(len));
        }
        static unsigned long pick(unsigned long len, unsigned long pgoff)
        {
            assume(len != 0 && !offset_in_page(len));
            assume(pgoff == 3);
            return len + pgoff;
        }
        // expect: proved
        property through_helper(unsigned long len, unsigned long pgoff)
        {
            unsigned long r = pick(len + 0, pgoff);
            assert(r != 0);
        }
        static unsigned long branchy(unsigned long x)
        {
            if (x > 7)
                x = 1;
            assume(x != 9);
            return x;
        }
        // expect: counterexample
        property helper_after_branch(unsigned long x)
        {
            unsigned long y = branchy(x);
            assert(!(x == 9 && y == 1));
        }
        // expect: counterexample
        property after_branch(unsigned long x)
        {
            unsigned long y = 0;
            if (x > 7)
                y = 1;
            assume(x != 9);
            assert(!(x == 10 && y));
        }
        """
        let path = NSTemporaryDirectory() + "hugealign-prune-\(getpid()).spec"
        try text.write(toFile: path, atomically: true, encoding: .utf8)
        defer { try? FileManager.default.removeItem(atPath: path) }
        let config = Config.scaled8
        let a = try item(path, "pruned", config: config)
        var none = CheckOptions()
        none.vmas = 0
        // Every value runs (no classes of values, `InputClassTests`): the counts below are the pruning's.
        none.inputClasses = false
        let ra = try ModelChecker(program: a.program, property: a.property, config: config, options: none).run()
        #expect(ra.failing == nil && ra.stats.exhausted)
        // Far fewer than the 256 × 256 inputs: only the assumptions' solutions run.
        #expect(ra.stats.states == 1 && ra.stats.runs > 0 && ra.stats.runs < 256 * 256 / 4, "\(ra.stats.runs) runs over \(ra.stats.states) layouts")
        // An assumption after a branch is not used to prune: every input runs, and x = 10 fails.
        let b = try item(path, "after_branch", config: config)
        let rb = try ModelChecker(program: b.program, property: b.property, config: config, options: none).run()
        #expect(rb.failing?.values == [10])
        #expect(rb.stats.runs == 11)
        // A helper's leading assumptions prune with its parameters replaced by the arguments: 63
        // page-aligned non-zero lengths × one pgoff, not 256 × 256 runs.
        let c = try item(path, "through_helper", config: config)
        let rc = try ModelChecker(program: c.program, property: c.property, config: config, options: none).run()
        #expect(rc.failing == nil && rc.stats.exhausted && rc.stats.runs == 63, "\(rc.stats.runs) runs")
        // …but not one after a branch in the helper: x = 9 runs (and fails, y being 1).
        let d = try item(path, "helper_after_branch", config: config)
        let rd = try ModelChecker(program: d.program, property: d.property, config: config, options: none).run()
        #expect(rd.failing?.values == [9])
    }

    /// Fresh inputs are drawn into the leading assumptions, parameter by parameter and with the
    /// constants they compare with: most runs get past them (a blind draw passes these about once
    /// in 10 000), and a bug behind them is found.
    @Test func fuzzerDrawsIntoTheLeadingAssumptions() throws {
        let text = """
        property steered(struct file *file, unsigned long addr, unsigned long len, unsigned long flags, bool bug)
        {
            assume(file == FILE_THP && !offset_in_page(addr) && addr >= mmap_min_addr);
            assume(len != 0 && IS_ALIGNED(len, PMD_SIZE) && len <= 4 * PMD_SIZE);
            assume(flags == (MAP_SHARED | MAP_FIXED));
            assert(!bug || len != 3 * PMD_SIZE || addr < 0x10000000);
        }
        """
        let path = NSTemporaryDirectory() + "hugealign-steer-\(getpid()).spec"
        try text.write(toFile: path, atomically: true, encoding: .utf8)
        defer { try? FileManager.default.removeItem(atPath: path) }
        let it = try item(path, "steered")
        var o = FuzzOptions()
        o.runs = 20_000
        let r = try Fuzzer(program: it.program, property: it.property, config: it.config, options: o).run()
        let first = try #require(r.foundBy?.run, "the failure behind the assumptions must be found")
        #expect(first < 5000, "found after \(first) runs")
        // Runs up to the find: most got past the assumptions.
        #expect(Double(r.stats.vacuous) < 0.3 * Double(r.stats.runs), "\(r.stats.vacuous) of \(r.stats.runs) runs vacuous")
        // The file is drawn only among the kinds its own conjunct allows; the unconstrained bool
        // and the wide parameters are drawn freely.
        let runner = try ConcreteRunner(program: it.program, property: it.property, config: it.config)
        let guide = AssumptionGuide(runner: runner, vocabulary: Vocabulary(config: it.config))
        #expect(guide.choices[0] == [it.config.number(.fileTHP)] && guide.choices[1...].allSatisfy { $0 == nil }, "\(guide.choices)")
    }

    @Test func directCallAfterAVacuousRunRunsInFull() throws {
        // The fast path stops a run at a false assumption; a direct call made next (the model
        // checker's mmap steps) must still run the whole placement.
        let it = try item(Paths.repo("specs/properties/placement.spec"), "anon_free_hint_is_returned")
        let runner = try ConcreteRunner(program: it.program, property: it.property, config: it.config)
        let space = IndexedAddressSpace(.empty)
        #expect(runner.run([0x1001, 0x1000], in: space) == .vacuous)
        let mmapBase = try #require(it.config.value("mm.mmap_base"))
        #expect(runner.call("do_mmap_placement", [0, 0, 0x1000, 0x22, 0, 0], in: space) == mmapBase - 0x1000)
    }

    @Test func shrinkerDropsIrrelevantVMAs() throws {
        let it = try item(Paths.repo("specs/properties/placement.spec"), "file_thp_hint_beats_alignment")
        let runner = try ConcreteRunner(program: it.program, property: it.property, config: it.config)
        let far = (0..<12).map { i in VMA(start: 0x5000_0000_0000 + UInt64(i) * 0x10_0000, end: 0x5000_0000_0000 + UInt64(i) * 0x10_0000 + 0x3000) }
        let start = TestCase(values: [0x1234_5000, 0x40_3000, 0x123], layout: Layout(vmas: far))
        guard case .failed = runner.run(start) else { Issue.record("the starting case should fail"); return }
        let small = Shrinker(runner: runner, vocabulary: Vocabulary(config: it.config)).shrink(start)
        #expect(small.layout.vmas.isEmpty)
        #expect(small.values[0] < start.values[0] && small.values[1] <= start.values[1] && small.values[2] == 0, "\(small.values)")
        #expect(runner.run(small).isFailure)
        // Hypothesis-style: it says why it stopped, tried no candidate twice and ran none that was
        // not simpler; shrinking the result again runs nothing new that helps.
        let shrinker = Shrinker(runner: runner, vocabulary: Vocabulary(config: it.config))
        let r = shrinker.shrinkCase(start)
        #expect(r.stop == .noSimplerFailure && r.smallest == small)
        #expect(r.skipped > 0, "candidates that are not simpler are rejected before running")
        let again = shrinker.shrinkCase(small)
        #expect(again.smallest == small && again.stop == .noSimplerFailure)
        #expect(again.runs < r.runs)
        let tight = shrinker.shrinkCase(start, budget: 3)
        #expect(tight.stop == .budget && tight.runs == 3)
    }

    @Test func proverReportsHavePictureSVGAndSMT() throws {
        let dir = NSTemporaryDirectory() + "hugealign-prove-out-\(getpid())"
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let r = try runCLI(["prove", "specs/properties/placement.spec", "--property", "file_thp_hint_beats_alignment", "--out", dir])
        #expect(r.status == 10)
        let stem = dir + "/file_thp_hint_beats_alignment.prover"
        let text = try String(contentsOfFile: stem + ".txt", encoding: .utf8)
        #expect(text.contains("CHOSEN by the placement") && text.contains("missed: free and congruent") && text.contains("PMD boundary"), "\(text)")
        #expect(try String(contentsOfFile: stem + ".svg", encoding: .utf8).hasPrefix("<svg"))
        #expect(try String(contentsOfFile: stem + ".smt2", encoding: .utf8).contains("(check-sat)"))
        let replay = try runCLI(["replay", stem + ".json"])
        #expect(replay.status == 10, "\(replay.out)\(replay.err)")
    }

    /// The C reproducer asks this machine's kernel: it must show the violation. Skipped without a
    /// C compiler.
    @Test(.enabled(if: FileManager.default.isExecutableFile(atPath: "/usr/bin/cc"), "needs a C compiler (/usr/bin/cc)"), .tags(.hostKernel))
    func cReproducerShowsTheViolationOnThisKernel() throws {
        let dir = try temporaryFolder("repro")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let r = try runCLI(["prove", "specs/properties/placement.spec", "--property", "file_thp_hint_beats_alignment", "--out", dir])
        #expect(r.status == 10)
        let stem = dir + "/file_thp_hint_beats_alignment.prover"
        let source = try String(contentsOfFile: stem + ".c", encoding: .utf8)
        #expect(source.contains("MODEL AND KERNEL DISAGREE"), "a different address is not blamed on the kernel's mappings alone")
        let cc = Process()
        cc.executableURL = URL(fileURLWithPath: "/usr/bin/cc")
        cc.arguments = ["-O2", "-o", stem + ".bin", stem + ".c"]
        try cc.run(); cc.waitUntilExit()
        #expect(cc.terminationStatus == 0)
        let run = Process()
        run.executableURL = URL(fileURLWithPath: stem + ".bin")
        run.currentDirectoryURL = URL(fileURLWithPath: dir)
        let pipe = Pipe()
        run.standardOutput = pipe
        try run.run()
        let out = String(decoding: pipe.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        run.waitUntilExit()
        #expect(run.terminationStatus == 1 && out.contains("VIOLATED on this kernel"), "\(out)")
        // The request is shown with names.
        let text = try String(contentsOfFile: stem + ".txt", encoding: .utf8)
        #expect(text.contains("file=FILE_THP") && text.contains("flags=MAP_SHARED"), "\(text)")
    }

    @Test func malformedCounterexampleIsAnInputError() throws {
        let path = NSTemporaryDirectory() + "hugealign-bad-\(getpid()).json"
        try "{\n  \"version\": 1,\n  \"engine\": oops\n}\n".write(toFile: path, atomically: true, encoding: .utf8)
        defer { try? FileManager.default.removeItem(atPath: path) }
        let r = try runCLI(["replay", path])
        #expect(r.status == 2)
        #expect(r.err.contains(path) && r.err.contains("not a hugealign counterexample"), "\(r.err)")
    }
}

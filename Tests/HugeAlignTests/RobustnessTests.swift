import Engines
import Foundation
import KernelC
import Placement
import Reports
import Semantics
import Testing

/// A newcomer's first hour (issue 9): deterministic budgets, runs that check nothing fail, bounded
/// and talkative runs, no crash on deep input, engines that agree on bounds, replay and messages.
@Suite struct RobustnessTests {
    // MARK: Budgets and the case split

    func prove(_ text: String, options: ProverOptions) throws -> [PropertyResult] {
        let unit = try SpecLoader.load(text: text, path: "test.spec", model: options.config.dataModel)
        let prover = Prover(options: options)
        return try unit.program.properties.map { try prover.prove($0, in: unit.program, file: "test.spec") }
    }

    /// The same query costs the same resource units in every process. Swift seeds its hashing per
    /// process; the integer translation once let its tables go in hash order, Z3 reused the freed
    /// ids in that order, and one property took 9.5 M units in one run and 15.7 M in the next.
    @Test func resourceUnitsAreTheSameInEveryProcess() throws {
        func units() throws -> String {
            // Z3 alone: the units are the linked Z3's (the portfolio's solvers count none). (The
            // arm64 property: the x86_64 one goes through contracts, whose proofs Z3 4.8 alone
            // takes minutes over.)
            let r = try runCLI(["prove", Paths.repo("specs/properties/vm_unmapped_area_64.spec"),
                                "--property", "unmapped_area_in_window_bottomup_arm64", "--check-expectations", "--stats", "--solver", "z3"])
            #expect(r.status == 0, "\(r.out)\(r.err)")
            let stats = r.out.split(separator: "\n").first { $0.contains("resource units") } ?? ""
            return stats.components(separatedBy: ", ").last ?? ""
        }
        let first = try units()
        #expect(first.contains("resource units"))
        for _ in 0..<2 { #expect(try units() == first) }
    }

    static let fileKinds = """
    static bool kind_ok(struct file *file)
    {
        return !file || file == FILE_PLAIN || file == FILE_THP || file == FILE_SHMEM;
    }
    property split_proved(struct file *file, unsigned long x)
    {
        assume(kind_ok(file));
        assert(file != FILE_THP || x * 3 != 7 * 3 + 1 || x != 0);
    }
    property split_refuted(struct file *file, unsigned long x)
    {
        assume(kind_ok(file));
        assert(file != FILE_SHMEM || x != 5);
    }
    """

    /// A query whose first look runs out is decided one file kind at a time, soundly: the proof
    /// holds and the counterexample is the real one, replayed, with the pinned kind relevant.
    @Test func slowQueriesAreSplitByFileKind() throws {
        var options = ProverOptions.deterministic()
        options.splitAfterResources = 1
        // The split is Z3's: Bitwuzla, where installed, would prove the whole query at once.
        options.solver = .z3
        let r = try prove(Self.fileKinds, options: options)
        #expect(r[0].verdict == .proved(vacuous: false))
        #expect(r[0].caseSplit == "file ∈ {0x0, 0x1, 0x2, 0x3}")
        guard case .counterexample(let c) = r[1].verdict else { Issue.record("expected a counterexample: \(r[1].verdict)"); return }
        #expect(r[1].caseSplit != nil)
        #expect(c.inputs.map(\.bits) == [3, 5])
        #expect(c.inputs.allSatisfy { $0.relevant })
        // Without the split the same verdicts (the split is an optimisation, never a change).
        let plain = try prove(Self.fileKinds, options: .deterministic())
        #expect(plain[0].caseSplit == nil && plain[0].verdict == r[0].verdict)
        #expect(plain[1].verdict.kind == .counterexample)
    }

    /// The resource budget bounds the whole property (decision, minimisation, relevance), not
    /// each check: a tiny budget ends in unknown, and what was used stays near the budget.
    @Test func resourceBudgetCoversTheWholeProperty() throws {
        let text = "property p(unsigned long x, unsigned long y) { assume(x > 1 && y > 1); assert(x * y != 0x1234567890abcdefUL); }"
        var options = ProverOptions.deterministic()
        options.rlimit = 20_000
        let r = try prove(text, options: options)[0]
        #expect(r.verdict.kind == .unknown)
        #expect(r.resourcesUsed <= 40_000, "used \(r.resourcesUsed) of 20000")
        // The same budget gives the same answer twice (what --check-expectations relies on).
        let again = try prove(text, options: options)[0]
        #expect(again.verdict == r.verdict)
    }

    /// The first model is replayed and announced before minimisation, which then runs on one
    /// incremental solver: the minimised values are the same as with a fresh solver per check.
    @Test func counterexampleIsAnnouncedThenMinimised() throws {
        final class Seen: @unchecked Sendable { var names: [String] = [] }
        let seen = Seen()
        var options = ProverOptions.deterministic()
        options.onFirstCounterexample = { name, _ in seen.names.append(name) }
        let text = "property p(unsigned long a, unsigned long b) { assume(a > 0x1000); assert(a + b != 0x123456789); }"
        guard case .counterexample(let c) = try prove(text, options: options)[0].verdict else { Issue.record("no counterexample"); return }
        #expect(seen.names == ["p"])
        // Minimal: the smallest a the assumption allows; b follows from the sum.
        #expect(c.inputs[0].bits == 0x1001)
        #expect(c.inputs[0].bits &+ c.inputs[1].bits == 0x123456789)
    }

    /// An input the assumptions pin is not "any value": other values make the run vacuous, not
    /// failing. Checked for the prover and for the concrete engines.
    @Test func pinnedInputsAreRelevant() throws {
        let text = "property pinned(unsigned long x, unsigned long y, unsigned long z) { assume(x == 5); assert(y != 3); }"
        guard case .counterexample(let c) = try prove(text, options: .deterministic())[0].verdict else { Issue.record("no counterexample"); return }
        #expect(c.inputs.map(\.relevant) == [true, true, false])
        let unit = try SpecLoader.load(text: text)
        let runner = try ConcreteRunner(program: unit.program, property: unit.program.properties[0], config: .x86_64)
        #expect(runner.relevance(TestCase(values: [5, 3, 0], layout: .empty)) == [true, true, false])
    }

    /// After an undefined operation the run goes on with a made-up value; a failure that follows
    /// from it is not reported beside the real one.
    @Test func onlyTheFirstFailureAfterAMadeUpValue() throws {
        let text = """
        property p(unsigned long x, int s)
        {
            unsigned long y = x << s;
            assert(y == (x << s));
            assert(s < 64 || y != 0);
        }
        """
        let unit = try SpecLoader.load(text: text)
        let runner = try ConcreteRunner(program: unit.program, property: unit.program.properties[0], config: .x86_64)
        let c = try #require(runner.counterexample(TestCase(values: [0, 70], layout: .empty), relevant: [true, true]))
        #expect(c.failures.map(\.kind) == [.shiftRange])
    }

    // MARK: Runs that check nothing, options, exit codes

    @Test func runsThatCheckNothingFail() throws {
        let dir = try temporaryFolder("nothing")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        try FileManager.default.createDirectory(atPath: dir + "/empty", withIntermediateDirectories: true)
        try "hello\n".write(toFile: dir + "/readme.txt", atomically: true, encoding: .utf8)
        try "".write(toFile: dir + "/none.spec", atomically: true, encoding: .utf8)
        try "property p(int x) { assert(x == x); }\n".write(toFile: dir + "/noexpect.spec", atomically: true, encoding: .utf8)
        for (args, message) in [(["prove", dir + "/empty"], "no .spec files"), (["prove", dir + "/readme.txt"], "not a spec file"),
                                (["prove", dir + "/none.spec"], "nothing was checked"),
                                (["prove", dir + "/noexpect.spec", "--check-expectations"], "has no '// expect:'")] {
            let r = try runCLI(args)
            #expect(r.status == 2, "\(args): \(r.status) \(r.err)")
            #expect(r.err.contains(message), "\(args): \(r.err)")
        }
        let fuzz = try runCLI(["fuzz", "specs/examples/thp_alignment_lemma.spec", "--time", "1e-300"])
        #expect(fuzz.status == 2 && fuzz.out.contains("NOTHING CHECKED"), "\(fuzz.out)\(fuzz.err)")
    }

    @Test func budgetsAreValidated() throws {
        for args in [["prove", "specs/examples", "--timeout", "-1"], ["prove", "specs/examples", "--timeout", "nan"],
                     ["prove", "specs/examples", "--total-timeout", "inf"], ["fuzz", "specs/examples/thp_alignment_lemma.spec", "--time", "inf"],
                     ["check", "specs/examples/thp_alignment_lemma.spec", "--max-runs", "-5"], ["prove", "specs/examples", "--rlimit", "0"]] {
            let r = try runCLI(args)
            #expect(r.status == 1, "\(args): \(r.status) \(r.err)")
            #expect(r.err.contains("must be"), "\(args): \(r.err)")
        }
        // A budget below a millisecond is a budget, not "unlimited".
        let tiny = try runCLI(["prove", "specs/examples/c_subset.spec", "--property", "conditional_and_min_max", "--timeout", "0.0004"])
        #expect(tiny.status == 5, "\(tiny.out)")
    }

    @Test func noSubcommandIsAUsageErrorAndVersionWorks() throws {
        let r = try runCLI([])
        #expect(r.status == 1 && r.err.contains("SUBCOMMANDS"))
        let v = try runCLI(["--version"])
        #expect(v.status == 0 && v.out.hasPrefix("hugealign "))
    }

    @Test func badOutputFolderFailsBeforeSolving() throws {
        let dir = try temporaryFolder("badout")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        try "x".write(toFile: dir + "/file", atomically: true, encoding: .utf8)
        for option in ["--out", "--smt2-out"] {
            let r = try runCLI(["prove", "specs/properties/placement.spec", option, dir + "/file"])
            #expect(r.status == 1, "\(r.err)")
            #expect(r.err.contains("is an existing file") && !r.err.contains("NSCocoaErrorDomain"), "\(r.err)")
            #expect(r.out.isEmpty, "nothing is proved before the folder is known to be usable")
        }
    }

    /// Results reach a pipe as each property finishes; SIGTERM stops the run like Ctrl-C and the
    /// summary of what was done is still written.
    @Test func streamsResultsAndStopsOnSIGTERM() throws {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: Paths.binary)
        p.arguments = ["prove", "specs/properties", "--jobs", "2"]
        p.currentDirectoryURL = URL(fileURLWithPath: Paths.root)
        let out = Pipe()
        p.standardOutput = out
        p.standardError = FileHandle.nullDevice
        try p.run()
        var seen = Data()
        // The first verdict arrives long before the run would end.
        while !String(decoding: seen, as: UTF8.self).contains("  proved") {
            let chunk = out.fileHandleForReading.availableData
            if chunk.isEmpty { break }
            seen += chunk
        }
        p.terminate()
        seen += out.fileHandleForReading.readDataToEndOfFile()
        p.waitUntilExit()
        let text = String(decoding: seen, as: UTF8.self)
        #expect(text.contains("interrupted: results so far"), "\(text)")
        #expect(p.terminationStatus == 5 || p.terminationStatus == 10, "exit \(p.terminationStatus)")
    }

    @Test func totalTimeoutBoundsTheRun() throws {
        let r = try runCLI(["prove", "specs/properties/vm_unmapped_area.spec", "--total-timeout", "0.5"])
        #expect(r.status == 5, "\(r.out)")
        #expect(r.err.contains("time budget") && r.err.contains("were not checked"), "\(r.err)")
    }

    // MARK: Search engines and the property's bound

    @Test func checkAndFuzzHonourTheLayoutBound() throws {
        let check = try runCLI(["check", "specs/properties/placement.spec", "--property", "mmap_fixed_is_exact", "--config", "scaled8-x86",
                                "--max-runs", "2000"])
        #expect(check.out.contains("layouts ≤ 0 VMAs"), "\(check.out)")
        let beyond = try runCLI(["check", "specs/properties/placement.spec", "--property", "mmap_fixed_is_exact", "--config", "scaled8-x86",
                                 "--max-runs", "2000", "--vmas", "1"])
        #expect(beyond.err.contains("BEYOND the property's bound"), "\(beyond.err)")
        let fuzz = try runCLI(["fuzz", "specs/properties/placement.spec", "--property", "mmap_fixed_is_exact", "--runs", "500", "--vmas", "2"])
        #expect(fuzz.err.contains("BEYOND the property's bound"), "\(fuzz.err)")
        // The fuzzer's layouts stay within the bound it is given.
        var rng = DeterministicRandom(seed: 1)
        let big = Layout(vmas: (0..<10).map { VMA(start: UInt64($0 + 1) << 20, end: (UInt64($0 + 1) << 20) + 0x1000) })
        #expect(LayoutGenerator.window(of: big, atMost: 3, &rng).vmas.count == 3)
        #expect(LayoutGenerator.window(of: big, atMost: 0, &rng).vmas.isEmpty)
    }

    /// A long check is never silent in a pipe: periodic lines with the total and a time estimate.
    @Test func checkTalksWhenNotOnATerminal() throws {
        let r = try runCLI(["check", "specs/properties/placement.spec", "--property", "mmap_result_valid", "--config", "scaled8-x86",
                            "--time", "1"], environment: ["HUGEALIGN_PROGRESS_INTERVAL": "0.2"])
        let lines = r.err.split(separator: "\n").filter { $0.hasPrefix("check mmap_result_valid:") }
        #expect(!lines.isEmpty, "\(r.err)")
        #expect(lines.allSatisfy { $0.contains("of 1 layouts") && $0.contains("runs (") && !$0.contains("M/s") || $0.contains("left") }, "\(lines)")
    }

    // MARK: Replay

    @Test func replayFindsTheSpecFromElsewhereAndGoesOnAfterABadReport() throws {
        let dir = try temporaryFolder("replay")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let spec = Paths.repo("specs/examples/thp_alignment_lemma.spec")
        let unit = try SpecLoader.load(path: "specs/examples/thp_alignment_lemma.spec".withRoot)
        let prop = unit.program.properties.first { $0.name == "thp_alignment_sign_slip" }!
        let runner = try ConcreteRunner(program: unit.program, property: prop, config: .x86_64)
        let cex = try #require(runner.counterexample(TestCase(values: [0, 1, 12], layout: .empty), relevant: [true, true, false]))
        // A report inside the repository whose spec path is relative to the repository root.
        let inRepo = Paths.repo(".build/replay-test-\(getpid())")
        try FileManager.default.createDirectory(atPath: inRepo, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: inRepo) }
        let finding = Finding(engine: .fuzzer, spec: "specs/examples/thp_alignment_lemma.spec", property: prop.name, config: "x86_64",
                              bounds: Bounds(config: "x86_64", intBits: 32, longBits: 64, unwind: 8, layoutVMAs: nil), seed: 1,
                              sequence: nil, counterexample: cex)
        try finding.encoded().write(toFile: inRepo + "/good.json", atomically: true, encoding: .utf8)
        try "{ not json\n".write(toFile: dir + "/bad.json", atomically: true, encoding: .utf8)
        var inverted = finding
        inverted.counterexample.layout = [VMA(start: 0x20000, end: 0x10000)]
        try inverted.encoded().write(toFile: dir + "/inverted.json", atomically: true, encoding: .utf8)
        let r = try runCLI(["replay", dir + "/bad.json", inRepo + "/good.json", dir + "/inverted.json"], in: dir)
        #expect(r.out.contains("reproduced"), "the good report is replayed from another folder:\n\(r.out)\(r.err)")
        #expect(r.err.contains("bad.json:1") && r.err.contains("inverted.json:") && r.err.contains("empty or inverted"), "\(r.err)")
        #expect(r.status == 2)
        let alone = try runCLI(["replay", inRepo + "/good.json"], in: dir)
        #expect(alone.status == 10, "\(alone.out)\(alone.err)")
        _ = spec
        // An unknown syscall name is not a counterexample.
        let text = try finding.encoded().replacingOccurrences(of: "\"seed\"", with: "\"sequence\" : [ { \"op\" : \"mremap\", \"addr\" : 0, \"len\" : 4096 } ],\n  \"seed\"")
        #expect(throws: InputError.self) { try Finding.decode(text, file: "x.json") }
        // Counterexample values carry a hex string that survives tools without 64-bit integers.
        #expect(try finding.encoded().contains("\"hex\" : \"0x1\""))
    }

    // MARK: Layout files and messages

    @Test func layoutFilesNameTheLineOfABadVMA() throws {
        let maps = "00400000-00401000 r-xp 00000000 00:00 0 /bin/x\r\n7ffffffde000-7ffffffff000 rw-p 00000000 00:00 0 [stack]\r\n"
        #expect(try LayoutFile.layout(text: maps, file: "m", config: .x86_64).vmas.count == 2)
        let overlapping = "00400000-00402000 r-xp 00000000 00:00 0 /bin/x\n00401000-00403000 r-xp 00000000 00:00 0 /bin/y\n"
        do { _ = try LayoutFile.layout(text: overlapping, file: "m", config: .x86_64); Issue.record("overlap accepted") }
        catch let e as InputError { #expect(e.line == 2 && e.message.contains("overlaps"), "\(e)") }
        let high = "00400000-00401000 r-xp 00000000 00:00 0 /bin/x\nff00000000000-ff00000001000 rw-p 00000000 00:00 0\n"
        do { _ = try LayoutFile.layout(text: high, file: "m", config: .x86_64); Issue.record("VMA above TASK_SIZE accepted") }
        catch let e as InputError { #expect(e.line == 2 && e.message.contains("TASK_SIZE_MAX"), "\(e)") }
        let json = "{\n  \"version\": 1,\n  \"vmas\": [\n    { \"start\": \"0x400000\", \"end\": \"0x401000\", \"flags\": [\"read\"] }\n  ]\n}\n"
        #expect(try LayoutFile.layout(text: json, file: "l.json", config: .x86_64).vmas.count == 1)
        // And a command takes it where it takes a maps file.
        let dir = try temporaryFolder("layout")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        try json.write(toFile: dir + "/l.json", atomically: true, encoding: .utf8)
        let r = try runCLI(["fuzz", "specs/properties/placement.spec", "--property", "mmap_fixed_is_exact", "--runs", "200", "--maps", dir + "/l.json"])
        #expect(r.status == 0, "\(r.out)\(r.err)")
    }

    @Test func fileLevelErrorsNameTheFile() throws {
        do { _ = try SpecLoader.load(path: "/nonexistent/x.spec"); Issue.record("loaded") }
        catch let d as Diagnostic { #expect(d.description.hasPrefix("/nonexistent/x.spec: error:"), "\(d)") }
    }

    // MARK: Reports

    @Test func requestsAreShownWithNames() throws {
        let names = RequestNames(config: .x86_64)
        #expect(names.argument("file", .word(2)) == "FILE_THP")
        #expect(names.argument("file", .word(0)) == "NULL")
        #expect(names.argument("flags", .word(0x11)) == "MAP_SHARED|MAP_FIXED")
        #expect(names.argument("flags", .word(0x100022)) == "MAP_PRIVATE|MAP_ANONYMOUS|MAP_FIXED_NOREPLACE")
        #expect(names.result(.word(0xffff_ffff_ffff_fff4)) == "-ENOMEM")
        #expect(names.result(.word(0x10000)) == "0x10000")
    }

    /// The missed congruent range is one the unhinted top-down search could have returned: below
    /// mmap_base, never above it.
    @Test func missedRangeStaysInTheSearchWindow() throws {
        let v = Vocabulary(config: .x86_64)
        // A VMA fills [mmap_base - 8 MiB, mmap_base) but for the chosen, incongruent range below it.
        let call = CallRecord(function: "do_mmap_placement", arguments: [
            .init(name: "file", value: .word(2)), .init(name: "addr", value: .word(0)), .init(name: "len", value: .word(0x200000)),
            .init(name: "flags", value: .word(1)), .init(name: "vm_flags", value: .word(0)), .init(name: "pgoff", value: .word(0))],
            result: .word(v.mmapBase - 0x201000))
        let cex = Counterexample(inputs: [], failures: [], locals: [:], layout: [VMA(start: v.mmapBase - 0x1000, end: v.mmapBase)], calls: [call])
        let f = Finding(engine: .prover, spec: "s.spec", property: "p", config: "x86_64",
                        bounds: Bounds(config: "x86_64", intBits: 32, longBits: 64, unwind: 8, layoutVMAs: 1), seed: nil, sequence: nil, counterexample: cex)
        let view = PlacementView(finding: f, config: .x86_64)
        let missed = try #require(view.missed)
        #expect(missed + 0x200000 <= v.mmapBase, "missed 0x\(String(missed, radix: 16)) lies above mmap_base")
    }
}

extension String {
    /// A repository-relative path made absolute.
    var withRoot: String { Paths.repo(self) }
}

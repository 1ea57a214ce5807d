import Foundation
import Compiled
import Engines
import KernelC
import Placement
import Semantics

/// Benchmarks. Run in release mode: `swift run -c release hugealign-bench [lemma|eval|all]`.
/// Figures are wall-clock medians over repeated runs on this machine.

func seconds(_ d: Duration) -> Double { d.seconds }

func median(_ xs: [Double]) -> Double { let s = xs.sorted(); return s[s.count / 2] }

func repoPath(_ rel: String) -> String {
    var url = URL(fileURLWithPath: #filePath)
    for _ in 0..<3 { url.deleteLastPathComponent() }
    return url.appendingPathComponent(rel).path
}

/// End to end: read and check the spec, build the query, solve, and (for the sign slip) minimise
/// and replay.
func benchLemma(iterations: Int) throws {
    let path = repoPath("specs/examples/thp_alignment_lemma.spec")
    let clock = ContinuousClock()
    for name in ["thp_alignment_lemma", "thp_alignment_sign_slip"] {
        var times: [Double] = []
        var verdict = Verdict.Kind.unknown
        for _ in 0..<iterations {
            let start = clock.now
            let unit = try SpecLoader.load(path: path)
            let prover = Prover(options: ProverOptions())
            let r = try prover.prove(unit.program.property(named: name)!, in: unit.program, file: path)
            times.append(seconds(clock.now - start))
            verdict = r.verdict.kind
        }
        print(String(format: "prove %-26@ %-15@ median %.4f s  min %.4f s  (%d runs, end to end: load + check + solve%@)",
                     name as NSString, verdict.rawValue as NSString, median(times), times.min()!, iterations,
                     (verdict == .counterexample ? " + minimise + replay" : "") as NSString))
    }
}

/// Concrete evaluator throughput on the lemma property (the fuzzer's inner loop).
func benchEval(runs: Int) throws {
    let unit = try SpecLoader.load(path: repoPath("specs/examples/thp_alignment_lemma.spec"))
    let property = unit.program.property(named: "thp_alignment_lemma")!
    let evaluator = try Evaluator(program: unit.program, config: .x86_64, domain: ConcreteDomain(), unwind: 8)
    var state: UInt64 = 1
    var failures = 0
    let clock = ContinuousClock()
    let start = clock.now
    for _ in 0..<runs {
        state = state &* 6364136223846793005 &+ 1442695040888963407
        let inputs: [Value<ConcreteDomain>] = [.word(state), .word(state >> 7), .word(12 + (state >> 59))]
        let t = evaluator.run(property, inputs: inputs)
        if t.obligations.contains(where: { $0.violated }) { failures += 1 }
    }
    let s = seconds(clock.now - start)
    print(String(format: "eval  thp_alignment_lemma (concrete)  %.0f runs/s  (%d runs, %d failures)", Double(runs) / s, runs, failures))
}

/// The concrete window search on layouts of 100, 10 000 and 65 530 (vm.max_map_count) VMAs:
/// random lowest/highest-window queries, as unmapped_area{,_topdown} make them.
func benchGaps() {
    for n in [100, 10_000, 65_530] {
        var state: UInt64 = 0x1234_5678
        func next() -> UInt64 { state = state &* 6364136223846793005 &+ 1442695040888963407; return state >> 11 }
        // VMAs of 1-16 pages separated by gaps of 0-31 pages, from 4 GiB up.
        var vmas: [VMA] = []
        var addr: UInt64 = 1 << 32
        for _ in 0..<n {
            addr += (next() % 32) << 12
            let len = (1 + next() % 16) << 12
            vmas.append(VMA(start: addr, end: addr + len))
            addr += len
        }
        let index = VMAIndex(Layout(vmas: vmas))
        let top = addr + (1 << 30)
        let queries = 400_000
        var sink: UInt64 = 0
        let clock = ContinuousClock()
        let start = clock.now
        for q in 0..<queries {
            let size = (1 + next() % 64) << 12
            let low = (1 << 32) + (next() % (addr - (1 << 32)))
            if q & 1 == 0 {
                sink &+= index.lowest(min: low & ~0xfff, max: top - 1, size: size) ?? 0
            } else {
                sink &+= index.highestLast(min: 1 << 32, max: low | 0xfff, size: size) ?? 0
            }
        }
        let perCall = seconds(clock.now - start) / Double(queries) * 1e6
        let lookups = 1_000_000
        let start2 = clock.now
        for _ in 0..<lookups { sink &+= UInt64(index.findVMA((1 << 32) + next() % (addr - (1 << 32))) ?? 0) }
        let perLookup = seconds(clock.now - start2) / Double(lookups) * 1e6
        print(String(format: "gaps  %6d VMAs: window search %.3f µs/call, find_vma %.3f µs/call  (checksum %llu)", n, perCall, perLookup, sink % 1000))
    }
}

/// The concrete evaluator on the whole placement path (do_mmap_placement of
/// specs/kernel/v6.18/mmap.spec) over a 50-VMA layout: placements per second on one core.
func benchPlacement(runs: Int) throws {
    let unit = try SpecLoader.load(path: repoPath("specs/kernel/v6.18/mmap.spec"))
    let fn = unit.program.functions.first { $0.name == PlacementEntry.function }!
    let evaluator = try Evaluator(program: unit.program, config: .x86_64, domain: ConcreteDomain(), unwind: 64)
    evaluator.space = IndexedAddressSpace(fiftyVMAs())
    var state: UInt64 = 7
    var sink: UInt64 = 0
    let clock = ContinuousClock()
    let start = clock.now
    for _ in 0..<runs {
        state = state &* 6364136223846793005 &+ 1442695040888963407
        let len = ((state >> 40) % 2048 + 1) << 12
        let kind: UInt64 = [0, 0, 2, 3][Int(state >> 62)]
        let flags: UInt64 = kind == 0 ? 0x22 : 0x01
        let args: [Value<ConcreteDomain>] = [.word(kind), .word(0), .word(len), .word(flags), .word(0), .word((state >> 20) % 1024)]
        if case .word(let r)? = evaluator.call(fn, arguments: args).0 { sink &+= r }
    }
    let s = seconds(clock.now - start)
    print(String(format: "place do_mmap_placement, 50 VMAs (concrete)  %.0f placements/s  (%d runs, checksum %llu)", Double(runs) / s, runs, sink % 1000))
}

/// The fuzzer's throughput on the THP model: the thp_congruent property (anonymous or THP-file
/// request through do_mmap_placement) on 50-VMA layouts, generation and checking included.
func benchFuzz(runs: Int, engines: [Bool] = [false, true]) throws {
    let spec = repoPath("mutants/properties.spec")
    for property in ["thp_congruent", "placement_avoids_vmas"] {
        let plan = try SpecPlan(file: spec, defaultConfig: .x86_64, only: property)
        let item = plan.items[0]
        for compiled in engines {
            var o = FuzzOptions()
            o.runs = compiled ? runs * 10 : runs
            o.seeds = [fiftyVMAs()]
            o.compiled = compiled
            let r = try Fuzzer(program: item.program, property: item.property, config: item.config, options: o).run()
            let checks = Double(r.stats.runs - r.stats.vacuous) / max(r.stats.seconds, 1e-9)
            print(String(format: "fuzz  %-24@ %@  %.0f runs/s, %.0f placement checks/s (non-vacuous, %.0f %%) on one core  (%d runs, %d vacuous, coverage %d, corpus %d, %@)",
                         property as NSString, (compiled ? "compiled   " : "interpreted") as NSString, r.stats.runsPerSecond, checks,
                         100 * Double(r.stats.runs - r.stats.vacuous) / Double(max(1, r.stats.runs)), r.stats.runs, r.stats.vacuous, r.stats.coverage, r.stats.corpus,
                         (r.failing == nil ? "no counterexample" : "COUNTEREXAMPLE") as NSString))
            if compiled {
                // The same model and check as native C, in the same run.
                let n = try NativeBaseline.run(spec: spec, property: property, iterations: 2_000_000)
                print(String(format: "native %-24@ %.0f placement checks/s (non-vacuous, %.0f %%) on one core, fresh 50-VMA layout each  (%d checks, %d vacuous, %d failed); the fuzzer is %.1f× behind",
                             property as NSString, n.perSecond, 100 * Double(n.checks) / Double(max(1, n.checks + n.vacuous)), n.checks, n.vacuous, n.failed, n.perSecond / max(checks, 1)))
            }
        }
    }
}

/// What a campaign waits for before it runs native (issue 13: a seeded bug within 10 ms): emitting
/// the property's unit, and the quick build (tcc, compiled and loaded, never from the cache: each
/// source carries a fresh comment). Medians and maxima over `iterations`.
func benchBuild(iterations: Int) throws {
    let spec = repoPath("mutants/properties.spec")
    for property in ["placement_avoids_vmas", "placement_valid"] {
        let plan = try SpecPlan(file: spec, defaultConfig: .x86_64, only: property)
        let item = plan.items[0]
        let index = item.program.properties.firstIndex { $0.name == property }
        var emit: [Double] = [], build: [Double] = []
        var bytes = 0
        for _ in 0..<iterations {
            let t0 = ContinuousClock.now
            let emitted = try CompiledProgram.emit(item.program, item.config, ConcreteRunner.unwind(item.property, nil), property: index)
            let t1 = ContinuousClock.now
            _ = try NativeLibrary.load(source: "/* \(UInt64.random(in: 0 ... .max)) */\n" + emitted.source, optimisation: NativeLibrary.firstLevel)
            let t2 = ContinuousClock.now
            emit.append((t1 - t0).seconds * 1000)
            build.append((t2 - t1).seconds * 1000)
            bytes = emitted.source.utf8.count
        }
        emit.sort(); build.sort()
        print(String(format: "build %-22@ emit %.2f ms (max %.2f), %@ build and load %.2f ms (max %.2f); %d bytes of C",
                     property as NSString, emit[emit.count / 2], emit.last!, NativeLibrary.firstLevel as NSString,
                     build[build.count / 2], build.last!, bytes))
    }
}

/// 50 disjoint VMAs of 1–7 pages, 1–5 pages apart with a 4 MiB hole every ninth, the last a stack.
func fiftyVMAs() -> Layout {
    var vmas: [VMA] = []
    var addr: UInt64 = 0x7fff_0000_0000
    for i in 0..<50 {
        let len = UInt64(1 + i % 7) * 0x1000
        vmas.append(VMA(start: addr, end: addr + len, flags: i == 49 ? 0x100 : 0))
        addr += len + UInt64(1 + i % 5) * 0x1000 + (i % 9 == 0 ? 0x40_0000 : 0)
    }
    return Layout(vmas: vmas)
}

/// Unbuffered, so a long campaign shows its rows as they come.
func say(_ s: String) { FileHandle.standardOutput.write(Data((s + "\n").utf8)) }

/// The seeded-bug campaign: time to the first counterexample per mutant and engine.
func benchMutants(fuzzSeconds: Double, checkSeconds: Double, only: String?) throws {
    let root = repoPath("")
    let mutants = try MutantCampaign.load(root: root).filter { only == nil || $0.id == only }
    let clean = try MutantCampaign.materialize(root: root, mutant: nil)
    say("baseline (unmodified models), same budgets:")
    for p in Set(mutants.map(\.property)).sorted() {
        let f = try MutantCampaign.fuzz(spec: clean, property: p, seconds: fuzzSeconds)
        let c = try MutantCampaign.check(spec: clean, property: p, seconds: checkSeconds)
        say(String(format: "  %-28@ fuzzer %@ (%d runs)   model checker %@ (%d runs)", p as NSString,
                     (f.found ? "FAILS \(f.failure ?? "")" : "holds") as NSString, f.runs, (c.found ? "FAILS \(c.failure ?? "")" : "holds") as NSString, c.runs))
    }
    say("| mutant | bug | property | fuzzer | model checker |")
    say("|---|---|---|---|---|")
    var missed = 0
    for m in mutants {
        let spec = try MutantCampaign.materialize(root: root, mutant: m)
        let f = try MutantCampaign.fuzz(spec: spec, property: m.property, seconds: fuzzSeconds)
        let c = try MutantCampaign.check(spec: spec, property: m.property, seconds: checkSeconds)
        let cell = { (o: MutantCampaign.EngineRun) in o.found ? String(format: "%.1f ms (%d runs)", o.seconds * 1000, o.runs) : String(format: "not found (%d runs)", o.runs) }
        if !f.found || !c.found { missed += 1 }
        say("| \(m.id) | \(m.bug) | \(m.property) | \(cell(f)) | \(cell(c)) |")
    }
    say("\(mutants.count) mutants, \(missed) missed by an engine (fuzz budget \(fuzzSeconds) s, check budget \(checkSeconds) s)")
}

/// The fuzzer's runs to each seeded bug over seeds 1...N (generator changes are judged by these,
/// not by one seed's luck).
func benchMutantSeeds(seeds: Int, only: String?) throws {
    let root = repoPath("")
    let mutants = try MutantCampaign.load(root: root).filter { only == nil || $0.id == only }
    say("| mutant | property | mean runs | median | max | not found |")
    say("|---|---|---|---|---|---|")
    var total = 0.0
    for m in mutants {
        let spec = try MutantCampaign.materialize(root: root, mutant: m)
        var runs: [Int] = []
        var missed = 0
        for s in 1...seeds {
            let f = try MutantCampaign.fuzz(spec: spec, property: m.property, seconds: 2, seed: UInt64(s))
            if f.found { runs.append(f.runs) } else { missed += 1 }
        }
        runs.sort()
        let mean = runs.isEmpty ? 0 : Double(runs.reduce(0, +)) / Double(runs.count)
        total += mean
        say("| \(m.id) | \(m.property) | \(Int(mean)) | \(runs.isEmpty ? 0 : runs[runs.count / 2]) | \(runs.last ?? 0) | \(missed) |")
    }
    say("sum of means: \(Int(total)) runs (\(seeds) seeds each)")
}

/// The prover at 64 bits on the seeded bugs whose property reads the layout: time to the verdict
/// (issue 10 asks for a replayed counterexample of ≤ 4 VMAs within 1 s each).
func benchMutantsProver(seconds: Double, vmas: Int, only: String?) throws {
    let root = repoPath("")
    let layoutProperties: Set<String> = ["placement_avoids_vmas", "free_hint_is_returned", "anon_placed_when_room",
                                         "noreplace_never_overlaps", "thp_topdown_abuts", "shadow_stack_keeps_gap", "placement_valid"]
    let mutants = try MutantCampaign.load(root: root).filter { (only == nil || $0.id == only) && layoutProperties.contains($0.property) }
    say("| mutant | property | prover (x86_64, layouts ≤ \(vmas) VMAs, unwind 4, \(Int(seconds)) s) | first replayed counterexample | its layout |")
    say("|---|---|---|---|---|")
    for m in mutants {
        let spec = try MutantCampaign.materialize(root: root, mutant: m)
        let r = try MutantCampaign.prove(spec: spec, property: m.property, seconds: seconds, vmas: vmas)
        let first = r.first.map { String(format: "%.2f s", $0) } ?? "—"
        say("| \(m.id) | \(m.property) | \(r.verdict), \(String(format: "%.1f", r.seconds)) s | \(first) | \(r.layoutVMAs.map { $0 == 1 ? "1 VMA" : "\($0) VMAs" } ?? "—") |")
    }
}

/// The functions of the campaign that docs/mutate.md reports and specs/properties/survivors.txt
/// reviews: THP alignment, and the guard gaps and window ends every placement goes through.
let campaignFunctions = ["__thp_get_unmapped_area", "vm_start_gap", "vm_end_gap", "stack_guard_start_gap",
                         "find_start", "find_end", "generic_hint_fits"]

/// The mutation campaign of docs/mutate.md (its functions, the bundled properties as oracles, the
/// reviewed survivors), on `jobs` cores: time, mutants per minute, and the score.
func benchMutate(jobs: Int, shard: (Int, Int)) throws {
    var o = MutationOptions()
    o.functions = Set(campaignFunctions)
    o.proverResources = 10_000_000
    o.shard = shard
    let specs = try SpecLoader.specFiles(in: [repoPath("specs/properties")])
    let campaign = try MutationCampaign(models: repoPath("specs/kernel/v6.18"), specs: specs, options: o)
    let planned = campaign.planned
    let start = ContinuousClock.now
    var results: [MutantResult] = []
    try InOrderRunner<Result<MutantResult, Error>>().run(
        count: planned.count, workers: jobs, shouldStop: { false },
        work: { _, i in Result { try campaign.run(planned[i]) } },
        emit: { _, outcome in if let r = try outcome?.get() { results.append(r) } })
    let secs = (ContinuousClock.now - start).seconds
    var summary = MutationSummary(models: "specs/kernel/v6.18", specs: specs, oracles: campaign.oracles.map(\.item.property.name),
                                  functions: campaign.targets, results: results, seconds: secs, interrupted: false)
    let stale = try Explanations(file: repoPath("specs/properties/survivors.txt")).apply(to: &summary.results)
    say("mutate: \(summary.results.count) mutants of \(campaign.targets.count) functions, \(campaign.oracles.count) oracles, \(jobs) jobs: \(String(format: "%.0f", secs)) s (\(String(format: "%.1f", Double(summary.results.count) / secs * 60)) mutants/min)")
    say("  killed \(summary.count(.killed)), survived \(summary.count(.survived)) (unexplained \(summary.unexplained.count)), equivalent \(summary.count(.equivalent)), not run \(summary.count(.notRun)); score \(String(format: "%.1f", summary.score)) %; engine disagreements \(summary.disagreements.count)")
    for p in stale { say("  stale explanation: \(p)") }
}

let args = CommandLine.arguments.dropFirst()
let what = args.first ?? "all"
do {
    switch what {
    case "lemma": try benchLemma(iterations: 15)
    case "eval": try benchEval(runs: 1_000_000)
    case "gaps": benchGaps()
    case "build": try benchBuild(iterations: Int(args.dropFirst().first ?? "") ?? 50)
    case "place": try benchPlacement(runs: Int(args.dropFirst().first ?? "") ?? 20_000)
    case "fuzz":
        let which = args.dropFirst(2).first
        try benchFuzz(runs: Int(args.dropFirst().first ?? "") ?? 300_000, engines: which == "compiled" ? [true] : which == "interpreted" ? [false] : [false, true])
    case "mutants":
        let rest = Array(args.dropFirst())
        try benchMutants(fuzzSeconds: Double(rest.first ?? "") ?? 20, checkSeconds: Double(rest.dropFirst().first ?? "") ?? 30,
                         only: rest.dropFirst(2).first)
    case "mutant-seeds":
        let rest = Array(args.dropFirst())
        try benchMutantSeeds(seeds: Int(rest.first ?? "") ?? 10, only: rest.dropFirst().first)
    case "mutate":
        let rest = Array(args.dropFirst())
        let shard = (rest.dropFirst().first ?? "0/1").split(separator: "/").compactMap { Int($0) }
        try benchMutate(jobs: Int(rest.first ?? "") ?? 2, shard: shard.count == 2 ? (shard[0], shard[1]) : (0, 1))
    case "mutants-prover":
        let rest = Array(args.dropFirst())
        try benchMutantsProver(seconds: Double(rest.first ?? "") ?? 30, vmas: Int(rest.dropFirst().first ?? "") ?? 2, only: rest.dropFirst(2).first)
    case "layout":
        try benchLayout(runs: Int(args.dropFirst().first ?? "") ?? 3, only: args.dropFirst(2).first)
    case "contracts":
        try benchContracts(seconds: Double(args.dropFirst().first ?? "") ?? 60, only: args.dropFirst(2).first)
    case "suite":
        let rest = Array(args.dropFirst())
        let which = rest.dropFirst().first.flatMap(SolverChoice.init(rawValue:))
        try benchSuite(jobs: Int(rest.first ?? "") ?? 2, solvers: which.map { [$0] } ?? [.z3, .auto])
    case "all":
        try benchLemma(iterations: 15)
        try benchEval(runs: 1_000_000)
        benchGaps()
        try benchPlacement(runs: 20_000)
    default:
        FileHandle.standardError.write(Data("usage: hugealign-bench [lemma|eval|gaps|build [N]|place|fuzz [RUNS [compiled|interpreted]]|mutants [FUZZ_S CHECK_S [ID]]|mutant-seeds [SEEDS [ID]]|mutants-prover [SECONDS [VMAS [ID]]]|suite [JOBS [z3|auto]]|contracts [SECONDS [SPEC]]|layout [RUNS [PROPERTY]]|mutate [JOBS [I/N]]|all]\n".utf8))
        exit(1)
    }
} catch {
    FileHandle.standardError.write(Data("hugealign-bench: \(error)\n".utf8))
    exit(2)
}

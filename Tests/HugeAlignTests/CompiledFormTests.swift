import Compiled
@testable import Engines
import hugealign_bench
import Foundation
import KernelC
import Placement
import Semantics
import Testing

/// The compiled form (C through the system compiler) against the evaluator it renders: the same
/// results, the same first failing obligation, the same coverage bits and the same leading-assumption
/// answers, on random programs and on every bundled property. Skipped without a C compiler.
@Suite(.enabled(if: NativeLibrary.compiler != nil, "no C compiler: the compiled form is not built"))
struct CompiledFormTests {
    /// Random expression functions (`CrossValidationTests.Generator`), many to one program so that one
    /// compile covers them; each called on edge and random inputs in both forms.
    @Test(arguments: 0..<4)
    func randomProgramsAgree(modelIndex: Int) throws {
        try Self.randomProgramsAgree(modelIndex: modelIndex, optimisation: NativeLibrary.optimisation)
    }

    static func randomProgramsAgree(modelIndex: Int, optimisation: String) throws {
        let (label, model) = CrossValidationTests.models[modelIndex]
        var gen = CrossValidationTests.Generator(rng: SplitMix64(seed: 0xC0DE + UInt64(modelIndex)), model: model)
        var text = ""
        for n in 0..<150 {
            text += gen.function().replacingOccurrences(of: "unsigned long long f(", with: "unsigned long long f\(n)(") + "\n"
        }
        let program = try SpecLoader.load(text: text, model: model).program
        let compiled = try CompiledProgram(program: program, config: .x86_64, unwind: 1, optimisation: optimisation)
        let run = CompiledRunContext(compiled)
        let evaluator = try Evaluator(program: program, config: .x86_64, domain: ConcreteDomain(), unwind: 1)
        let empty = IndexedAddressSpace(.empty)
        var compared = 0, failures = 0
        for (i, fn) in program.functions.enumerated() {
            #expect(compiled.hasFunction(i), "[\(label)] f\(i) has no compiled entry")
            guard compiled.hasFunction(i) else { continue }
            for _ in 0..<12 {
                var raw: [UInt64] = []
                var args: [Value<ConcreteDomain>] = []
                for p in fn.parameters {
                    let r = gen.rng.next()
                    if p.type == .bool { raw.append(r & 1); args.append(.truth(r & 1 == 1)); continue }
                    let w = evaluator.width(p.type)
                    let edges: [UInt64] = [0, 1, 2, .max, 1 << UInt64(w - 1), (1 << UInt64(w - 1)) &- 1, 12, 63, 64]
                    let v = (r % 3 == 0 ? r : edges[Int(r % UInt64(edges.count))]) & ConcreteDomain.mask(w)
                    raw.append(v)
                    args.append(.word(v))
                }
                let (value, trace) = evaluator.call(fn, arguments: args)
                let (outcome, result) = run.callFunction(i, raw, in: empty)
                guard case .word(let expected)? = value else { Issue.record("[\(label)] f\(i): no result"); continue }
                #expect(result == expected, "[\(label)] f\(i)\(raw): compiled \(result), evaluator \(expected)")
                let first = trace.obligations.first { $0.violated }
                switch outcome {
                case .failed(let site):
                    failures += 1
                    #expect(first.map { "\($0.kind)@\($0.location)" } == "\(compiled.sites[site].kind)@\(compiled.sites[site].location)",
                            "[\(label)] f\(i)\(raw): first failure differs")
                default:
                    #expect(first == nil, "[\(label)] f\(i)\(raw): the evaluator fails \(first.map { "\($0.kind)" } ?? ""), the compiled form does not")
                }
                compared += 1
            }
        }
        #expect(compared == 1800)
        // The sample must exercise the checks, or agreeing on them says nothing.
        #expect(failures > 20, "[\(label)] only \(failures) failing calls")
    }

    static let specFiles = ["specs/properties/placement.spec", "specs/properties/vm_unmapped_area.spec", "specs/properties/configs.spec",
                            "specs/seed/io_uring.spec", "specs/seed/mapping_order.spec", "specs/seed/arena.spec", "specs/seed/vfio.spec",
                            "specs/seed/pgoff_vs_pa.spec", "specs/examples/c_subset.spec", "specs/examples/thp_alignment_lemma.spec",
                            "mutants/properties.spec"]

    /// Every bundled property compiles, and its compiled runs say what the evaluator's say: the
    /// outcome and first failure, the coverage bits of runs that pass the assumptions, and each
    /// parameter's leading assumptions.
    @Test(arguments: specFiles)
    func bundledPropertiesAgree(file: String) throws {
        try Self.bundledPropertiesAgree(file: file, optimisation: NativeLibrary.optimisation)
    }

    static func bundledPropertiesAgree(file: String, optimisation: String) throws {
        let plan = try SpecPlan(file: Paths.repo(file), defaultConfig: .x86_64)
        var seen = Set<String>()
        var outcomes: [String: Int] = [:]
        for item in plan.items {
            let interpreted = try ConcreteRunner(program: item.program, property: item.property, config: item.config)
            let compiled = try ConcreteRunner(program: item.program, property: item.property, config: item.config)
            compiled.adopt(try CompiledProgram(program: item.program, config: item.config, unwind: compiled.unwind, optimisation: optimisation))
            #expect(compiled.isCompiled, "\(item.property.name): \(compiled.interpretedBecause ?? "")")
            guard compiled.isCompiled else { continue }
            let slow = CoverageMap(), fast = CoverageMap()
            interpreted.coverage = slow
            compiled.coverage = fast
            let vocabulary = Vocabulary(config: item.config)
            let inputs = InputGenerator(parameters: interpreted.parameters, vocabulary: vocabulary)
            let layouts = LayoutGenerator(vocabulary: vocabulary, seeds: [])
            let guide = AssumptionGuide(runner: interpreted, vocabulary: vocabulary)
            var rng = DeterministicRandom(seed: UInt64(item.property.name.utf8.count) &* 977)
            let bound = item.property.anyLayout ? 6 : item.property.layoutVMAs ?? 6
            for n in 0..<150 {
                let focus = rng.pick(vocabulary.focusLengths)
                let layout = LayoutGenerator.window(of: layouts.generate(&rng, focus: focus), atMost: item.program.usesLayout ? bound : 0, &rng)
                let values = n % 2 == 0 ? inputs.generate(&rng, layout: layout, focus: focus)
                    : guide.generate(count: interpreted.parameters.count) { inputs.value($0, &rng, layout: layout, focus: focus) }
                let space = IndexedAddressSpace(layout)
                slow.reset(); fast.reset()
                let a = interpreted.run(values, in: space), b = compiled.run(values, in: space)
                #expect(a == b, "\(item.property.name) \(values) on \(layout.vmas): evaluator \(a), compiled \(b)")
                outcomes["\(a)".prefix(6).description, default: 0] += 1
                if a != .vacuous {
                    #expect(Set(slow.currentIndices) == Set(fast.currentIndices), "\(item.property.name) \(values): coverage differs")
                }
                for i in values.indices {
                    #expect(interpreted.holdsAll(interpreted.leading.checks[i], values, locals: interpreted.leading.locals)
                            == compiled.holdsAll(compiled.leading.checks[i], values, locals: compiled.leading.locals),
                            "\(item.property.name) \(values): leading assumptions of parameter \(i) differ")
                }
            }
            seen.insert(item.property.name)
        }
        #expect(!seen.isEmpty)
        // Both kinds of runs were compared, not only vacuous ones.
        #expect(outcomes["passed", default: 0] + outcomes["failed", default: 0] > 0, "\(file): \(outcomes)")
    }

    /// The bench's native yardstick builds and runs with the compiled form's ABI (it once overran
    /// a context array that the ABI had outgrown) and checks placements, not only vacuous runs.
    @Test(arguments: ["thp_congruent", "placement_avoids_vmas"])
    func nativeYardstickRuns(property: String) throws {
        let r = try NativeBaseline.run(spec: Paths.repo("mutants/properties.spec"), property: property, iterations: 2_000)
        #expect(r.checks > 1_000, "\(property): \(r.checks) checks, \(r.vacuous) vacuous")
        #expect(r.failed == 0, "\(property) holds on the unmodified models")
    }

    /// A compile nobody waits for is stopped, compiler proper included: a campaign that ends
    /// early must not leave `cc -O2` running for a second on a core the next campaign needs.
    /// (With the compiler started under setsid(1), which forks when given a group leader, the stop
    /// missed it and the build ran to the end: this load returned an object.)
    @Test func stoppedCompileEnds() throws {
        // A unit no cache holds, slow enough at -O2 (hundreds of milliseconds) for the stop to come first.
        var source = "/* \(UInt64.random(in: 0 ... .max)) */\n"
        for i in 0..<400 {
            source += "unsigned long long g\(i)(unsigned long long x) { for (int k = 0; k < 64; k++) x = x * \(i + 3) + (x >> \(i % 61 + 1)) + k; return x; }\n"
        }
        let stopped = DispatchSemaphore(value: 0)
        let result = Result {
            try NativeLibrary.load(source: source, optimisation: "-O2") { p in
                DispatchQueue.global().asyncAfter(deadline: .now() + 0.05) { p.stop(); stopped.signal() }
            }
        }
        stopped.wait()
        guard case .failure(let error) = result else {
            Issue.record("the stopped compile ran to the end and was loaded")
            return
        }
        #expect("\(error)".contains("was stopped"), "\(error)")
    }

    /// A campaign does the same runs whatever the engine: the compiled form is adopted when its
    /// compile ends (at whichever run that is), and the outcomes and coverage it gives are the
    /// evaluator's, so the same seed gives the same corpus, coverage and counterexample.
    @Test func campaignsAreTheSameCompiledOrNot() throws {
        let root = Paths.root
        let mutant = try #require(try MutantCampaign.load(root: root).first { $0.id == "vma-topdown-guard-test" })
        for (spec, property, runs) in [(Paths.repo("mutants/properties.spec"), "thp_congruent", 30_000),
                                       (try MutantCampaign.materialize(root: root, mutant: mutant), mutant.property, 200_000)] {
            let item = try #require(try SpecPlan(file: spec, defaultConfig: .x86_64, only: property).items.first)
            // Interpreted; compiled from the first run; and compiled when ready (auto).
            var results: [FuzzResult] = []
            for compiled in [false, true, nil] as [Bool?] {
                var o = FuzzOptions()
                o.runs = runs
                o.compiled = compiled
                results.append(try Fuzzer(program: item.program, property: item.property, config: item.config, options: o).run())
            }
            let a = results[0]
            #expect(!a.compiled && results[1].compiled, "\(property): \(results[1].interpretedBecause ?? "")")
            for b in results.dropFirst() {
                #expect(a.stats.runs == b.stats.runs && a.stats.vacuous == b.stats.vacuous && a.stats.coverage == b.stats.coverage
                        && a.stats.corpus == b.stats.corpus, "\(property): \(a.stats) vs \(b.stats)")
                #expect(a.failing == b.failing && a.foundBy?.run == b.foundBy?.run, "\(property): \(String(describing: a.failing)) vs \(String(describing: b.failing))")
            }
            if property == mutant.property { #expect(a.failing != nil, "the seeded bug is found") }
        }
    }
}

/// The quick build (`NativeLibrary.quick`: tcc, the first object a campaign adopts) against the
/// evaluator, as `CompiledFormTests` does for the optimised one: another compiler may read the C
/// differently. Skipped without tcc.
@Suite(.enabled(if: NativeLibrary.quickCompiler != nil, "no quick compiler (tcc): campaigns start with cc -O0"))
struct QuickBuildTests {
    @Test(arguments: 0..<4)
    func randomProgramsAgree(modelIndex: Int) throws {
        try CompiledFormTests.randomProgramsAgree(modelIndex: modelIndex, optimisation: NativeLibrary.quick)
    }

    @Test(arguments: CompiledFormTests.specFiles)
    func bundledPropertiesAgree(file: String) throws {
        try CompiledFormTests.bundledPropertiesAgree(file: file, optimisation: NativeLibrary.quick)
    }
}

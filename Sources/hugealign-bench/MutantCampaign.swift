import Compiled
import Engines
import Foundation
import KernelC
import Placement

/// The seeded-bug campaign (mutants/mutants.json): each mutant is one textual change to a copy of
/// the kernel models; both search engines run the property that should see it, and the time to the
/// first counterexample is measured. The unmodified models are run the same way first: a property
/// that fails there is wrong, not the models.
public struct Mutant: Codable, Sendable {
    public var id: String
    public var bug: String
    public var file: String
    public var find: String
    public var replace: String
    public var property: String
}

public enum MutantCampaign {
    /// One engine's run on one mutant.
    public struct EngineRun: Sendable {
        public var engine: Finding.Engine
        public var found: Bool
        public var seconds: Double
        public var runs: Int
        public var failure: String?
    }

    public static func load(root: String) throws -> [Mutant] {
        let path = (root as NSString).appendingPathComponent("mutants/mutants.json")
        guard let data = FileManager.default.contents(atPath: path) else { throw InputError(file: path, line: 0, message: "cannot read", text: "") }
        return try JSONDecoder().decode([Mutant].self, from: data)
    }

    /// A copy of specs/kernel/v6.18, the properties' guards.h and mutants/properties.spec under a fresh folder, with the
    /// mutant applied (nil: unmodified); returns the properties file's path.
    public static func materialize(root: String, mutant: Mutant?) throws -> String {
        let fm = FileManager.default
        let dir = NSTemporaryDirectory() + "hugealign-mutant-\(getpid())-\(mutant?.id ?? "none")"
        try? fm.removeItem(atPath: dir)
        let kernel = dir + "/specs/kernel/v6.18"
        try fm.createDirectory(atPath: kernel, withIntermediateDirectories: true)
        try fm.createDirectory(atPath: dir + "/mutants", withIntermediateDirectories: true)
        let source = (root as NSString).appendingPathComponent("specs/kernel/v6.18")
        for name in try fm.contentsOfDirectory(atPath: source) where name.hasSuffix(".spec") {
            var text = try String(contentsOfFile: source + "/" + name, encoding: .utf8)
            if let m = mutant, m.file == name {
                guard text.components(separatedBy: m.find).count == 2 else {
                    throw InputError(file: name, line: 0, message: "mutant \(m.id): the text to replace is not there exactly once", text: m.find)
                }
                text = text.replacingOccurrences(of: m.find, with: m.replace)
            }
            try text.write(toFile: kernel + "/" + name, atomically: true, encoding: .utf8)
        }
        try fm.createDirectory(atPath: dir + "/specs/properties", withIntermediateDirectories: true)
        try fm.copyItem(atPath: (root as NSString).appendingPathComponent("specs/properties/guards.h"), toPath: dir + "/specs/properties/guards.h")
        let props = dir + "/mutants/properties.spec"
        try fm.copyItem(atPath: (root as NSString).appendingPathComponent("mutants/properties.spec"), toPath: props)
        return props
    }

    /// Fuzzes `property` of the spec in x86_64 with a time limit.
    public static func fuzz(spec: String, property: String, seconds: Double, seed: UInt64 = 1, runs: Int? = nil) throws -> EngineRun {
        let plan = try SpecPlan(file: spec, defaultConfig: .x86_64, only: property)
        guard let item = plan.items.first else { throw InputError(file: spec, line: 0, message: "no property \(property)", text: "") }
        // Timed from an idle start: the previous campaign's compile may still be emitting.
        CompiledProgramFuture.waitUntilIdle()
        var o = FuzzOptions()
        o.seed = seed
        o.runs = runs
        o.seconds = seconds
        let r = try Fuzzer(program: item.program, property: item.property, config: item.config, options: o).run()
        let failure = r.failing.flatMap { c -> String? in
            let runner = try? ConcreteRunner(program: item.program, property: item.property, config: item.config)
            if case .failed(let at)? = runner?.run(c) { return at }
            return nil
        }
        return EngineRun(engine: .fuzzer, found: r.failing != nil, seconds: r.secondsToFirst ?? r.stats.seconds, runs: r.stats.runs, failure: failure)
    }

    /// Proves `property` at 64 bits (x86_64) over symbolic layouts of at most `vmas` VMAs, loops
    /// unwound `unwind` times, with a time limit and no minimisation: how long the prover takes
    /// to refute the seeded bug (or that it does not within the limit).
    public static func prove(spec: String, property: String, seconds: Double, vmas: Int = 2, unwind: Int = 4) throws -> (verdict: String, seconds: Double, first: Double?, layoutVMAs: Int?) {
        // The campaign's properties say `unwind 1000` for the concrete engines; the prover gets a bound.
        let text = try String(contentsOfFile: spec, encoding: .utf8)
            .replacingOccurrences(of: "unwind 1000", with: "config x86_64 layout vmas <= \(vmas) unwind \(unwind)")
        let bounded = (spec as NSString).deletingPathExtension + "-prover.spec"
        try text.write(toFile: bounded, atomically: true, encoding: .utf8)
        let unit = try SpecLoader.load(path: bounded)
        guard let p = unit.program.property(named: property) else { throw InputError(file: spec, line: 0, message: "no property \(property)", text: "") }
        final class First: @unchecked Sendable { var seconds: Double? }
        let first = First()
        var options = ProverOptions(config: .x86_64, timeoutSeconds: seconds, minimizationBudget: 0)
        let start = ContinuousClock.now
        options.onFirstCounterexample = { _, _ in first.seconds = first.seconds ?? (ContinuousClock.now - start).seconds }
        let r = try Prover(options: options).prove(p, in: unit.program, file: bounded)
        var vmasSeen: Int?
        if case .counterexample(let c) = r.verdict { vmasSeen = c.layout?.count ?? 0 }
        return (r.verdict.kind.rawValue, (ContinuousClock.now - start).seconds, first.seconds, vmasSeen)
    }

    /// Model-checks `property` in scaled8-x86 (layouts of up to `vmas` VMAs) with a time limit.
    public static func check(spec: String, property: String, seconds: Double, vmas: Int = 1) throws -> EngineRun {
        let config = Config.named("scaled8-x86")!
        let plan = try SpecPlan(file: spec, defaultConfig: config, only: property)
        guard let item = plan.items.first else { throw InputError(file: spec, line: 0, message: "no property \(property)", text: "") }
        CompiledProgramFuture.waitUntilIdle()
        var o = CheckOptions()
        o.vmas = vmas
        let checker = try ModelChecker(program: item.program, property: item.property, config: item.config, options: o)
        let timer = DispatchSource.makeTimerSource(queue: .global())
        timer.schedule(deadline: .now() + seconds)
        timer.setEventHandler { checker.stop() }
        timer.resume()
        defer { timer.cancel() }
        let r = try checker.run()
        let failure = r.failing.flatMap { c -> String? in
            let runner = try? ConcreteRunner(program: item.program, property: item.property, config: item.config)
            if case .failed(let at)? = runner?.run(c) { return at }
            return nil
        }
        return EngineRun(engine: .modelChecker, found: r.failing != nil, seconds: r.secondsToFirst ?? r.stats.seconds, runs: r.stats.runs, failure: failure)
    }
}

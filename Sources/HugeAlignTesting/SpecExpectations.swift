import Engines
import Foundation
import KernelC
import Placement
import Reports
import Testing

/// Helpers for Swift Testing targets that check placement specs.
///
///     @Test func thpSpecs() throws {
///         try expectVerdicts(inSpec: "specs/kernel/thp.spec")
///     }
///
/// A failure is recorded with the verdict line, the counterexample values and the failed assertion.
public enum HugeAlignTesting {
    /// Proves every property of a spec file (or the one named), returning the results. The budget
    /// counts Z3's resource units (`ProverOptions.deterministic`), so a test's verdicts do not
    /// depend on how busy the machine is.
    public static func prove(spec path: String, property: String? = nil, config: Config = .x86_64,
                             options: ProverOptions? = nil) throws -> [PropertyResult] {
        let plan = try SpecPlan(file: path, defaultConfig: config, only: property)
        let prover = Prover(options: options ?? .deterministic(config: config))
        return try plan.items.map { try prover.prove($0, file: path) }
    }

    /// The verdict line and counterexample as the CLI prints them.
    public static func describe(_ r: PropertyResult) -> String {
        let d = TextReport.details(r)
        return "\(r.file): " + TextReport.line(r) + (d.isEmpty ? "" : "\n" + d)
    }
}

/// Records an issue for every property whose verdict differs from its `// expect:` comment, and for
/// any property without one (a suite must say what it expects).
@discardableResult
public func expectVerdicts(inSpec path: String, config: Config = .x86_64, requireAnnotations: Bool = true,
                           sourceLocation: Testing.SourceLocation = #_sourceLocation) throws -> [PropertyResult] {
    let results = try HugeAlignTesting.prove(spec: path, config: config)
    for r in results {
        if r.expected == nil && requireAnnotations {
            Issue.record("property \(r.property) in \(path) has no '// expect:' annotation", sourceLocation: sourceLocation)
        } else if !r.matchesExpectation {
            Issue.record("verdict differs from '// expect: \(r.expected!.rawValue)':\n\(HugeAlignTesting.describe(r))", sourceLocation: sourceLocation)
        }
    }
    return results
}

/// The one named property's result, or an issue when the spec has no such property.
func single(_ path: String, _ property: String, _ config: Config, _ sourceLocation: Testing.SourceLocation) throws -> PropertyResult? {
    guard let r = try HugeAlignTesting.prove(spec: path, property: property, config: config).first else {
        Issue.record("no property named \(property) in \(path)", sourceLocation: sourceLocation)
        return nil
    }
    return r
}

/// Expects one property to be proved; a counterexample is shown in the failure.
@discardableResult
public func expectProved(inSpec path: String, property: String, config: Config = .x86_64,
                         sourceLocation: Testing.SourceLocation = #_sourceLocation) throws -> PropertyResult? {
    guard let r = try single(path, property, config, sourceLocation) else { return nil }
    if case .proved(false) = r.verdict { return r }
    Issue.record("expected \(property) to be proved:\n\(HugeAlignTesting.describe(r))", sourceLocation: sourceLocation)
    return r
}

/// Expects a property to be refuted, and returns the replayed counterexample.
@discardableResult
public func expectCounterexample(inSpec path: String, property: String, config: Config = .x86_64,
                                 sourceLocation: Testing.SourceLocation = #_sourceLocation) throws -> Counterexample? {
    guard let r = try single(path, property, config, sourceLocation) else { return nil }
    if case .counterexample(let c) = r.verdict { return c }
    Issue.record("expected a counterexample for \(property):\n\(HugeAlignTesting.describe(r))", sourceLocation: sourceLocation)
    return nil
}

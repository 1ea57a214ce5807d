import Engines
import Foundation

/// One property's result as CI systems see it, whichever engine produced it: passed, failed (a
/// counterexample, or a verdict other than the expected one), error (unknown, internal error) or
/// skipped. SARIF and JUnit are written from these.
public struct CheckRecord: Sendable {
    public enum Status: String, Sendable { case passed, failed, error }

    public var file: String
    public var property: String
    public var engine: Finding.Engine
    public var status: Status
    /// The verdict in words ("proved", "counterexample", "no counterexample (exhausted)", …).
    public var summary: String
    public var seconds: Double
    public var bounds: String
    /// Where the counterexample fails (the first failed obligation), when there is one.
    public var failure: Failure?
    /// The full text report for people (counterexample, picture), when there is one.
    public var details: String

    public init(file: String, property: String, engine: Finding.Engine, status: Status, summary: String, seconds: Double,
                bounds: String, failure: Failure? = nil, details: String = "") {
        self.file = file
        self.property = property
        self.engine = engine
        self.status = status
        self.summary = summary
        self.seconds = seconds
        self.bounds = bounds
        self.failure = failure
        self.details = details
    }

    /// A prover result. With `expectations`, a verdict equal to its `// expect:` passes (a
    /// deliberate counterexample is not a CI failure); without, a counterexample fails.
    public init(_ r: PropertyResult, expectations: Bool) {
        let status: Status
        switch r.verdict.kind {
        case .proved: status = expectations && !r.matchesExpectation ? .failed : .passed
        case .counterexample: status = expectations && r.matchesExpectation ? .passed : .failed
        case .unknown: status = expectations && r.matchesExpectation ? .passed : .error
        case .internalError: status = .error
        }
        var failure: Failure?
        if case .counterexample(let c) = r.verdict { failure = c.failures.first }
        let detail = TextReport.details(r)
        self.init(file: r.file, property: r.property, engine: .prover, status: status, summary: TextReport.verdictWords(r),
                  seconds: r.seconds, bounds: r.bounds.description, failure: failure, details: detail)
    }

    /// `path:line:col` of the failure, split (the path may itself contain colons).
    var failureLocation: (path: String, line: Int, column: Int)? {
        guard let loc = failure?.location else { return nil }
        let parts = loc.split(separator: ":", omittingEmptySubsequences: false)
        guard parts.count >= 3, let line = Int(parts[parts.count - 2]), let col = Int(parts[parts.count - 1]) else { return nil }
        return (parts.dropLast(2).joined(separator: ":"), line, col)
    }
}

import Engines
import Foundation

/// The machine-readable form of prover results. `version` changes when fields change meaning.
public struct JSONReport: Codable, Sendable {
    public static let schemaVersion = 1

    public struct Entry: Codable, Sendable {
        public var file: String
        public var property: String
        public var verdict: String
        public var vacuous: Bool?
        public var reason: String?
        public var bounds: Bounds
        public var seconds: Double
        public var expected: String?
        public var asExpected: Bool
        public var counterexample: Counterexample?
        /// "proof" or "model" when Bitwuzla gave the proof or the counterexample's model (the
        /// solver portfolio, docs/verdicts.md); absent when Z3 decided alone.
        public var bitwuzla: String?
        /// "proof" when a newer Z3 than the linked one (pip's `z3-solver`) gave part of the proof.
        public var newerZ3: String?
    }

    public var version: Int
    public var tool: String
    public var results: [Entry]
    public var diagnostics: [String]

    public init(results: [PropertyResult], diagnostics: [String]) {
        version = JSONReport.schemaVersion
        tool = "hugealign"
        self.diagnostics = diagnostics
        self.results = results.map { r in
            var e = Entry(file: r.file, property: r.property, verdict: r.verdict.name, vacuous: nil, reason: nil, bounds: r.bounds,
                          seconds: (r.seconds * 1e6).rounded() / 1e6, expected: r.expected?.rawValue, asExpected: r.matchesExpectation,
                          counterexample: nil)
            switch r.verdict {
            case .proved(let v): e.vacuous = v
            case .counterexample(let c): e.counterexample = c
            case .unknown(let reason): e.reason = reason
            case .internalError(let m): e.reason = m
            }
            e.bitwuzla = r.bitwuzlaModels > 0 ? "model" : r.bitwuzlaProofs > 0 && r.verdict.kind == .proved ? "proof" : nil
            e.newerZ3 = r.newerZ3Proofs > 0 && r.verdict.kind == .proved ? "proof" : nil
            return e
        }
    }

    public func encoded() throws -> String {
        let enc = JSONEncoder()
        enc.outputFormatting = [.prettyPrinted, .sortedKeys]
        return String(decoding: try enc.encode(self), as: UTF8.self)
    }
}

import Engines
import Foundation

/// Human-readable verdict lines: one per property, with counterexample values under it.
public enum TextReport {
    public static func line(_ r: PropertyResult, nameWidth: Int = 32) -> String {
        let name = r.property.padding(toLength: max(nameWidth, r.property.count), withPad: " ", startingAt: 0)
        let verdict = verdictWords(r)
        let column = verdict.count >= 16 ? verdict : verdict.padding(toLength: 16, withPad: " ", startingAt: 0)
        var out = "\(name)  \(column)  \(String(format: "%7.3fs", r.seconds))  [\(r.bounds)]"
        if let e = r.expected {
            out += r.matchesExpectation ? "  (expected)" : "  (EXPECTED \(e.rawValue))"
        }
        return out
    }

    /// The verdict as the line shows it: `proved`, `proved (VACUOUS)`, `counterexample`,
    /// `unknown (timeout)`, `INTERNAL ERROR`.
    public static func verdictWords(_ r: PropertyResult) -> String {
        switch r.verdict {
        case .proved(let vacuous): return vacuous ? "proved (VACUOUS)" : "proved"
        case .counterexample: return "counterexample"
        case .unknown(let reason): return "unknown (\(reason))"
        case .internalError: return "INTERNAL ERROR"
        }
    }

    /// The detail printed under a verdict line (empty for a plain proof).
    public static func details(_ r: PropertyResult) -> String {
        var lines: [String] = []
        switch r.verdict {
        case .proved(true):
            lines.append("note: the assumptions are unsatisfiable, so the proof says nothing")
        case .counterexample(let c):
            let shown = c.inputs.map { i in "\(i.name) = \(i.rendered)\(i.relevant ? "" : " (any value)")" }
            lines.append("inputs:  " + (shown.isEmpty ? "(none)" : shown.joined(separator: ", ")))
            for f in c.failures {
                lines.append("failed:  \(f.kind) at \(f.location): \(f.text)")
            }
            if let layout = c.layout {
                lines.append("layout:  " + (layout.isEmpty ? "(no VMAs)" : layout.map { v in
                    "[0x\(String(v.start, radix: 16)), 0x\(String(v.end, radix: 16)))" + (v.flags == 0 ? "" : " flags 0x\(String(v.flags, radix: 16))")
                }.joined(separator: "  ")))
            }
            if !c.locals.isEmpty {
                lines.append("locals:  " + c.locals.sorted { $0.key < $1.key }.map { "\($0.key) = \($0.value)" }.joined(separator: ", "))
            }
            lines.append("replay:  the concrete evaluator reproduces the failure with these inputs")
        case .unknown(let reason):
            lines.append("note: the solver gave up (\(reason)); this is not a proof")
        case .internalError(let m):
            lines.append("internal error: \(m)")
        default: break
        }
        if let runs = r.concreteSearchRuns {
            lines.append("found:   by the concrete search before the solver (run \(runs) of the fuzzer, then shrunk), replayed as above")
        }
        if let split = r.caseSplit {
            lines.append("cases:   decided one value at a time, \(split) (every value the assumptions allow)")
        }
        return lines.map { "    " + $0 }.joined(separator: "\n")
    }

    public static func summary(_ results: [PropertyResult]) -> String {
        let count = { (k: Verdict.Kind) in results.filter { $0.verdict.kind == k }.count }
        let mismatched = results.filter { !$0.matchesExpectation }.count
        var s = "\(results.count) propert\(results.count == 1 ? "y" : "ies"): \(count(.proved)) proved, \(count(.counterexample)) counterexample\(count(.counterexample) == 1 ? "" : "s"), \(count(.unknown)) unknown"
        if count(.internalError) > 0 { s += ", \(count(.internalError)) internal errors" }
        s += mismatched == 0 ? "; all as expected" : "; \(mismatched) not as expected"
        return s
    }
}

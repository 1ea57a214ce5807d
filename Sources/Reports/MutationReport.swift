import Engines
import Foundation
import KernelC

/// The text of a mutation campaign: one line per mutant as it finishes, then the score by operator
/// and every survivor with its place in the source and what was changed.
public enum MutationReport {
    public static func line(_ r: MutantResult) -> String {
        let m = r.mutation
        var s = "  \(m.id.padding(toLength: 34, withPad: " ", startingAt: 0)) \(r.status.rawValue.padding(toLength: 10, withPad: " ", startingAt: 0)) \(m.op.rawValue.padding(toLength: 17, withPad: " ", startingAt: 0)) \(m.original)  →  \(m.mutated)"
        if let k = r.killedBy { s += "   [\(k.engine.rawValue): \(k.property)]" }
        return s
    }

    public static func summary(_ s: MutationSummary) -> String {
        var out: [String] = []
        let total = s.results.count
        out.append("\(total) mutants of \(s.functions.count) functions against \(s.oracles.count) properties: \(s.count(.killed)) killed, \(s.count(.survived)) survived\(s.count(.survived) > 0 ? " (\(s.count(.survived) - s.unexplained.count) explained)" : ""), \(s.count(.equivalent)) equivalent, \(s.count(.notRun)) not run; score \(String(format: "%.1f", s.score)) % (\(String(format: "%.1f", s.seconds)) s)\(s.interrupted ? " — INTERRUPTED, not every mutant was run" : "")")
        out.append("")
        out.append("  operator           mutants  killed  survived  equivalent")
        for op in MutationOperator.allCases {
            let rs = s.results.filter { $0.mutation.op == op }
            guard !rs.isEmpty else { continue }
            func n(_ st: MutantResult.Status) -> Int { rs.filter { $0.status == st }.count }
            out.append("  \(op.rawValue.padding(toLength: 17, withPad: " ", startingAt: 0)) \(String(rs.count).leftPad(8)) \(String(n(.killed)).leftPad(7)) \(String(n(.survived)).leftPad(9)) \(String(n(.equivalent)).leftPad(11))")
        }
        let engines = Dictionary(grouping: s.results.compactMap(\.killedBy), by: \.engine).mapValues(\.count)
        out.append("  killed by: " + Finding.Engine.allCases.map { "\($0.rawValue) \(engines[$0] ?? 0)" }.joined(separator: ", "))
        let explained = s.results.filter { $0.status == .survived && $0.explanation != nil }
        if !explained.isEmpty {
            out.append("")
            out.append("Survivors explained (reviewed: not a missing property):")
            for (reason, rs) in Dictionary(grouping: explained, by: { $0.explanation! }).sorted(by: { $0.value[0].mutation.id < $1.value[0].mutation.id }) {
                out.append("  \(rs.map(\.mutation.id).joined(separator: ", "))")
                out.append("      \(reason)")
            }
        }
        let survivors = s.unexplained
        if !survivors.isEmpty {
            out.append("")
            out.append("Survivors (no property noticed\(explained.isEmpty ? "" : ", and not explained")):")
            for r in survivors {
                let m = r.mutation
                out.append("  \(m.id) (\(m.op.rawValue)) at \(m.location)")
                if let line = sourceLine(m.location) { out.append("      | \(line)") }
                out.append("      - \(m.original)")
                out.append("      + \(m.mutated)")
                let unknown = r.checks.filter { $0.outcome.hasPrefix("unknown") }
                if !unknown.isEmpty { out.append("      undecided: " + unknown.map { "\($0.property) (\($0.outcome))" }.joined(separator: ", ")) }
                if let e = r.equivalence { out.append("      equivalence: \(e)") }
            }
        }
        let bad = s.disagreements
        if !bad.isEmpty {
            out.append("")
            out.append("ENGINE DISAGREEMENTS (bugs in hugealign):")
            for (m, text) in bad { out.append("  \(m.id) at \(m.location): \(text)") }
        }
        return out.joined(separator: "\n")
    }

    /// The source line of `file:line:col`, trimmed.
    static func sourceLine(_ location: String) -> String? {
        let parts = location.split(separator: ":")
        guard parts.count >= 3, let line = Int(parts[parts.count - 2]) else { return nil }
        let path = parts.dropLast(2).joined(separator: ":")
        guard let text = try? String(contentsOfFile: path, encoding: .utf8) else { return nil }
        let lines = text.textLines
        guard line >= 1, line <= lines.count else { return nil }
        return lines[line - 1].trimmingCharacters(in: .whitespaces)
    }
}

import Foundation
import Placement

/// Why a surviving mutant is not a missing property: the reviewed survivors of a campaign, kept in
/// a text file beside the properties (`hugealign mutate --explained FILE`), so that a later run
/// tells the survivors someone has looked at from the new ones.
///
///     # comment
///     @guard-at-zero: Every property assumes away a stack within stack_guard_gap of 0 …
///     vm_start_gap#3 droppedCondition @guard-at-zero
///     vm_end_gap#7 bound the GROWSUP gap cannot occur on x86-64 or arm64 (VM_GROWSUP is 0)
///
/// A line names a mutant and its operator (so that an entry left behind by an edit of the model,
/// which renumbers the mutants, is caught rather than applied to another mutant), then a reason:
/// its text, or `@name` of a reason defined once with `@name: text`.
public struct Explanations: Sendable {
    public struct Entry: Sendable {
        public var op: MutationOperator
        public var reason: String
        public var line: Int
    }

    public let file: String
    public private(set) var entries: [String: Entry] = [:]

    public init(file: String) throws {
        self.file = file
        guard let data = FileManager.default.contents(atPath: file) else {
            throw InputError(file: file, line: 0, message: "cannot read the explanations file", text: "")
        }
        let text = String(decoding: data, as: UTF8.self)
        var reasons: [String: String] = [:]
        var pending: [(id: String, op: String, ref: String, line: Int, text: String)] = []
        for (i, raw) in text.components(separatedBy: "\n").enumerated() {
            let line = raw.trimmingCharacters(in: .whitespaces)
            if line.isEmpty || line.hasPrefix("#") { continue }
            if line.hasPrefix("@") {
                guard let colon = line.firstIndex(of: ":") else {
                    throw InputError(file: file, line: i + 1, message: "a reason is written '@name: text'", text: raw)
                }
                let name = String(line[..<colon])
                let body = line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces)
                guard !body.isEmpty else { throw InputError(file: file, line: i + 1, message: "the reason \(name) has no text", text: raw) }
                guard reasons[name] == nil else { throw InputError(file: file, line: i + 1, message: "the reason \(name) is defined twice", text: raw) }
                reasons[name] = body
                continue
            }
            let words = line.split(separator: " ", maxSplits: 2, omittingEmptySubsequences: true).map(String.init)
            guard words.count == 3, words[0].contains("#") else {
                throw InputError(file: file, line: i + 1, message: "expected 'FUNCTION#N OPERATOR reason' or '@name: reason'", text: raw)
            }
            pending.append((words[0], words[1], words[2], i + 1, raw))
        }
        for p in pending {
            guard let op = MutationOperator(rawValue: p.op) else {
                throw InputError(file: file, line: p.line, message: "unknown operator '\(p.op)' (one of \(MutationOperator.allCases.map(\.rawValue).joined(separator: ", ")))", text: p.text)
            }
            var reason = p.ref
            if reason.hasPrefix("@") {
                guard let r = reasons[reason] else { throw InputError(file: file, line: p.line, message: "no reason \(reason) is defined", text: p.text) }
                reason = r
            }
            guard entries[p.id] == nil else { throw InputError(file: file, line: p.line, message: "\(p.id) is explained twice", text: p.text) }
            entries[p.id] = Entry(op: op, reason: reason, line: p.line)
        }
    }

    /// Sets each survivor's explanation; returns the entries that do not fit the campaign: a mutant
    /// that is not a survivor (killed or equivalent now: the entry can go), or whose operator is
    /// another (the model changed and the numbers moved: the entry is stale).
    public func apply(to results: inout [MutantResult]) -> [String] {
        var problems: [String] = []
        var seen = Set<String>()
        for i in results.indices {
            let id = results[i].mutation.id
            guard let e = entries[id] else { continue }
            seen.insert(id)
            if e.op != results[i].mutation.op {
                problems.append("\(file):\(e.line): \(id) is a \(results[i].mutation.op.rawValue) mutant now, not \(e.op.rawValue): the entry is stale")
            } else if results[i].status != .survived {
                problems.append("\(file):\(e.line): \(id) is \(results[i].status.rawValue) now: the explanation is no longer needed")
            } else {
                results[i].explanation = e.reason
            }
        }
        return problems
    }
}

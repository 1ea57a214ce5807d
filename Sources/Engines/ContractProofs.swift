import Foundation
import KernelC

/// The proofs of contracts (`Contract.obligation`), made once per contract, program and
/// configuration in a process and shared by every property that uses the contract — also across
/// the provers of a parallel run: a prover that needs a proof another is making waits for it.
final class ContractProofs: @unchecked Sendable {
    static let shared = ContractProofs()

    private let condition = NSCondition()
    private var done: [String: PropertyResult] = [:]
    private var running: Set<String> = []

    /// What identifies a proof: the configuration, how the prover decides, and the checked code
    /// the contract's obligation runs (a mutant, or the same contract over another kernel tree's
    /// functions, is another proof; two spec files that include the same models share it).
    static func key(_ c: Contract, _ program: Program, _ options: ProverOptions) -> String {
        // The obligation's own `arithmetic` clause decides over the using property's.
        let arithmetic = c.obligation.arithmetic ?? options.arithmetic.rawValue
        let config = "\(options.config.name) \(options.config.dataModel) " + options.config.values.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: ",")
        let decide = "\(config)|\(arithmetic)|\(options.solver)|\(options.rlimit.map { "\($0)" } ?? "wall")|\(options.timeoutSeconds)|\(options.defaultUnwind)"
        return "\(decide)|\(c.name)|\(code(reachedFrom: c.obligation.function, in: program))"
    }

    /// The functions `root` reaches — by calls and by function designators — and `root` itself,
    /// in name order, with calls, designators and configuration values named rather than numbered:
    /// the same code in two programs reads the same.
    static func code(reachedFrom root: Function, in program: Program) -> String {
        var reached: [Int: Function] = [:]
        func targets(_ f: Function) -> [Int] {
            var out: [Int] = []
            _ = f.body.mapExpressions { e in
                e.transformed { kind, type in
                    if case .call(let i, _) = kind { out.append(i) }
                    if case .constant(let v) = kind, case .pointer(.function) = type, v != 0 { out.append(Int(v) - 1) }
                    return kind
                }
            }
            return out
        }
        var work = targets(root)
        while let i = work.popLast() {
            guard i < program.functions.count, reached[i] == nil else { continue }
            reached[i] = program.functions[i]
            work += targets(program.functions[i])
        }
        func name(_ i: Int) -> String { i < program.functions.count ? program.functions[i].name : "#\(i)" }
        let configNames = program.configNames
        // Numbers that depend on the program become the names they stand for (`call#name`), in
        // constants no code can hold (a designator is an index + 1, a configuration an index).
        var names: [String: UInt64] = [:]
        func stand(_ s: String) -> UInt64 {
            if let v = names[s] { return v }
            names[s] = UInt64.max - UInt64(names.count)
            return names[s]!
        }
        func canonical(_ f: Function) -> String {
            var g = f
            g.body = f.body.mapExpressions { e in
                e.transformed { kind, type in
                    switch kind {
                    case .call(let i, let args): return .call(Int(truncatingIfNeeded: stand("call " + name(i))), args)
                    case .constant(let v) where v != 0:
                        if case .pointer(.function) = type { return .constant(stand("designator " + name(Int(v) - 1))) }
                        return kind
                    case .config(let i): return .config(Int(truncatingIfNeeded: stand("config " + configNames[i])))
                    default: return kind
                    }
                }
            }
            return "\(g)"
        }
        let body = ([root] + reached.values.sorted { $0.name < $1.name }).map(canonical).joined(separator: "\n")
        return body + "\n" + names.sorted { $0.value > $1.value }.map(\.key).joined(separator: ",")
    }

    /// The proof's result, made by `prove` unless it was made (or is being made) already. A proof
    /// that ended `canceled` is not kept.
    func result(_ key: String, prove: () throws -> PropertyResult) rethrows -> PropertyResult {
        condition.lock()
        while running.contains(key) { condition.wait() }
        if let r = done[key] {
            condition.unlock()
            return r
        }
        running.insert(key)
        condition.unlock()
        var result: PropertyResult?
        defer {
            condition.lock()
            running.remove(key)
            if let result, result.verdict != .unknown(reason: "canceled") { done[key] = result }
            condition.broadcast()
            condition.unlock()
        }
        result = try prove()
        return result!
    }
}

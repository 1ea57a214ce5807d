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
        return "\(decide)|\(c.name)|\(CallGraph(program).code(reachedFrom: c.obligation.function))"
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

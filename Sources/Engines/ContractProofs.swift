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

    /// What identifies a proof: the configuration, how the prover decides, the contract, and the
    /// checked functions themselves (a mutant, or the same contract over another kernel tree's
    /// functions, is another proof).
    static func key(_ c: Contract, _ program: Program, _ options: ProverOptions) -> String {
        let decide = "\(options.config)|\(options.arithmetic)|\(options.solver)|\(options.rlimit.map { "\($0)" } ?? "wall")|\(options.timeoutSeconds)|\(options.defaultUnwind)"
        return "\(decide)|\(c.name)|\(c.obligation.function)|\(program.functions)"
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

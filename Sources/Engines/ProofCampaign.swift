import Dispatch
import Foundation
import KernelC
import Placement

/// Proves a list of planned properties with N provers in parallel and hands each result back in plan
/// order as soon as it and every earlier one are decided (so output streams while later properties
/// run). It owns stopping: `interrupt()` (Ctrl-C, SIGTERM) and an optional budget for the whole run
/// cancel the checks in progress and start no new ones.
public final class ProofCampaign: @unchecked Sendable {
    public struct Work: Sendable {
        public var file: String
        public var item: SpecPlan.Item
        public init(file: String, item: SpecPlan.Item) {
            self.file = file
            self.item = item
        }
    }

    /// Every property of `files` in plan order (under `replacements`); a spec error throws. A file
    /// with no properties (a model others include) adds nothing.
    public static func plan(_ files: [String], defaultConfig: Config = .x86_64,
                            replacements: SpecPlan.Replacements? = nil) throws -> [Work] {
        try files.flatMap { file in
            try SpecPlan(file: file, defaultConfig: defaultConfig, replacements: replacements).items.map { Work(file: file, item: $0) }
        }
    }

    /// Why the campaign stopped before proving everything.
    public enum StopReason: Sendable, Equatable {
        case interrupted
        case runBudget(seconds: Double)

        public var text: String {
            switch self {
            case .interrupted: return "interrupted"
            case .runBudget(let s): return "the run's time budget (\(s) s) ran out"
            }
        }
    }

    public let work: [Work]
    let provers: [Prover]
    private let runSeconds: Double?
    private let lock = NSLock()
    private var stopReason_: StopReason?

    /// `runSeconds`: a budget for the whole run (nil: none); each property keeps its own budget
    /// from `options`.
    public init(work: [Work], options: ProverOptions, jobs: Int, runSeconds: Double? = nil) {
        self.work = work
        let n = InOrderRunner<Void>.workers(jobs, for: work.count)
        var options = options
        options.solverLanes = max(1, options.solverLanes / n)
        self.provers = (0..<n).map { _ in Prover(options: options) }
        self.runSeconds = runSeconds
    }

    public var stopReason: StopReason? { lock.lock(); defer { lock.unlock() }; return stopReason_ }

    /// Stops the run: the checks in progress end as unknown ("canceled"), no new property starts.
    public func interrupt() { stop(.interrupted) }

    private func stop(_ reason: StopReason) {
        lock.lock()
        if stopReason_ == nil { stopReason_ = reason }
        lock.unlock()
        for p in provers { p.interrupt() }
    }

    /// Runs every property; `emit` is called on the calling thread, in plan order, with each
    /// property's result — or with nil for a property that never started because the run stopped.
    public func run(_ emit: (Int, Result<PropertyResult, Error>?) throws -> Void) rethrows {
        var timer: DispatchSourceTimer?
        if let s = runSeconds {
            let t = DispatchSource.makeTimerSource(queue: .global())
            t.schedule(deadline: .now() + s)
            t.setEventHandler { [weak self] in self?.stop(.runBudget(seconds: s)) }
            t.resume()
            timer = t
        }
        defer { timer?.cancel() }
        let work = self.work, provers = self.provers
        let campaignStart = ContinuousClock.now
        let (tasks, after) = provers.count > 1 ? Self.tasks(work, prover: provers[0]) : (work.indices.map { Task.property($0) }, [])
        try InOrderRunner<Result<PropertyResult, Error>?>().run(
            count: tasks.count, workers: provers.count, shouldStop: { [self] in stopReason != nil },
            after: { after.isEmpty ? [] : after[$0] },
            work: { j, t in
                let t0 = ContinuousClock.now
                // `HUGEALIGN_TRACE_CHECKS`: which prover ran which task when (is any idle?).
                defer { Session.traceLine("[task] prover \(j) task \(t) \(tasks[t].name(work)) from \(String(format: "%.2f to %.2f", (t0 - campaignStart).seconds, (ContinuousClock.now - campaignStart).seconds)) s") }
                switch tasks[t] {
                case .property(let i):
                    return Result { try provers[j].prove(work[i].item, file: work[i].file) }
                case .contract(let i, let c, let options):
                    // Its result is kept for the properties that use it (which report it).
                    _ = try? provers[j].proveContract(c, in: work[i].item.program, file: work[i].file, options: options)
                    return nil
                }
            },
            emit: { t, outcome in
                if case .property(let i) = tasks[t] { try emit(i, outcome ?? nil) }
            })
    }

    /// What the workers take in turn: a property, or the proof of a contract that the properties
    /// after it use — scheduled just before its first user, so that two workers prove two
    /// contracts side by side (each of placement_64's first three properties needs two or three
    /// contracts, 4–6 s each). A task starts once the proofs it uses are made (`tasks().after`):
    /// until then a free worker takes the properties after it instead of waiting.
    enum Task {
        case property(Int)
        case contract(Int, Contract, ProverOptions)

        func name(_ work: [Work]) -> String {
            switch self {
            case .property(let i): return work[i].item.property.name
            case .contract(_, let c, let options): return "contract \(c.name) (\(options.config.name))"
            }
        }
    }

    static func tasks(_ work: [Work], prover: Prover) -> (tasks: [Task], after: [[Int]]) {
        var tasks: [Task] = [], after: [[Int]] = [], proofTask: [String: Int] = [:]
        for (i, w) in work.enumerated() {
            let proofs = prover.contractProofs(w.item)
            for proof in proofs where proofTask[proof.key] == nil {
                proofTask[proof.key] = tasks.count
                tasks.append(.contract(i, proof.contract, proof.options))
                after.append(proof.needs.compactMap { proofTask[$0] })
            }
            tasks.append(.property(i))
            after.append(proofs.compactMap { proofTask[$0.key] })
        }
        return (tasks, after)
    }
}

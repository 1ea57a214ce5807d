import Foundation
import SMT
import Semantics

/// The prover's check that a costly call lies on a path no execution takes (`Evaluator.infeasible`):
/// the call's guard, with the assumptions met so far and the layout's facts, is unsatisfiable.
///
/// Why: symbolic execution encodes every call on every path, and most placement paths end early —
/// a free hint is returned before any window search. Encoded anyway, the searches (and the
/// top-down retry, and the bottom-up fallback) made properties about hints beside a VMA take
/// minutes at 64 bits; their guards contradict the property's own assumptions, which a short
/// check shows.
///
/// Sound by construction: only an `unsat` prunes (a timeout or `unknown` keeps the call), and
/// the assumptions used are a subset of the final query's (later assumptions only strengthen it),
/// so a pruned call's obligations could never be violated in any model of the query.
final class InfeasiblePaths {
    let solver: Solver
    let facts: () -> [SBool]
    /// A second opinion on what the linked Z3 could not decide in its share: given the question as
    /// bit-vectors (SMT-LIB2), its relaxed integer form (nil where it has none), the milliseconds
    /// it may take, and whether to give up at once (`stop`: Ctrl-C, the property's deadline)
    /// (`secondOpinion`; a test's stand-in). Both forms are printed before it is asked: it runs on
    /// another thread than the Z3 context's, beside the linked Z3's own check.
    let external: External?
    typealias External = (_ bitVector: String, _ relaxedInteger: String?, _ milliseconds: UInt32,
                          _ abandon: @escaping () -> Bool) -> CheckResult
    let domain: SymbolicDomain
    /// Each check's limit: short, since most guards are decided at once either way and a call kept
    /// for want of time only makes a slower query; longer when the linked Z3 decides alone (the
    /// guard of the search after a free hint takes it 1.5 s). Resource units when the budget counts
    /// them, so that verdicts stay deterministic.
    static func limits(units: Bool, alone: Bool) -> SolverLimits {
        units ? SolverLimits(rlimit: alone ? 5_000_000 : 1_000_000) : SolverLimits(timeoutMilliseconds: alone ? 2_000 : 250)
    }
    /// The second opinion's limits: per check, and in all per property. A check that takes
    /// Bitwuzla 2.3 s (THP's plain fallback after the padded search, in the 64-bit adjacency over
    /// every layout) decides whether the proof takes 4 s or ends unknown; a fixed 2 s limit missed it
    /// on every run, and with two jobs Bitwuzla runs slower still. The same check in the contract of
    /// an anonymous THP mmap whose fit may end unaligned (placement_64_fit.spec, the two-call
    /// property) takes it 5.5 s alone. A total caps what the property can lose to guards no solver
    /// decides.
    static let externalMilliseconds: UInt32 = 15_000, externalTotalMilliseconds: UInt32 = 30_000
    let externalTotal: UInt32
    /// True once no question should be asked any more (the property's time is up, the run interrupted).
    let stop: () -> Bool
    /// The property's deadline: no second opinion runs past it (a 15 s check begun just before
    /// it once took a 30 s budget to 80 s).
    let deadline: ContinuousClock.Instant?
    private var externalSpent: UInt32 = 0
    /// The linked Z3's limit per check (`limits`).
    let limits: SolverLimits
    /// `HUGEALIGN_DUMP_PRUNES=DIR`: each question as SMT-LIB2, to time other solvers on it.
    static let dumpFolder = ProcessInfo.processInfo.environment["HUGEALIGN_DUMP_PRUNES"]
    /// Per property (counts, so that the linked Z3's part stays deterministic under `--check-expectations`): the
    /// placement path of one request asks 5–10 questions, a property of several requests 40–60,
    /// most of them answered by an earlier model.
    static let maxSolverChecks = 32, maxExternalChecks = 6
    private var solverChecks = 0, externalChecks = 0
    /// Checks made, and how many pruned a call (`--stats`).
    private(set) var checks = 0, pruned = 0
    /// The linked Z3's checks that a second opinion's proof ended before their limit.
    private(set) var overtaken = 0

    /// `limits`: each check's own (a few hundred milliseconds, or resource units when the budget
    /// counts them, so that verdicts stay deterministic).
    init(context: Context, domain: SymbolicDomain, limits: SolverLimits, external: External?,
         externalTotalMilliseconds: UInt32 = InfeasiblePaths.externalTotalMilliseconds, stop: @escaping () -> Bool = { false },
         deadline: ContinuousClock.Instant? = nil, facts: @escaping () -> [SBool]) throws {
        solver = try Solver(context, limits: limits)
        self.limits = limits
        self.stop = stop
        self.deadline = deadline
        externalTotal = externalTotalMilliseconds
        self.external = external
        self.domain = domain
        self.facts = facts
    }

    /// Models of earlier feasible paths, newest first: most calls lie on a path an earlier model
    /// already takes, and evaluating the formulas in a model is far cheaper than a check.
    private var models: [Model] = []

    /// Whether `condition` contradicts `path` and the assumptions so far, and the layout's facts
    /// `withLayout` (for the abstract layout's questions about merged addresses: a merged value no
    /// execution there takes needs no VMA of its own; and whether two searches are one). The
    /// linked Z3 alone, in its short limit; only `unsat` says yes. (Bitwuzla as a second opinion
    /// here cost 0.5–0.7 s a question, mostly to say `sat`, and no proof needed it.)
    func cannotHold(_ condition: SBool, under path: SymTruth, _ assumptions: [SymTruth], withLayout: Bool = true) -> Bool {
        if stop() { return false }
        let started = ContinuousClock.now
        // The path and the condition alone first, then with the assumptions: two computations of
        // one value (a search's window as the kernel and as a property write it) differ only in
        // form, or where an assumption rules out an overflow, and without the layout's facts the
        // linked Z3 shows it at once, where with them it ran out of its time.
        // (Their models, of a part of the question, are not kept: they would push out the models
        // of whole questions that answer later ones.)
        let local = [domain.term(path), condition]
        for formulas in [local, local + assumptions.map { domain.term($0) }] where !metByAnEarlierModel(formulas) {
            let r = asking(formulas, keepsModel: false) { $0 }
            Session.traceLine("[merge] \(formulas.count == 2 ? "alone" : "assumed") \(r.map { "\($0)" } ?? "error") by z3 \(String(format: "%.3fs", (ContinuousClock.now - started).seconds))")
            if r == .unsat { return true }
        }
        guard withLayout else { return false }
        let formulas = facts() + assumptions.map { domain.term($0) } + [domain.term(path), condition]
        if metByAnEarlierModel(formulas) { return false }
        guard mergeChecks < Self.maxMergeChecks else { return false }
        mergeChecks += 1
        let r = asking(formulas) { $0 }
        Session.traceLine("[merge] other values \(r.map { "\($0)" } ?? "error") by z3 \(String(format: "%.3fs", (ContinuousClock.now - started).seconds))")
        return r == .unsat
    }

    /// Whether a model kept from an earlier check makes every formula true.
    private func metByAnEarlierModel(_ formulas: [SBool]) -> Bool {
        models.contains { m in formulas.allSatisfy { (try? m.value($0)) == true } }
    }

    /// The linked Z3's answer about `formulas`, asserted in a scope that stays open for `then`
    /// (which may ask the second opinion about the same query); a model it finds is kept
    /// (`keepsModel`).
    private func asking<T>(_ formulas: [SBool], keepsModel: Bool = true, then: (CheckResult?) -> T) -> T {
        asking(formulas, firstSlice: false, keepsModel: keepsModel) { r, _ in then(r) }
    }

    /// As above; with `firstSlice` the first check gets a short part of the limit (a quarter,
    /// at most `firstSliceMilliseconds`), and `then` may run the rest (`rest`, once: the answer of
    /// a second check with what is left, nil without a first slice or where it decided) — beside
    /// the second opinion, which then starts without waiting for the linked Z3's whole limit.
    private func asking<T>(_ formulas: [SBool], firstSlice: Bool, keepsModel: Bool = true,
                           then: (CheckResult?, _ rest: () -> CheckResult?) -> T) -> T {
        solver.push()
        defer { solver.pop() }
        for f in formulas { solver.assert(f) }
        let sliced = firstSlice ? Self.slice(limits) : nil
        if let sliced { try? solver.set(sliced.first) }
        defer { if sliced != nil { try? solver.set(limits) } }
        func checked() -> CheckResult? {
            let r = try? solver.check()
            if keepsModel, r == .sat, let m = try? solver.model() {
                models.insert(m, at: 0)
                if models.count > 4 { models.removeLast() }
            }
            return r
        }
        let r = checked()
        var restRun = false
        return then(r) {
            guard let sliced, !restRun, case .unknown? = r else { return nil }
            restRun = true
            try? solver.set(sliced.rest)
            return checked()
        }
    }

    /// The linked Z3's first look at a question the second opinion may take over: most guards are
    /// decided in 5–50 ms, and one that is not waited the whole limit (250 ms) before the
    /// second opinion began.
    static let firstSliceMilliseconds: UInt32 = 60

    /// A short first limit and the rest.
    static func slice(_ l: SolverLimits) -> (first: SolverLimits, rest: SolverLimits) {
        // (Z3 reads a limit of 0 as none.)
        if let units = l.rlimit {
            let first = max(1, units / 4)
            return (SolverLimits(rlimit: first), SolverLimits(rlimit: max(1, units - first)))
        }
        let ms = l.timeoutMilliseconds ?? 1_000
        let first = max(1, min(firstSliceMilliseconds, ms / 4))
        return (SolverLimits(timeoutMilliseconds: first), SolverLimits(timeoutMilliseconds: max(1, ms - first)))
    }

    /// The rest of the linked Z3's limit (`rest`, on this thread) beside the second opinion (on
    /// others): a proof by either ends the other (the linked check interrupted, the second
    /// opinion's workers stopped). Else the second opinion's answer, as when it came after.
    /// Returns the answer and whether it is the second opinion's.
    private func beside(_ rest: () -> CheckResult?, external: @escaping External, bitVector: String, relaxedInteger: String?,
                        milliseconds: UInt32) -> (CheckResult?, Bool) {
        /// What the two threads share: the second opinion's answer, and whether the linked check
        /// still runs (only then may it be interrupted: the solver's next check is another question).
        final class Shared: @unchecked Sendable {
            let lock = NSLock()
            var linkedRunning = true, linkedDecided = false, interrupted = false
            var answer: CheckResult?
            let done = DispatchSemaphore(value: 0)
        }
        let shared = Shared(), solver = self.solver
        nonisolated(unsafe) let ask = external, stop = self.stop
        Thread.detachNewThread {
            let abandon: () -> Bool = {
                shared.lock.lock()
                defer { shared.lock.unlock() }
                return shared.linkedDecided || stop()
            }
            let r = ask(bitVector, relaxedInteger, milliseconds, abandon)
            shared.lock.lock()
            shared.answer = r
            if r == .unsat && shared.linkedRunning {
                solver.interrupt()
                shared.interrupted = true
            }
            shared.lock.unlock()
            shared.done.signal()
        }
        let linked = rest()
        shared.lock.lock()
        shared.linkedRunning = false
        let decided = linked == .sat || linked == .unsat
        // Decided here first: the second opinion is no longer wanted (it stops within 0.1 s, on
        // its own thread).
        if decided && shared.answer == nil { shared.linkedDecided = true }
        let second = shared.answer, interrupted = shared.interrupted
        shared.lock.unlock()
        // A model of the linked Z3's keeps the call whatever the other says (only a proof prunes).
        if linked == .sat || (decided && second != .unsat) { return (linked, false) }
        if interrupted { overtaken += 1 }
        if let second { return (second, true) }
        shared.done.wait()
        return (shared.answer, true)
    }

    /// The second opinions this machine has (`--solver`): Bitwuzla on the bits, and a Z3 newer than
    /// the linked one on the relaxed integer form (whose `unsat` is a proof,
    /// `IntegerTranslation.relaxed`). Each is best on its own kind of guard: THP's plain fallback
    /// after the padded search is a question of order over 64-bit sums, which the newer Z3 decides
    /// on the integer form in 0.03–0.2 s where Bitwuzla takes 2.3 s (the legacy lowest-aligned
    /// placement over every layout); where the relaxation is too weak it finds a model of it in
    /// 0.1–0.5 s and Bitwuzla proves in 0.3–0.5 s. With a core to spare (`lanes` > 1) both are
    /// asked at once, and the first proof stops the other, as does a model of Bitwuzla's (one of
    /// the relaxed form says nothing); else the integer form first, briefly. (Racing on a core
    /// another property's prover uses, `--jobs 2` on 2 cores, made both slower: 21 s of pruning in
    /// the suite against 18.6 s with Bitwuzla alone.)
    static func secondOpinion(bitwuzla: Bool, newerZ3: Bool, lanes: Int) -> External? {
        guard bitwuzla || newerZ3 else { return nil }
        return { bitVector, relaxedInteger, ms, abandon in
            let started = ContinuousClock.now
            var asks: [(solver: ExternalSolver, query: String, milliseconds: UInt32)] = []
            if newerZ3, let q = relaxedInteger {
                asks.append((.z3, q, min(ms, lanes > 1 || !bitwuzla ? integerMilliseconds : integerFirstMilliseconds)))
            }
            if bitwuzla { asks.append((.bitwuzla, bitVector, ms)) }
            guard let first = asks.first else { return .unknown(reason: "no second opinion") }
            let kinds = asks.map(\.solver)
            let decides: @Sendable (Int, CheckResult) -> Bool = { i, r in r == .unsat || (kinds[i] == .bitwuzla && r == .sat) }
            if lanes > 1 || asks.count == 1 {
                let (winner, answers) = ExternalSolver.race(asks, abandon: abandon, decides: decides)
                if let winner { return answers[winner] }
                return kinds.last == .bitwuzla ? answers[answers.count - 1] : .unknown(reason: "the relaxed integer form: \(answers[0])")
            }
            if ExternalSolver.race([first], abandon: abandon, decides: decides).winner != nil { return .unsat }
            let spent = UInt32(clamping: Int((ContinuousClock.now - started).seconds * 1000))
            guard ms > spent + 100, !abandon() else { return .unknown(reason: "timeout") }
            return ExternalSolver.race([(.bitwuzla, bitVector, ms - spent)], abandon: abandon, decides: decides).answers[0]
        }
    }

    /// The newer Z3's limit on the relaxed integer form: it proves at once or not at all. Shorter
    /// when Bitwuzla waits for it.
    static let integerMilliseconds: UInt32 = 2_000, integerFirstMilliseconds: UInt32 = 500

    /// The relaxed integer form of `formulas` as SMT-LIB2, or nil where part of it has none.
    private func relaxedIntegerQuery(_ formulas: [SBool]) -> String? {
        guard let s = try? IntegerSolver(solver.context, relaxed: true, keepsConstantMasks: true) else { return nil }
        do {
            for f in formulas { try s.assert(f) }
        } catch {
            return nil
        }
        return s.smtlib2()
    }

    /// Per property, for `cannotHold`: a property asks about 2–6 merged addresses, a contract's
    /// proof 1–3, each one check or one per merged value (at most 4).
    static let maxMergeChecks = 24
    private var mergeChecks = 0

    func isInfeasible(_ callee: String, _ guardValue: SymTruth, _ assumptions: [SymTruth]) -> Bool {
        checks += 1
        if stop() { return false }
        let formulas = facts() + assumptions.map { domain.term($0) } + [domain.term(guardValue)]
        if metByAnEarlierModel(formulas) {
            Session.traceLine("[prune] \(callee) sat by an earlier model")
            return false
        }
        // A bounded effort per property: past it, every call is kept (a slower query at worst).
        guard solverChecks < Self.maxSolverChecks else { return false }
        solverChecks += 1
        let started = ContinuousClock.now
        var by = "z3"
        let r: CheckResult? = asking(formulas, firstSlice: external != nil) { r, rest in
            if let dir = Self.dumpFolder {
                try? solver.smtlib2().write(toFile: "\(dir)/\(checks)-\(callee).smt2", atomically: true, encoding: .utf8)
            }
            var left = externalTotal - min(externalTotal, externalSpent)
            if let deadline { left = min(left, UInt32(clamping: Int(max(0, (deadline - ContinuousClock.now).seconds * 1000)))) }
            guard case .unknown? = r, let external, externalChecks < Self.maxExternalChecks, left >= 500 else { return rest() ?? r }
            externalChecks += 1
            let askedAt = ContinuousClock.now
            defer { externalSpent += min(left, UInt32((ContinuousClock.now - askedAt).seconds * 1000)) }
            let (answer, second) = beside(rest, external: external, bitVector: solver.smtlib2(),
                                          relaxedInteger: relaxedIntegerQuery(formulas), milliseconds: min(Self.externalMilliseconds, left))
            if second { by = "external" }
            return answer
        }
        Session.traceLine("[prune] \(callee) \(r.map { "\($0)" } ?? "error") by \(by) \(String(format: "%.3fs", (ContinuousClock.now - started).seconds))")
        guard r == .unsat else { return false }
        pruned += 1
        return true
    }
}

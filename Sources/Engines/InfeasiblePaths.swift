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
    /// bit-vectors (SMT-LIB2), its relaxed integer form on demand, the milliseconds it may take,
    /// and whether to give up at once (`stop`: Ctrl-C, the property's deadline) (`secondOpinion`;
    /// a test's stand-in).
    let external: External?
    typealias External = (_ bitVector: String, _ relaxedInteger: () -> String?, _ milliseconds: UInt32,
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
    /// `HUGEALIGN_DUMP_PRUNES=DIR`: each question as SMT-LIB2, to time other solvers on it.
    static let dumpFolder = ProcessInfo.processInfo.environment["HUGEALIGN_DUMP_PRUNES"]
    /// Per property (counts, so that the linked Z3's part stays deterministic under `--check-expectations`): the
    /// placement path of one request asks 5–10 questions, a property of several requests 40–60,
    /// most of them answered by an earlier model.
    static let maxSolverChecks = 32, maxExternalChecks = 6
    private var solverChecks = 0, externalChecks = 0
    /// Checks made, and how many pruned a call (`--stats`).
    private(set) var checks = 0, pruned = 0

    /// `limits`: each check's own (a few hundred milliseconds, or resource units when the budget
    /// counts them, so that verdicts stay deterministic).
    init(context: Context, domain: SymbolicDomain, limits: SolverLimits, external: External?,
         externalTotalMilliseconds: UInt32 = InfeasiblePaths.externalTotalMilliseconds, stop: @escaping () -> Bool = { false },
         deadline: ContinuousClock.Instant? = nil, facts: @escaping () -> [SBool]) throws {
        solver = try Solver(context, limits: limits)
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

    /// Whether `condition` contradicts `path` and the assumptions so far (for the abstract layout's
    /// questions about merged addresses: a merged value no execution there takes needs no VMA of
    /// its own). The linked Z3 alone, in its short limit; only `unsat` says yes. (Bitwuzla as a
    /// second opinion here cost 0.5–0.7 s a question, mostly to say `sat`, and no proof needed it.)
    func cannotHold(_ condition: SBool, under path: SymTruth, _ assumptions: [SymTruth]) -> Bool {
        if stop() { return false }
        let formulas = facts() + assumptions.map { domain.term($0) } + [domain.term(path), condition]
        if metByAnEarlierModel(formulas) { return false }
        guard mergeChecks < Self.maxMergeChecks else { return false }
        mergeChecks += 1
        let started = ContinuousClock.now
        let r = asking(formulas) { $0 }
        Session.traceLine("[merge] other values \(r.map { "\($0)" } ?? "error") by z3 \(String(format: "%.3fs", (ContinuousClock.now - started).seconds))")
        return r == .unsat
    }

    /// Whether a model kept from an earlier check makes every formula true.
    private func metByAnEarlierModel(_ formulas: [SBool]) -> Bool {
        models.contains { m in formulas.allSatisfy { (try? m.value($0)) == true } }
    }

    /// The linked Z3's answer about `formulas`, asserted in a scope that stays open for `then`
    /// (which may ask the second opinion about the same query); a model it finds is kept.
    private func asking<T>(_ formulas: [SBool], then: (CheckResult?) -> T) -> T {
        solver.push()
        defer { solver.pop() }
        for f in formulas { solver.assert(f) }
        let r = try? solver.check()
        if r == .sat, let m = try? solver.model() {
            models.insert(m, at: 0)
            if models.count > 4 { models.removeLast() }
        }
        return then(r)
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
            if newerZ3, let q = relaxedInteger() {
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
        let r: CheckResult? = asking(formulas) { r in
            if let dir = Self.dumpFolder {
                try? solver.smtlib2().write(toFile: "\(dir)/\(checks)-\(callee).smt2", atomically: true, encoding: .utf8)
            }
            var left = externalTotal - min(externalTotal, externalSpent)
            if let deadline { left = min(left, UInt32(clamping: Int(max(0, (deadline - ContinuousClock.now).seconds * 1000)))) }
            guard case .unknown? = r, let external, externalChecks < Self.maxExternalChecks, left >= 500 else { return r }
            externalChecks += 1
            let askedAt = ContinuousClock.now
            by = "external"
            defer { externalSpent += min(left, UInt32((ContinuousClock.now - askedAt).seconds * 1000)) }
            return external(solver.smtlib2(), { self.relaxedIntegerQuery(formulas) }, min(Self.externalMilliseconds, left), stop)
        }
        Session.traceLine("[prune] \(callee) \(r.map { "\($0)" } ?? "error") by \(by) \(String(format: "%.3fs", (ContinuousClock.now - started).seconds))")
        guard r == .unsat else { return false }
        pruned += 1
        return true
    }
}

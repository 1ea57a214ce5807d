import Foundation

extension ExternalSolver {
    /// One question put to several solvers or seeds, each attempt in a worker of its own: the
    /// first answer that settles it ends the race, and the attempts still running are stopped
    /// (their workers killed, answering unknown, and replaced in the background). Attempts may
    /// join late (a lane that comes free tries another seed). Why: of two opinions on one
    /// question the one that would come second often decides (the pruning's guards: a relaxed
    /// integer form proves some in 0.05 s, Bitwuzla others in 0.4 s after the integer form said
    /// "sat"), and on the integer forms one seed may take ten times another.
    public final class Race: @unchecked Sendable {
        private let lock = NSLock()
        private var workers: [Int: Worker] = [:]
        /// The attempt whose answer settled the question.
        public private(set) var winner: Int?
        /// Settled or abandoned: no answer is wanted any more.
        public private(set) var isOver = false

        public init() {}

        /// Attempt `id` (any number, distinct per attempt): asks `solver`, and returns its answer
        /// and whether that answer settled the race (`settles`, and no attempt settled it first).
        /// `running` is told the worker while it runs (for an interrupt).
        public func attempt(_ id: Int, _ solver: ExternalSolver, _ query: String, milliseconds: UInt32, seed: Int = 0,
                            running: (Worker?) -> Void = { _ in },
                            settles: (CheckResult) -> Bool) -> (answer: CheckResult, won: Bool) {
            let r = solver.check(query, milliseconds: milliseconds, seed: seed) { w in
                running(w)
                lock.lock()
                workers[id] = w
                let over = isOver
                lock.unlock()
                if over, let w { stop(w) }
            }
            lock.lock()
            workers[id] = nil
            var others: [Worker] = []
            let won = !isOver && settles(r)
            if won {
                winner = id
                isOver = true
                others = Array(workers.values)
            }
            lock.unlock()
            for w in others { stop(w) }
            return (r, won)
        }

        /// No answer is wanted any more (an interrupted run, a spent budget): every attempt still
        /// running is stopped.
        public func abandon() {
            lock.lock()
            isOver = true
            let running = Array(workers.values)
            lock.unlock()
            for w in running { stop(w) }
        }
    }

    /// Asks each solver its query at once (a `Race`) and returns every answer with the index of
    /// the first that `decides` accepts. Without one each runs to its own limit, or until
    /// `abandon` says stop (looked at every 0.1 s).
    public static func race(_ asks: [(solver: ExternalSolver, query: String, milliseconds: UInt32)],
                            abandon: (() -> Bool)? = nil,
                            decides: @escaping @Sendable (Int, CheckResult) -> Bool) -> (winner: Int?, answers: [CheckResult]) {
        final class Answers: @unchecked Sendable {
            let lock = NSLock()
            var list: [CheckResult]
            init(_ n: Int) { list = Array(repeating: .unknown(reason: "not asked"), count: n) }
        }
        let race = Race(), answers = Answers(asks.count)
        let ask: @Sendable (Int) -> Void = { i in
            let r = race.attempt(i, asks[i].solver, asks[i].query, milliseconds: asks[i].milliseconds) { decides(i, $0) }
            answers.lock.lock()
            answers.list[i] = r.answer
            answers.lock.unlock()
        }
        let group = DispatchGroup()
        // With `abandon` every question runs on a thread of its own and this one watches them.
        let watched = abandon != nil
        for i in asks.indices.dropFirst(watched ? 0 : 1) {
            group.enter()
            Thread.detachNewThread {
                ask(i)
                group.leave()
            }
        }
        if !watched, !asks.isEmpty { ask(0) }
        if let abandon {
            while group.wait(timeout: .now() + .milliseconds(100)) == .timedOut {
                if abandon() { race.abandon() }
            }
        } else {
            group.wait()
        }
        return (race.winner, answers.list)
    }

    /// Stops a check whose answer is no longer wanted: its worker is killed, and another starts in
    /// the background in its place.
    public static func stop(_ w: Worker) {
        w.cancel()
        replace()
    }
}

import Foundation

/// Runs numbered work items on several threads and hands each result back on the calling thread,
/// in index order, as soon as it and every earlier one are done: output streams while later items
/// run, and never depends on the number of workers. Used by the proof and mutation campaigns.
public final class InOrderRunner<Result>: @unchecked Sendable {
    private let lock = NSCondition()
    private var outcomes: [Int: Result] = [:]
    private var started: [Bool] = []
    private var finished: [Bool] = []
    /// Every item before it has started: where a free worker's look for work begins.
    private var firstUnstarted = 0
    private var finishedWorkers = 0

    public init() {}

    /// `work(worker, index)` runs on worker threads (`worker` < the number of workers, so a caller
    /// can give each worker its own engine); no new item starts once `shouldStop()` is true. `emit`
    /// gets every index in order, with nil for an item that never started.
    ///
    /// `after(index)`: the earlier items that must be finished before `index` starts (a proof that
    /// uses another's result). A free worker takes the first item whose prerequisites are all
    /// finished, so it moves on to later work instead of waiting for a result another worker is
    /// still making.
    public func run(count: Int, workers: Int, shouldStop: @escaping @Sendable () -> Bool,
                    after: @escaping @Sendable (_ index: Int) -> [Int] = { _ in [] },
                    work: @escaping @Sendable (_ worker: Int, _ index: Int) -> Result,
                    emit: (Int, Result?) throws -> Void) rethrows {
        let threads = Self.workers(workers, for: count)
        let prerequisites = (0..<count).map { i in after(i).filter { $0 < i } }
        started = Array(repeating: false, count: count)
        finished = Array(repeating: false, count: count)
        firstUnstarted = 0
        for j in 0..<threads {
            Thread.detachNewThread { [self] in
                while true {
                    lock.lock()
                    var index: Int?
                    while !shouldStop() {
                        while firstUnstarted < count && started[firstUnstarted] { firstUnstarted += 1 }
                        index = (firstUnstarted..<count).first { !started[$0] && prerequisites[$0].allSatisfy { finished[$0] } }
                        // Nothing ready, but some item still waits for one in progress.
                        if index != nil || firstUnstarted == count { break }
                        lock.wait()
                    }
                    if let index { started[index] = true }
                    lock.unlock()
                    guard let index, !shouldStop() else { break }
                    let r = work(j, index)
                    lock.lock(); outcomes[index] = r; finished[index] = true; lock.broadcast(); lock.unlock()
                }
                lock.lock(); finishedWorkers += 1; lock.broadcast(); lock.unlock()
            }
        }
        for index in 0..<count {
            lock.lock()
            while outcomes[index] == nil && finishedWorkers < threads { lock.wait() }
            let outcome = outcomes.removeValue(forKey: index)
            lock.unlock()
            try emit(index, outcome)
        }
        lock.lock()
        while finishedWorkers < threads { lock.wait() }
        lock.unlock()
    }

    /// The threads worth starting: at least one, at most one per item.
    public static func workers(_ jobs: Int, for count: Int) -> Int { max(1, min(jobs, max(1, count))) }
}

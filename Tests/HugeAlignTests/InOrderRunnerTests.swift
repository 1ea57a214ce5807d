import Dispatch
import Engines
import Foundation
import Testing

/// The runner behind `prove --jobs N` and `mutate --jobs N`: results in order, prerequisites kept,
/// and a free worker never idles behind an item that waits for another's result.
@Suite struct InOrderRunnerTests {
    final class Log: @unchecked Sendable {
        let lock = NSLock()
        var events: [String] = []
        func add(_ e: String) { lock.lock(); events.append(e); lock.unlock() }
        var all: [String] { lock.lock(); defer { lock.unlock() }; return events }
    }

    @Test func aFreeWorkerTakesLaterWorkWhileAPrerequisiteRuns() throws {
        // Item 1 needs item 0; item 0 finishes only once item 2 has run. A runner that handed item 1
        // to the second worker (or let it wait there) would never run item 2: item 0 gives up after
        // 20 s and the order below shows it.
        let log = Log()
        let item2Ran = DispatchSemaphore(value: 0)
        var emitted: [Int] = []
        InOrderRunner<Int>().run(
            count: 3, workers: 2, shouldStop: { false }, after: { $0 == 1 ? [0] : [] },
            work: { _, i in
                log.add("start \(i)")
                if i == 0 { _ = item2Ran.wait(timeout: .now() + 20) }
                log.add("end \(i)")
                // Only once its end is logged: item 0's end then comes after it.
                if i == 2 { item2Ran.signal() }
                return i * 10
            },
            emit: { i, r in
                #expect(r == i * 10)
                emitted.append(i)
            })
        let events = log.all
        #expect(emitted == [0, 1, 2])
        let at = { (e: String) in events.firstIndex(of: e) ?? -1 }
        #expect(at("end 2") < at("end 0"), "item 2 did not run while item 0 waited: \(events)")
        #expect(at("end 0") < at("start 1"), "item 1 started before its prerequisite ended: \(events)")
    }

    @Test func aStopStartsNothingNew() {
        var emitted: [Int?] = []
        let stop = Log()
        InOrderRunner<Int>().run(
            count: 4, workers: 1, shouldStop: { !stop.all.isEmpty }, after: { _ in [] },
            work: { _, i in
                if i == 1 { stop.add("stop") }
                return i
            },
            emit: { _, r in emitted.append(r) })
        #expect(emitted == [0, 1, nil, nil])
    }
}

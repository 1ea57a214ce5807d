import Dispatch
import Foundation

/// Ctrl-C (SIGINT) and SIGTERM: the first interrupts the running work and stops after it, so the
/// results so far are still written; a second exits at once (130).
final class Interruption: @unchecked Sendable {
    private var sources: [DispatchSourceSignal] = []
    private let lock = NSLock()
    private var count = 0
    var happened: Bool { lock.lock(); defer { lock.unlock() }; return count > 0 }

    init(onInterrupt: @escaping @Sendable () -> Void) {
        for sig in [SIGINT, SIGTERM] {
            signal(sig, SIG_IGN)
            let s = DispatchSource.makeSignalSource(signal: sig, queue: .global())
            s.setEventHandler { [weak self] in
                guard let self else { return }
                self.lock.lock()
                self.count += 1
                let n = self.count
                self.lock.unlock()
                if n > 1 { Foundation.exit(130) }
                let name = sig == SIGINT ? "interrupted" : "terminated"
                FileHandleStream.standardError.write("\nhugealign: \(name); finishing with the results so far (Ctrl-C again to quit)\n")
                onInterrupt()
            }
            s.resume()
            sources.append(s)
        }
    }
}

/// The run that Ctrl-C should stop, for commands that run one search after another.
final class StopTarget: @unchecked Sendable {
    private let lock = NSLock()
    private var action: (@Sendable () -> Void)?
    func set(_ a: @escaping @Sendable () -> Void) { lock.lock(); action = a; lock.unlock() }
    func fire() { lock.lock(); let a = action; lock.unlock(); a?() }
}

import Dispatch
import Foundation

/// Progress of a long run on stderr: on a terminal one line rewritten every second; otherwise (a
/// pipe, a CI log) a full line every `interval` seconds (10, or HUGEALIGN_PROGRESS_INTERVAL), so a
/// long run is never silent.
final class ProgressLine: @unchecked Sendable {
    private var timer: DispatchSourceTimer?
    private let lock = NSLock()
    private var shown = false
    private let terminal = isatty(2) != 0
    let interval: Double
    private var last = ContinuousClock.now
    private let text: @Sendable () -> String

    static var configuredInterval: Double {
        ProcessInfo.processInfo.environment["HUGEALIGN_PROGRESS_INTERVAL"].flatMap(Double.init).map { max(0.05, $0) } ?? 10
    }

    /// A timer thread prints `text()` periodically (for runs that do their work on other threads).
    convenience init(_ text: @escaping @Sendable () -> String) {
        self.init(text: text, threaded: true)
    }

    /// No thread: the caller calls `poll()` from its loop (the live child, where another thread
    /// could map memory between its maps snapshot and its mmap).
    static func polled(_ text: @escaping @Sendable () -> String) -> ProgressLine {
        ProgressLine(text: text, threaded: false)
    }

    private init(text: @escaping @Sendable () -> String, threaded: Bool) {
        self.text = text
        interval = terminal ? 1 : ProgressLine.configuredInterval
        guard threaded else { return }
        let t = DispatchSource.makeTimerSource(queue: .global())
        t.schedule(deadline: .now() + interval, repeating: interval)
        t.setEventHandler { [weak self] in self?.show() }
        t.resume()
        timer = t
    }

    func poll() {
        let now = ContinuousClock.now
        guard (now - last).seconds >= interval else { return }
        last = now
        show()
    }

    private func show() {
        lock.lock(); shown = true; lock.unlock()
        FileHandleStream.standardError.write(terminal ? "\r\u{1B}[K" + text() : text() + "\n")
    }

    func finish() {
        timer?.cancel()
        lock.lock(); defer { lock.unlock() }
        if shown && terminal { FileHandleStream.standardError.write("\r\u{1B}[K") }
    }
}

import CLinux
import Foundation

/// A C compiler run by `NativeLibrary`: started with posix_spawn as the leader of a process group
/// of its own, so that `stop` reaches the compiler proper (cc1, as) as well as the driver.
///
/// Not Foundation's `Process`: its `run` took 0.6–3 ms (median 1.1 ms) where posix_spawn takes
/// 0.1 ms, measured beside a busy thread as in a campaign — a campaign runs in the evaluator until
/// tcc's object is loaded, and those milliseconds were a fifth of that wait.
public final class CompilerProcess: @unchecked Sendable {
    public let pid: pid_t
    private let lock = NSLock()
    /// Set once the compiler has exited, before it is reaped: after that its pid (and group) may
    /// belong to another process, and `stop` must not signal it.
    private var exited = false

    /// Starts `executable` with `arguments`; its standard error goes to `stderr`, its standard
    /// output nowhere.
    init(executable: String, arguments: [String], stderr: Int32) throws {
        let argv: [UnsafeMutablePointer<CChar>?] = ([executable] + arguments).map { strdup($0) } + [nil]
        defer { for a in argv { free(a) } }
        var pid: pid_t = 0
        // Standard input this process's, output to /dev/null; a group of its own (`stop`).
        let rc = hugealign_spawn(&pid, executable, argv, -1, -2, stderr, 1)
        guard rc == 0 else {
            throw NativeCodeError(message: "cannot start \(executable): \(String(cString: strerror(rc)))")
        }
        self.pid = pid
    }

    /// Waits for the compiler to exit: its exit status, or nil when a signal ended it.
    func wait() -> Int32? {
        // Noted as exited before it is reaped (WNOWAIT), so that `stop` never signals a reused pid.
        var info = siginfo_t()
        while waitid(P_PID, id_t(pid), &info, WEXITED | WNOWAIT) != 0 && errno == EINTR {}
        lock.lock()
        exited = true
        lock.unlock()
        var status: Int32 = 0
        while waitpid(pid, &status, 0) < 0 && errno == EINTR {}
        // WIFEXITED / WEXITSTATUS, which Swift does not import.
        return status & 0x7f == 0 ? (status >> 8) & 0xff : nil
    }

    /// Stops the compiler and everything it started (its process group), if it is still running.
    public func stop() {
        lock.lock()
        defer { lock.unlock() }
        if !exited { kill(-pid, SIGTERM) }
    }
}

import CLinux
import CZ3
import Foundation

/// A second solver of the prover's portfolio, reached through its Python binding in long-lived
/// `python3` workers that read SMT-LIB2 queries — the printing of the query Z3 would check (`SMTLIB2Writer`) —
/// on stdin and answer `sat`, `unsat` or `unknown`. Debian 12 ships neither as a package; both come
/// from pip, and each is used only where it is installed.
///
/// - **Bitwuzla** (`pip install bitwuzla`): on this machine's bit-vector queries it proves what Z3
///   proves two to five times faster (measured on the bundled specs).
/// - **A newer Z3** (`pip install z3-solver`, used only when newer than the linked libz3): on the
///   integer forms of the 64-bit layout queries (`arithmetic both`) Z3 5.4 proves in 0.1–2 s what
///   Debian's Z3 4.8.12 takes 25–30 s for (docs/verdicts.md, "The solver portfolio").
///
/// Their `unsat` is a proof by another solver; models are asked of Bitwuzla only, where a
/// counterexample need not be the same on every machine (the prover replays each one before it
/// takes it).
public enum ExternalSolver: String, Sendable, CaseIterable {
    case bitwuzla
    case z3

    /// The worker: one query per request (`<solver> <milliseconds> <bytes> <models> <seed>\n` then
    /// the query; the newer Z3 starts from that random seed, and from any other than 0 takes the
    /// assertions in reverse order), one line back: the answer, and after
    /// `sat` (when models were asked for) `name=value` of every declared constant (hexadecimal;
    /// Booleans 1 or 0). It first says which solvers it has: `ready bitwuzla=<version>
    /// z3=<version>` (each only when it imports).
    ///
    /// It closes every descriptor it inherited beyond stdin, stdout and stderr, and ends when its
    /// parent does: a worker that inherited another worker's stdin pipe (two started at once by
    /// `--jobs 2`) kept that one from seeing end-of-file, the two outlived hugealign, and a caller
    /// reading hugealign's stderr to its end (a test, a CI script) waited forever.
    public static let script = """
    import os, sys, threading, time
    os.closerange(3, os.sysconf('SC_OPEN_MAX'))
    parent = os.getppid()
    def watch():
        while True:
            time.sleep(0.5)
            if os.getppid() != parent:
                os._exit(0)
    threading.Thread(target=watch, daemon=True).start()
    def say(line):
        # A worker started for the idle pool as hugealign ends finds no one to answer.
        try:
            print(line, flush=True)
        except BrokenPipeError:
            os._exit(0)
    have = []
    try:
        import bitwuzla as bw
        from importlib.metadata import version
        have.append('bitwuzla=' + version('bitwuzla'))
    except Exception:
        bw = None
    try:
        import z3
        have.append('z3=' + z3.get_version_string())
    except Exception:
        z3 = None
    if not have:
        say('missing')
        sys.exit(0)
    say('ready ' + ' '.join(have))
    def bitwuzla(query, ms, models, seed):
        tm = bw.TermManager()
        opts = bw.Options()
        opts.set(bw.Option.TIME_LIMIT_PER, ms)
        if models:
            opts.set(bw.Option.PRODUCE_MODELS, True)
        p = bw.Parser(tm, opts)
        p.parse(query, True, False)
        b = p.bitwuzla()
        r = str(b.check_sat())
        if r == 'sat' and models:
            for t in p.get_declared_funs():
                v = b.get_value(t)
                if t.sort().is_bv():
                    r += ' ' + t.symbol() + '=' + v.value(16)
                elif t.sort().is_bool():
                    r += ' ' + t.symbol() + '=' + ('1' if v.value() else '0')
        return r
    def newer_z3(query, ms, models, seed):
        # Restarts with another seed and twice the time: on the layout queries one seed can take
        # ten times another. No relevancy filter and no case-split heuristic: measured on the 82
        # integer forms of vm_unmapped_area_64.spec, 52 s in all (worst 11.6 s) became 22 s (1.6 s).
        #
        # A context of its own per attempt: in the shared one, the terms of every query before
        # steered Z3's choices, and one obligation took 0.4 s alone and 4 s after another. A second
        # attempt at a query (a seed other than 0) takes its assertions in the other order, which
        # steers Z3 more than a seed does (0.28-0.33 s against 0.53-0.79 s on one obligation).
        left, piece = ms, 2000
        while True:
            ctx = z3.Context()
            s = z3.Solver(ctx=ctx)
            s.set('smt.relevancy', 0)
            s.set('smt.case_split', 0)
            s.set('random_seed', seed)
            s.set('timeout', max(1, min(piece, left)))
            if seed != 0:
                for f in reversed(list(z3.parse_smt2_string(query, ctx=ctx))):
                    s.add(f)
            else:
                s.from_string(query)
            start = time.monotonic()
            r = s.check()
            left -= int((time.monotonic() - start) * 1000)
            if r != z3.unknown:
                return str(r)
            why = s.reason_unknown().replace('\\n', ' ')
            if left <= 0 or not ('timeout' in why or 'canceled' in why):
                return 'unknown ' + why
            seed, piece = seed + 1, piece * 2
    inp = sys.stdin.buffer
    while True:
        head = inp.readline()
        if not head:
            break
        solver, ms, n, models, seed = head.split()
        query = inp.read(int(n)).decode()
        try:
            r = (bitwuzla if solver == b'bitwuzla' else newer_z3)(query, int(ms), int(models), int(seed))
        except Exception as e:
            r = 'error ' + str(e).replace('\\n', ' ')
        say(r)
    """

    private static let lock = NSLock(), probing = NSLock()
    nonisolated(unsafe) private static var idle: [Worker] = []
    nonisolated(unsafe) private static var probed: [ExternalSolver: String]?

    /// The solvers a worker can import, by version (probed once). The pip Z3 counts only when it is
    /// newer than the libz3 hugealign links: the same Z3 again would only repeat the work.
    static var installed: [ExternalSolver: String] {
        lock.lock()
        if let p = probed { lock.unlock(); return p }
        lock.unlock()
        // One probe at a time: a caller during the background one (`startWorkers`) waits for its
        // answer instead of starting Python again beside it.
        probing.lock()
        defer { probing.unlock() }
        lock.lock()
        if let p = probed { lock.unlock(); return p }
        lock.unlock()
        let w = Worker.start()
        lock.lock()
        defer { lock.unlock() }
        if probed == nil {
            var found = w?.versions ?? [:]
            if let v = found[.z3], !isNewer(v, than: linkedZ3Version) { found[.z3] = nil }
            probed = found
        }
        if let w {
            idle.append(w)
            // A property asks two workers at once (a pruning race, obligations side by side): the
            // others start meanwhile rather than when the first such check waits for them.
            for _ in 1..<max(2, ProcessInfo.processInfo.activeProcessorCount) { replace() }
        }
        return probed!
    }

    /// Probes the solvers (`installed`) in the background, which starts the workers' pool: a
    /// caller that will check soon lets Python start meanwhile.
    public static func startWorkers() {
        DispatchQueue.global().async { _ = installed }
    }

    /// This solver's version, or nil when `python3` cannot import it (or, for Z3, when the pip one
    /// is not newer than the linked one).
    public var version: String? { Self.installed[self] }

    /// The version of the libz3 hugealign is linked with.
    public static var linkedZ3Version: String {
        var major: UInt32 = 0, minor: UInt32 = 0, build: UInt32 = 0, revision: UInt32 = 0
        Z3_get_version(&major, &minor, &build, &revision)
        return "\(major).\(minor).\(build)"
    }

    /// Whether version `a` is above `b`, number by number ("5.4.1" > "4.8.12").
    static func isNewer(_ a: String, than b: String) -> Bool { a.compare(b, options: .numeric) == .orderedDescending }

    /// Decides `query` (SMT-LIB2) within `milliseconds`: sat, unsat, or unknown with the reason.
    /// `running` is told the worker while it runs, so that another thread can `cancel` it.
    public func check(_ query: String, milliseconds: UInt32, seed: Int = 0, running: (Worker?) -> Void = { _ in }) -> CheckResult {
        check(query, milliseconds: milliseconds, models: false, seed: seed, running: running).result
    }

    /// As `check`, and with `models` the value of every declared constant after `sat` (Booleans as
    /// 1 or 0), by name (Bitwuzla only).
    public func check(_ query: String, milliseconds: UInt32, models: Bool, seed: Int = 0,
                      running: (Worker?) -> Void = { _ in }) -> (result: CheckResult, model: [String: UInt64]) {
        guard version != nil else { return (.unknown(reason: "\(rawValue) is not installed"), [:]) }
        Self.lock.lock()
        var w = Self.idle.popLast()
        Self.lock.unlock()
        if w == nil { w = Worker.start() }
        guard let w else { return (.unknown(reason: "\(rawValue) worker did not start"), [:]) }
        running(w)
        let answer = w.ask(self, query, milliseconds: milliseconds, models: models && self == .bitwuzla, seed: seed)
        running(nil)
        if w.alive {
            Self.lock.lock()
            Self.idle.append(w)
            Self.lock.unlock()
        } else {
            w.reap()
        }
        guard let answer else { return (.unknown(reason: "\(rawValue) worker stopped"), [:]) }
        let words = answer.split(separator: " ")
        switch words.first {
        case "unsat": return (.unsat, [:])
        case "sat":
            var model: [String: UInt64] = [:]
            for w in words.dropFirst() {
                guard let eq = w.firstIndex(of: "="), let v = UInt64(w[w.index(after: eq)...], radix: 16) else { continue }
                model[String(w[..<eq])] = v
            }
            return (.sat, model)
        default: return (.unknown(reason: "\(rawValue): \(answer)"), [:])
        }
    }

    /// Starts a worker in the background for the idle pool (in place of one a race killed, or
    /// ahead of the first checks): a check need not wait for Python to start and import its
    /// solvers (0.15–0.3 s).
    static func replace() {
        Thread.detachNewThread {
            guard let w = Worker.start() else { return }
            lock.lock()
            idle.append(w)
            lock.unlock()
        }
    }

    /// A `python3` process running `script`, owned by one check at a time.
    public final class Worker: @unchecked Sendable {
        let pid: pid_t
        let input: Int32
        let output: Int32
        /// What the worker could import, by version.
        public private(set) var versions: [ExternalSolver: String] = [:]
        private let stateLock = NSLock()
        private var killed = false
        private var reaped = false
        var alive: Bool { stateLock.lock(); defer { stateLock.unlock() }; return !killed }

        private init(pid: pid_t, input: Int32, output: Int32) {
            self.pid = pid
            self.input = input
            self.output = output
        }

        /// Starts a worker (`$HUGEALIGN_PYTHON`, else `python3` on the PATH); nil when it can
        /// import neither solver.
        static func start() -> Worker? {
            // A worker that dies must fail our write with EPIPE, not end this process.
            signal(SIGPIPE, SIG_IGN)
            let python = ProcessInfo.processInfo.environment["HUGEALIGN_PYTHON"] ?? "python3"
            var toChild: [Int32] = [0, 0], fromChild: [Int32] = [0, 0]
            // Close-on-exec at once: a child another thread spawns meanwhile (a second worker, a
            // compiler) should not inherit this worker's pipes.
            guard hugealign_pipe_cloexec(&toChild) == 0 else { return nil }
            guard hugealign_pipe_cloexec(&fromChild) == 0 else { close(toChild[0]); close(toChild[1]); return nil }
            let argv = ["/usr/bin/env", python, "-u", "-c", script]
            let cargs: [UnsafeMutablePointer<CChar>?] = argv.map { strdup($0) } + [nil]
            defer { for p in cargs { free(p) } }
            var pid: pid_t = 0
            let rc = hugealign_spawn(&pid, "/usr/bin/env", cargs, toChild[0], fromChild[1], -1, 0)
            close(toChild[0])
            close(fromChild[1])
            guard rc == 0 else { close(toChild[1]); close(fromChild[0]); return nil }
            let w = Worker(pid: pid, input: toChild[1], output: fromChild[0])
            guard let hello = w.readLine(timeoutMilliseconds: 20_000), hello.hasPrefix("ready ") else {
                w.reap()
                return nil
            }
            for word in hello.dropFirst(6).split(separator: " ") {
                let parts = word.split(separator: "=", maxSplits: 1)
                if parts.count == 2, let solver = ExternalSolver(rawValue: String(parts[0])) { w.versions[solver] = String(parts[1]) }
            }
            return w
        }

        /// The worker's answer, or nil when it died, was killed, or overran its limit by 5 s.
        func ask(_ solver: ExternalSolver, _ query: String, milliseconds: UInt32, models: Bool, seed: Int) -> String? {
            let body = Array(query.utf8)
            let head = Array("\(solver.rawValue) \(milliseconds) \(body.count) \(models ? 1 : 0) \(seed)\n".utf8)
            guard writeAll(head), writeAll(body) else { reap(); return nil }
            guard let line = readLine(timeoutMilliseconds: Int(milliseconds) + 5_000) else { reap(); return nil }
            return line
        }

        /// Stops the worker at once (a canceled check): safe from any thread; the owner reaps it.
        public func cancel() {
            stateLock.lock()
            defer { stateLock.unlock() }
            guard !killed else { return }
            killed = true
            _ = kill(pid, SIGKILL)
        }

        /// Stops the worker and releases its process and pipes (by its owner, once it is done with it).
        func reap() {
            cancel()
            stateLock.lock()
            defer { stateLock.unlock() }
            guard !reaped else { return }
            reaped = true
            var status: Int32 = 0
            _ = waitpid(pid, &status, 0)
            close(input)
            close(output)
        }

        deinit { reap() }

        private func writeAll(_ bytes: [UInt8]) -> Bool {
            var offset = 0
            while offset < bytes.count {
                let n = bytes.withUnsafeBytes { write(input, $0.baseAddress! + offset, bytes.count - offset) }
                if n < 0 && errno == EINTR { continue }
                guard n > 0 else { return false }
                offset += n
            }
            return true
        }

        private func readLine(timeoutMilliseconds: Int) -> String? {
            var line: [UInt8] = []
            let deadline = ContinuousClock.now.advanced(by: .milliseconds(timeoutMilliseconds))
            var byte: UInt8 = 0
            while true {
                let left = deadline - ContinuousClock.now
                let ms = Int32(clamping: max(0, left.components.seconds * 1000 + left.components.attoseconds / 1_000_000_000_000_000))
                var p = pollfd(fd: output, events: Int16(POLLIN), revents: 0)
                let r = poll(&p, 1, ms)
                if r < 0 && errno == EINTR { continue }
                guard r > 0 else { return nil }
                let n = read(output, &byte, 1)
                if n < 0 && errno == EINTR { continue }
                guard n == 1 else { return nil }
                if byte == UInt8(ascii: "\n") { return String(decoding: line, as: UTF8.self) }
                line.append(byte)
            }
        }
    }
}

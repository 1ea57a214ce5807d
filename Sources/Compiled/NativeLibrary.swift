import CLinux
import Foundation

/// Why C could not be turned into loaded code (no compiler, a compiler error, dlopen failing).
public struct NativeCodeError: Error, CustomStringConvertible, Sendable {
    public var message: String
    public var description: String { message }
    public init(message: String) { self.message = message }
}

/// C source compiled by the system's compiler into a shared object and loaded into this process.
///
/// Objects are cached by a hash of their source, on disk (`$XDG_CACHE_HOME/hugealign/native`, or
/// `~/.cache/hugealign/native`) and in the process, so a spec is compiled once per machine and
/// loaded once per process whatever the number of runners. Writes go through a temporary name and
/// a rename, so parallel processes never load a half-written object.
public final class NativeLibrary: @unchecked Sendable {
    let handle: UnsafeMutableRawPointer
    public let path: String

    init(handle: UnsafeMutableRawPointer, path: String) {
        self.handle = handle
        self.path = path
    }

    public func symbol(_ name: String) -> UnsafeMutableRawPointer? { dlsym(handle, name) }

    nonisolated(unsafe) private static var loaded: [String: NativeLibrary] = [:]
    private static let lock = NSLock()

    /// The compiler: `$HUGEALIGN_CC`, `$CC` or `cc`, found on PATH.
    public static var compiler: String? {
        let env = ProcessInfo.processInfo.environment
        return executable(env["HUGEALIGN_CC"] ?? env["CC"] ?? "cc", env)
    }

    static var cacheDirectory: String {
        let env = ProcessInfo.processInfo.environment
        let base = env["XDG_CACHE_HOME"] ?? (env["HOME"].map { "\($0)/.cache" } ?? NSTemporaryDirectory())
        return "\(base)/hugealign/native"
    }

    /// FNV-1a over the source: a name for the object, not a defence against collisions made on purpose.
    static func key(_ source: String) -> String {
        var h: UInt64 = 0xcbf2_9ce4_8422_2325
        for b in source.utf8 { h = (h ^ UInt64(b)) &* 0x100_0000_01b3 }
        return String(h, radix: 16) + "-" + String(source.utf8.count, radix: 16)
    }

    /// The optimisation level: `$HUGEALIGN_CC_OPT` (-O0 … -O3), else -O2: 1.3–1.5 s for a kernel
    /// model's unit where -O1 takes 0.9–1.0 s, for runs 10–20 % faster (fuzzing and model checking,
    /// December 2026). The quick build runs the campaign meanwhile.
    public static var optimisation: String {
        let o = ProcessInfo.processInfo.environment["HUGEALIGN_CC_OPT"] ?? "-O2"
        return ["-O0", "-O1", "-O2", "-O3", "-Os"].contains(o) ? o : "-O2"
    }

    /// The level of a build made with `quickCompiler` instead of the C compiler.
    public static let quick = "quick"

    /// The compiler of the first, quick build: `$HUGEALIGN_QUICK_CC`, else `tcc` on PATH ("none"
    /// or an empty value: no quick build). tcc builds a kernel model's unit in about 15 ms where
    /// `cc -O0` takes 0.3–0.6 s, and a campaign runs through the evaluator (20–40 times slower)
    /// until a build arrives; its code is about as fast as -O0's.
    public static var quickCompiler: String? {
        let env = ProcessInfo.processInfo.environment
        let name = env["HUGEALIGN_QUICK_CC"] ?? "tcc"
        if name.isEmpty || name == "none" { return nil }
        return executable(name, env)
    }

    /// The level of the first build of a unit whose optimised object is not cached: `quick`
    /// when there is a quick compiler, else -O0 (a third of -O2's time).
    public static var firstLevel: String { quickCompiler == nil ? "-O0" : quick }

    static func executable(_ name: String, _ env: [String: String]) -> String? {
        if name.contains("/") { return FileManager.default.isExecutableFile(atPath: name) ? name : nil }
        for dir in (env["PATH"] ?? "/usr/bin:/bin").split(separator: ":") {
            let p = "\(dir)/\(name)"
            if FileManager.default.isExecutableFile(atPath: p) { return p }
        }
        return nil
    }

    /// Whether an object for `source` at `level` is on disk already.
    public static func isCached(source: String, optimisation level: String = optimisation) -> Bool {
        FileManager.default.fileExists(atPath: "\(cacheDirectory)/\(key(level + "\n" + source)).so")
    }

    /// The loaded object for `source`, compiling it when no cached object exists.
    /// `started` sees the compiler's process (to stop a compile nobody waits for any more).
    public static func load(source: String, optimisation: String = optimisation, started: ((CompilerProcess) -> Void)? = nil) throws -> NativeLibrary {
        let key = key(optimisation + "\n" + source)
        lock.lock()
        let known = loaded[key]
        lock.unlock()
        if let known { return known }
        // Compiles run outside the lock: two units compile side by side, and the same unit
        // compiled twice at once ends as one object (the rename is atomic; dlopen shares it).
        let dir = cacheDirectory
        try? FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        let object = "\(dir)/\(key).so"
        if !FileManager.default.fileExists(atPath: object) {
            try compile(source, to: object, in: dir, optimisation: optimisation, started: started)
        }
        guard let h = dlopen(object, RTLD_NOW | RTLD_LOCAL) else {
            throw NativeCodeError(message: "cannot load \(object): \(String(cString: dlerror()))")
        }
        lock.lock()
        defer { lock.unlock() }
        if let l = loaded[key] { return l }
        let l = NativeLibrary(handle: h, path: object)
        loaded[key] = l
        return l
    }

    static func compile(_ source: String, to object: String, in dir: String, optimisation: String, started: ((CompilerProcess) -> Void)?) throws {
        let isQuick = optimisation == quick
        guard let cc = isQuick ? quickCompiler : compiler else {
            throw NativeCodeError(message: isQuick ? "no quick compiler (install tcc, or set HUGEALIGN_QUICK_CC)"
                                                   : "no C compiler (install gcc, or set HUGEALIGN_CC)")
        }
        let unique = "\(ProcessInfo.processInfo.processIdentifier)-\(UInt64.random(in: 0 ... .max))"
        let c = "\(dir)/\(unique).c", tmp = "\(dir)/\(unique).so"
        defer { try? FileManager.default.removeItem(atPath: tmp) }
        guard FileManager.default.createFile(atPath: c, contents: Data(source.utf8)) else {
            throw NativeCodeError(message: "cannot write \(c)")
        }
        // tcc links no C runtime into the object (-nostdlib): libc's symbols are this process's,
        // resolved by dlopen, and reading libc.so's script and symbols took 1.7 of tcc's 8 ms.
        let runtime = isQuick && URL(fileURLWithPath: cc).lastPathComponent.hasSuffix("tcc") ? ["-nostdlib"] : []
        let arguments = (isQuick ? [] : [optimisation]) + runtime + ["-shared", "-fPIC", "-w", "-o", tmp, c]
        var fds: [Int32] = [0, 0]
        guard hugealign_pipe_cloexec(&fds) == 0 else {
            throw NativeCodeError(message: "cannot make a pipe for \(cc): \(String(cString: strerror(errno)))")
        }
        let p: CompilerProcess
        do {
            p = try CompilerProcess(executable: cc, arguments: arguments, stderr: fds[1])
        } catch {
            close(fds[0]); close(fds[1])
            throw error
        }
        close(fds[1])
        started?(p)
        let diagnostics = FileHandle(fileDescriptor: fds[0], closeOnDealloc: true).readDataToEndOfFile()
        let status = p.wait()
        guard let status else {
            try? FileManager.default.removeItem(atPath: c)
            throw NativeCodeError(message: "the compile of \(object) was stopped")
        }
        guard status == 0 else {
            // The source stays for the report.
            let text = String(decoding: diagnostics.prefix(2000), as: UTF8.self)
            throw NativeCodeError(message: "\(cc) failed on the compiled form (\(c)):\n\(text)")
        }
        // The source stays beside the object, to read what runs.
        _ = rename(c, String(object.dropLast(3)) + ".c")
        guard rename(tmp, object) == 0 else {
            throw NativeCodeError(message: "cannot move the compiled object to \(object): \(String(cString: strerror(errno)))")
        }
    }
}

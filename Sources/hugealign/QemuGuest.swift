import Foundation
import Placement

/// A Debian kernel booted under qemu with the static probe (probe/live-probe.c) as its /init:
/// `live --qemu` makes its requests there. The probe answers over a virtio console (qemu's
/// stdin/stdout here); the guest kernel's own console goes to a file, quoted when it fails.
/// Every wait is bounded: a guest that does not boot or stops answering is an error, never a hang.
final class QemuGuest: LiveTarget {
    /// Why `live --qemu` could not run: a missing part (qemu, a compiler, the kernel), or a guest
    /// that did not boot or answer. Each is reported with what to do, and exits with `exitCode`.
    struct Failure: Error, CustomStringConvertible {
        let message: String
        /// 3: a prerequisite is missing (install it); 4: the guest failed (boot, answer, protocol).
        let exitCode: Int32
        var description: String { message }
        static let missingExit = ExitStatus.missingPrerequisite.rawValue
        static let guestExit = ExitStatus.guestFailed.rawValue
    }

    /// The architecture's qemu, compiler and consoles.
    struct Machine {
        let arch: String
        let qemu: String
        let compiler: String
        let qemuArguments: [String]
        let console: String

        static func of(_ config: Config) throws -> Machine {
            let la57 = (config.value("TASK_SIZE") ?? 0) > 1 << 48
            if (config.value("CONFIG_ARM64") ?? 0) != 0 {
                // cortex-a72: 48-bit virtual addresses (no LPA2), as the arm64 configs state.
                return Machine(arch: "arm64", qemu: "qemu-system-aarch64", compiler: "aarch64-linux-gnu-gcc",
                               qemuArguments: ["-M", "virt", "-cpu", "cortex-a72"], console: "ttyAMA0")
            }
            guard (config.value("CONFIG_X86_64") ?? 0) != 0 || config.name.hasPrefix("x86_64") else {
                throw Failure(message: "--qemu runs x86-64 and arm64 configurations; \(config.name) is neither", exitCode: ExitStatus.usage.rawValue)
            }
            return Machine(arch: "amd64", qemu: "qemu-system-x86_64", compiler: "cc",
                           qemuArguments: ["-M", "q35", "-cpu", la57 ? "max,+la57" : "max,-la57"], console: "ttyS0")
        }
    }

    let machine: Machine
    let work: String
    let process = Process()
    /// qemu's stdin and stdout: the probe's virtio console (kept here: a released Pipe closes its ends).
    private let pipeIn = Pipe(), pipeOut = Pipe()
    private var toGuest: FileHandle { pipeIn.fileHandleForWriting }
    private var fromGuest: Int32 { pipeOut.fileHandleForReading.fileDescriptor }
    private var pending: [UInt8] = []
    /// /proc/self/maps of the guest as the last `map` call saw it.
    private(set) var lastMaps = ""
    let timeoutSeconds: Double
    let kernelPath: String

    var hasDiskFile: Bool { false }
    var hasMemfd: Bool { true }
    var hasHugetlbfsFile: Bool { true }
    let tmpfsMounts: [(huge: String, value: UInt64)] = LiveTmpfs.options.map { ($0.0, $0.1) }

    /// Builds the probe and the initramfs, and boots `kernel` (a vmlinuz, or a linux-image .deb).
    init(config: Config, kernel: String, probeSource: String, layout: String = "default", bootTimeout: Double, timeout: Double) throws {
        machine = try Machine.of(config)
        timeoutSeconds = timeout
        // A guest that has stopped makes a write to qemu's stdin fail with EPIPE (reported as the
        // guest's failure), not a SIGPIPE that kills this process with exit 13.
        signal(SIGPIPE, SIG_IGN)
        work = NSTemporaryDirectory() + "hugealign-qemu-\(getpid())"
        try? FileManager.default.removeItem(atPath: work)
        try FileManager.default.createDirectory(atPath: work, withIntermediateDirectories: true)
        guard let qemu = QemuGuest.which(machine.qemu) else {
            throw Failure(message: "\(machine.qemu) is not installed (Debian: apt-get install \(machine.arch == "arm64" ? "qemu-system-arm" : "qemu-system-x86"))",
                          exitCode: Failure.missingExit)
        }
        guard let cc = QemuGuest.which(machine.compiler) else {
            throw Failure(message: "\(machine.compiler) is not installed: it builds the static probe (Debian: apt-get install \(machine.arch == "arm64" ? "gcc-aarch64-linux-gnu libc6-dev-arm64-cross" : "gcc libc6-dev"))",
                          exitCode: Failure.missingExit)
        }
        kernelPath = try QemuGuest.kernelImage(kernel, into: work)
        let probe = work + "/init"
        try QemuGuest.run(cc, ["-static", "-O2", "-o", probe, probeSource], what: "building the probe (\(probeSource))")
        try NewcArchive.write(to: work + "/initrd.cpio", files: [("init", try Data(contentsOf: URL(fileURLWithPath: probe)), 0o100755)])

        process.executableURL = URL(fileURLWithPath: qemu)
        process.arguments = machine.qemuArguments + [
            // 4 GiB: a shared anonymous mapping is charged to the commit limit at mmap time, and the
            // requests go up to 2 GiB (qemu allocates guest memory only as it is touched).
            "-m", "4096", "-smp", "1", "-display", "none", "-nic", "none", "-no-reboot", "-monitor", "none",
            "-kernel", kernelPath, "-initrd", work + "/initrd.cpio",
            "-append", "console=\(machine.console) quiet panic=-1 hugealign.layout=\(layout)",
            "-serial", "file:\(work)/console.log",
            "-device", "virtio-serial-pci", "-chardev", "stdio,id=probe", "-device", "virtconsole,chardev=probe",
        ]
        process.standardInput = pipeIn
        process.standardOutput = pipeOut
        process.standardError = FileHandle(forWritingAtPath: "/dev/null")
        do {
            try process.run()
        } catch {
            throw Failure(message: "cannot start \(qemu): \(error)", exitCode: Failure.missingExit)
        }
        _ = try reply(prefix: "@READY", timeout: bootTimeout, what: "the guest to boot")
    }

    deinit { stop() }

    /// Powers the guest off (or kills qemu) and removes the work folder.
    func stop() {
        if process.isRunning {
            try? toGuest.write(contentsOf: Data("Q\n".utf8))
            let deadline = Date().addingTimeInterval(5)
            while process.isRunning && Date() < deadline { usleep(20_000) }
            if process.isRunning { process.terminate() }
        }
        try? FileManager.default.removeItem(atPath: work)
    }

    // MARK: - The protocol

    private func send(_ command: String) throws {
        do { try toGuest.write(contentsOf: Data((command + "\n").utf8)) } catch {
            throw Failure(message: "the guest stopped (qemu exited)\(consoleTail())", exitCode: Failure.guestExit)
        }
    }

    /// The next line the guest sends, without its newline, within the deadline.
    private func nextLine(until deadline: Date, what: String) throws -> String {
        while true {
            if let nl = pending.firstIndex(of: 10) {
                let line = String(decoding: pending[..<nl], as: UTF8.self)
                pending.removeSubrange(...nl)
                return line.hasSuffix("\r") ? String(line.dropLast()) : line
            }
            let left = deadline.timeIntervalSinceNow
            guard left > 0 else { throw Failure(message: "timed out waiting for \(what)\(consoleTail())", exitCode: Failure.guestExit) }
            var p = pollfd(fd: fromGuest, events: Int16(POLLIN), revents: 0)
            let r = poll(&p, 1, Int32(min(left, 1) * 1000))
            if r < 0 && errno == EINTR { continue }
            if r <= 0 { continue }
            var chunk = [UInt8](repeating: 0, count: 65536)
            let n = read(fromGuest, &chunk, chunk.count)
            if n <= 0 { throw Failure(message: "the guest stopped while \(what) was awaited\(consoleTail())", exitCode: Failure.guestExit) }
            pending.append(contentsOf: chunk[0..<n])
        }
    }

    /// The first line starting with `prefix` (other output, like the tty's echo, is skipped).
    private func reply(prefix: String, timeout: Double, what: String) throws -> String {
        let deadline = Date().addingTimeInterval(timeout)
        while true {
            let line = try nextLine(until: deadline, what: what)
            if line.hasPrefix(prefix) { return String(line.dropFirst(prefix.count)).trimmingCharacters(in: .whitespaces) }
        }
    }

    private func ask(_ command: String, _ prefix: String) throws -> String {
        try send(command)
        return try reply(prefix: prefix, timeout: timeoutSeconds, what: "the answer to \(command.prefix(40))")
    }

    /// A file of the guest (sysctls, sysfs modes), nil when it cannot be read there.
    func readFile(_ path: String) throws -> String? {
        let hex = try ask("F \(path)", "@F")
        if hex == "-" { return nil }
        var bytes: [UInt8] = []
        var i = hex.startIndex
        while i < hex.endIndex, let j = hex.index(i, offsetBy: 2, limitedBy: hex.endIndex), let b = UInt8(hex[i..<j], radix: 16) {
            bytes.append(b)
            i = j
        }
        return String(decoding: bytes, as: UTF8.self)
    }

    /// The probe's process: page size, uid, stack rlimit, personality and where a one-page hint
    /// of PAGE_SIZE lands (mmap_min_addr as the kernel enforces it).
    func processState() throws -> (page: UInt64, root: Bool, stackRlimit: UInt64, personality: UInt, raisedHint: UInt64?) {
        let words = try ask("S", "@S").split(separator: " ").compactMap { UInt64($0, radix: 16) }
        guard words.count == 5 else { throw Failure(message: "the probe's state line is malformed", exitCode: Failure.guestExit) }
        return (words[0], words[1] == 0, words[2], UInt(words[3]), words[4] == 0 ? nil : words[4])
    }

    /// Reserves huge pages in the guest; how many there are now.
    func reserveHugePages(_ n: Int) throws -> Int {
        Int(try ask("H \(String(n, radix: 16))", "@H"), radix: 16) ?? 0
    }

    func map(_ r: LiveRequest) throws -> UInt64 {
        let kind: String
        switch r.kind {
        case .anonPrivate: kind = "a"
        case .anonShared: kind = "s"
        case .memfd, .file: kind = "m"
        case .hugetlb: kind = "h"
        case .tmpfs: kind = "t"
        case .hugetlbfs: kind = "g"
        }
        let words = [r.hint, r.length, UInt64(UInt32(bitPattern: r.flags)), r.pgoff, UInt64(r.tmpfsMount ?? 0)].map { String($0, radix: 16) }
        let result = try ask("M \(kind) " + words.joined(separator: " "), "@M")
        guard let value = UInt64(result, radix: 16) else { throw Failure(message: "the probe did not understand a request (\(result))", exitCode: Failure.guestExit) }
        var maps = ""
        let deadline = Date().addingTimeInterval(timeoutSeconds)
        while true {
            let line = try nextLine(until: deadline, what: "the guest's maps")
            if line == "@E" { break }
            maps += line + "\n"
        }
        lastMaps = maps
        return value
    }

    func unmap(_ address: UInt64, _ length: UInt64) throws {
        _ = try ask("U \(String(address, radix: 16)) \(String(length, radix: 16))", "@U")
    }

    // MARK: - Set-up

    /// The last lines of the guest kernel's console, to show with a failure.
    private func consoleTail() -> String {
        guard let text = readWholeFile(work + "/console.log"), !text.isEmpty else { return " (the guest's console is empty)" }
        let lines = text.split(separator: "\n").suffix(8).map { "    " + $0.replacingOccurrences(of: "\u{1b}", with: "") }
        return "; the guest's console ends with:\n" + lines.joined(separator: "\n")
    }

    static func which(_ name: String) -> String? {
        if name.contains("/") { return FileManager.default.isExecutableFile(atPath: name) ? name : nil }
        for dir in (ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin").split(separator: ":") {
            let p = "\(dir)/\(name)"
            if FileManager.default.isExecutableFile(atPath: p) { return p }
        }
        return nil
    }

    /// The kernel image: `path` itself, or the vmlinuz inside a linux-image .deb (unpacked here).
    static func kernelImage(_ path: String, into work: String) throws -> String {
        guard FileManager.default.fileExists(atPath: path) else {
            throw Failure(message: "no kernel at \(path) (fetch one with, e.g., apt-get download linux-image-6.12.117+deb12-amd64-unsigned; see docs/live-qemu.md)",
                          exitCode: Failure.missingExit)
        }
        guard path.hasSuffix(".deb") else { return path }
        guard let dpkg = which("dpkg-deb") else { throw Failure(message: "dpkg-deb is needed to unpack \(path)", exitCode: Failure.missingExit) }
        try run(dpkg, ["-x", path, work + "/deb"], what: "unpacking \(path)")
        let boot = work + "/deb/boot"
        guard let image = (try? FileManager.default.contentsOfDirectory(atPath: boot))?.first(where: { $0.hasPrefix("vmlinuz") || $0.hasPrefix("vmlinux") }) else {
            throw Failure(message: "\(path) holds no /boot/vmlinuz: not a linux-image package", exitCode: Failure.missingExit)
        }
        return boot + "/" + image
    }

    static func run(_ tool: String, _ arguments: [String], what: String) throws {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: tool)
        p.arguments = arguments
        let err = Pipe()
        p.standardError = err
        p.standardOutput = FileHandle(forWritingAtPath: "/dev/null")
        try p.run()
        let message = err.fileHandleForReading.readDataToEndOfFile()
        p.waitUntilExit()
        guard p.terminationStatus == 0 else {
            throw Failure(message: "\(what) failed: \(String(decoding: message, as: UTF8.self).prefix(600))", exitCode: Failure.missingExit)
        }
    }
}

/// The initramfs format the kernel unpacks: a cpio archive in the "newc" form (uncompressed).
enum NewcArchive {
    static func write(to path: String, files: [(name: String, data: Data, mode: UInt32)]) throws {
        var out = Data()
        func pad() { while out.count % 4 != 0 { out.append(0) } }
        func entry(_ name: String, _ data: Data, _ mode: UInt32, _ ino: Int) {
            let fields = [ino, Int(mode), 0, 0, 1, 0, data.count, 0, 0, 0, 0, name.utf8.count + 1, 0]
            out.append(Data(("070701" + fields.map { String(format: "%08X", $0) }.joined()).utf8))
            out.append(Data(name.utf8))
            out.append(0)
            pad()
            out.append(data)
            pad()
        }
        for (i, f) in files.enumerated() { entry(f.name, f.data, f.mode, i + 1) }
        entry("TRAILER!!!", Data(), 0, 0)
        try out.write(to: URL(fileURLWithPath: path))
    }
}

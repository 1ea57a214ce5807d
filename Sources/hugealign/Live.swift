import ArgumentParser
import CLinux
import Foundation
import KernelTree
import Placement

struct Live: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Compare the x86-64 model with real mmap() calls on this machine (Linux only).",
        discussion: """
        Runs a child process without address randomisation (personality ADDR_NO_RANDOMIZE, so the \
        mmap bases follow from the stack rlimit; with --randomize it keeps randomisation and reads \
        the mmap base back from where the kernel put the ELF interpreter). Before each mmap the child reads /proc/self/maps, \
        predicts the address with specs/kernel/v6.18/mmap.spec (do_mmap_placement) under a config \
        read from this machine (mmap_min_addr measured: the sysctl shows only dac_mmap_min_addr), \
        makes the call, and compares addresses and errno values. Requests: private and shared \
        anonymous memory, a file on the local filesystem, a memfd; no hint, hints, unaligned hints, \
        hints below mmap_min_addr and above the 47-bit window; lengths around PMD and PUD \
        multiples, zero and beyond the task; offsets with interesting low bits; MAP_FIXED_NOREPLACE, \
        MAP_FIXED over the child's own mappings and at unaligned addresses, MAP_32BIT, MAP_STACK, \
        MAP_GROWSDOWN (unmapped at once: /proc/self/maps does not show its guard gap), \
        MAP_NORESERVE, MAP_POPULATE; as root also MAP_HUGETLB (64 huge pages of 2 MiB are reserved \
        for the run and the pool's size restored after it), a file on hugetlbfs and files on tmpfs \
        mounts with every huge= option (never, always, within_size, advise), mounted in a private \
        mount namespace. Agreement is reported per request class; a disagreement shows \
        the kernel's VmFlags of the VMAs around it.

        With --qemu CONFIG --kernel DEB the requests are made in a Debian kernel booted under qemu \
        (x86_64-la57: 5-level paging; arm64-4k) by a static probe, and predicted here with CONFIG \
        and the guest's machine state (docs/live-qemu.md). Exit codes: 3 a missing qemu, compiler \
        or kernel; 4 a guest that did not boot or stopped answering; 10 disagreements.
        """)

    @Option(parsing: .unconditional, help: "Number of mmap requests.") var count: Int = 1000
    @Option(help: "Random seed (requests are reproducible for a seed).") var seed: UInt64 = 1
    @Flag(help: "Print the report as JSON.") var json = false
    @Flag(help: "As root: touch THP-eligible mappings and check in /proc/self/pagemap that VA ≡ PA (mod 2 MiB) where a huge page was mapped.")
    var pagemap = false
    @OptionGroup var tree: KernelTreeOptions

    @Option(help: "The model spec (default: specs/kernel/v6.18/mmap.spec of this checkout).") var model: String?
    @Flag(help: "Keep address randomisation: the mmap base is then read back from the child's own layout (where the kernel put the ELF interpreter).")
    var randomize = false
    @Option(help: "Also write what the probe saw (layout, request, result per line) to this log, to check elsewhere with --from-log.")
    var log: String?
    @Option(help: "Check a recorded log (from --log) instead of calling mmap: on any machine, no root or Linux needed.")
    var fromLog: String?
    @Option(help: "With --from-log: the configuration to check against; the log's machine state (mmap bases, mmap_min_addr, layout, shmem settings) is applied to it. Default: exactly the configuration the probe read.")
    var config: ConfigArgument?
    @Option(help: "Make the requests in a kernel booted under qemu instead of on this machine, and check them with this configuration (x86_64, x86_64-la57: 5-level paging, arm64-4k); needs --kernel. See docs/live-qemu.md.")
    var qemu: ConfigArgument?
    @Option(help: "With --qemu: the kernel to boot, a vmlinuz or a Debian linux-image .deb of the configuration's architecture.")
    var kernel: String?
    @Option(help: "With --qemu: seconds the guest may take to boot (software emulation is slow).")
    var bootTimeout: Double = 300
    @Option(help: "With --qemu: the probe's layout: default, legacy (personality ADDR_COMPAT_LAYOUT, as setarch -L) or unlimited-stack (an unlimited stack rlimit: the legacy layout on arm64, a lower mmap_base on x86-64).")
    var guestLayout: GuestLayout = .default

    enum GuestLayout: String, ExpressibleByArgument, CaseIterable {
        case `default`, legacy, unlimitedStack = "unlimited-stack"
    }

    func validate() throws {
        guard count > 0 else { throw ValidationError("--count must be positive") }
        if config != nil && fromLog == nil { throw ValidationError("--config applies to --from-log only (live reads this machine's configuration)") }
        if fromLog != nil && (log != nil || pagemap || randomize) { throw ValidationError("--from-log checks a log: --log, --pagemap and --randomize need the live probe") }
        if qemu != nil && (fromLog != nil || pagemap || randomize) { throw ValidationError("--qemu runs its own probe: not with --from-log, --pagemap or --randomize") }
        if qemu != nil && kernel == nil { throw ValidationError("--qemu needs --kernel (a vmlinuz or a linux-image .deb; see docs/live-qemu.md)") }
        if (kernel != nil || guestLayout != .default) && qemu == nil { throw ValidationError("--kernel and --guest-layout apply to --qemu only") }
    }

    func run() throws {
        if let fromLog { return try checkLog(fromLog) }
        if let qemu, let kernel { return try runQemu(qemu.config, kernel: kernel) }
        #if os(Linux)
        let exe = try FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe")
        // Inherited by the exec'd child: its mmap bases are not randomised.
        let current = UInt(bitPattern: Int(hugealign_personality(LinuxUAPI.PER_QUERY)))
        _ = hugealign_personality(randomize ? current & ~LinuxUAPI.ADDR_NO_RANDOMIZE : current | LinuxUAPI.ADDR_NO_RANDOMIZE)
        let p = Process()
        p.executableURL = URL(fileURLWithPath: exe)
        var args = ["live-child", "--count", String(count), "--seed", String(seed), "--model", modelPath()]
        if let t = tree.kernelTree {
            _ = try KernelTree(path: t)   // a bad tree is reported here, before the child starts
            args += ["--kernel-tree", t]
        }
        if json { args.append("--json") }
        if pagemap { args.append("--pagemap") }
        if randomize { args.append("--randomized") }
        if let log { args += ["--log", (log as NSString).isAbsolutePath ? log : FileManager.default.currentDirectoryPath + "/" + log] }
        let (hugePages, why) = LiveHugePages.reserve()
        defer { hugePages?.restore() }
        if hugePages != nil { args.append("--hugetlb") } else if let why { FileHandleStream.standardError.write("hugealign live: \(why)\n") }
        p.arguments = args
        try p.run()
        // Ctrl-C reaches the child from the terminal; SIGTERM (or a Ctrl-C sent to this process
        // alone) is passed on, and the child stops and prints what it compared.
        let child = p.processIdentifier
        let interruption = Interruption { kill(child, SIGINT) }
        p.waitUntilExit()
        _ = interruption
        if p.terminationStatus != 0 { throw ExitCode(p.terminationStatus) }
        #else
        FileHandleStream.standardError.write("hugealign live: only on Linux (it calls the running kernel's mmap)\n")
        throw ExitCode(ExitStatus.usage.rawValue)
        #endif
    }

    /// `--from-log`: the recorded requests predicted again with the model, under the probe's
    /// configuration or `--config` with the probe's machine state, and compared with what the
    /// kernel returned there.
    func checkLog(_ path: String) throws {
        let (header, entries) = try LiveLog.read(path: path)
        var c: Config
        if let named = config?.config {
            c = named
            for (k, v) in header.values where Config.machineStateKeys.contains(k) { c.values[k] = v }
        } else {
            c = Config.x86_64
            c.name = header.config
            for (k, v) in header.values { c.values[k] = v }
        }
        let predictor = try LivePredictor(model: modelPath(), config: c, kernelTree: tree.kernelTree)
        var outcomes: [LiveOutcome] = []
        for e in entries {
            let layout = Layout(vmas: e.layout)
            guard let predicted = try predictor.predict(e.request, on: layout) else { continue }
            outcomes.append(LiveOutcome(request: e.request, predicted: predicted, actual: e.result, layout: layout))
        }
        let notes = ["checked from the log \(path) (\(entries.count) requests) with config \(c.name)"] + header.notes
        var report = LiveReport(machine: MachineState(config: c, notes: notes), seed: header.seed, outcomes: outcomes, pagemap: nil)
        if let source = predictor.program.functionSource { report.model += ", functions from \(source)" }
        print(json ? try report.json() : report.text())
        if !report.disagreements.isEmpty { throw ExitCode(ExitStatus.counterexample.rawValue) }
    }

    func modelPath() -> String {
        if let model { return model }
        let local = "specs/kernel/v6.18/mmap.spec"
        if FileManager.default.fileExists(atPath: local) { return local }
        var url = URL(fileURLWithPath: #filePath)
        for _ in 0..<3 { url.deleteLastPathComponent() }
        return url.appendingPathComponent(local).path
    }
}

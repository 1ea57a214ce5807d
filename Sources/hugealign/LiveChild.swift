import ArgumentParser
import CLinux
import Engines
import Foundation
import KernelC
import Placement
import Semantics

/// The child of `hugealign live`: makes the requests, predicts each with the model, compares.
struct LiveChild: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "live-child", shouldDisplay: false)

    @Option var count: Int = 1000
    @Option var seed: UInt64 = 1
    @Option var model: String
    @Flag var json = false
    @Flag var pagemap = false
    @Flag var hugetlb = false
    @Option var log: String?
    @Flag var randomized = false
    @Option(name: .customLong("kernel-tree")) var kernelTree: String?

    func run() throws {
        // Never outlive `hugealign live`: if the parent is killed, so is the child (its data file is
        // already unlinked, so nothing is left behind).
        _ = hugealign_die_with_parent(SIGKILL)
        if getppid() == 1 { throw ExitCode(ExitStatus.internalError.rawValue) }
        var rl = rlimit()
        getrlimit(Int32(RLIMIT_STACK.rawValue), &rl)
        let persona = hugealign_personality(LinuxUAPI.PER_QUERY)
        let machine = Config.thisMachine(stackRlimit: UInt64(rl.rlim_cur), personality: persona < 0 ? 0 : UInt(persona),
                                         raisedHint: LiveChild.measureRaisedHint(),
                                         readBackBase: randomized ? try LiveChild.readBackMmapBase() : nil)
        let config = machine.config
        let predictor = try LivePredictor(model: model, config: config, kernelTree: kernelTree)
        let local = try LocalLiveTarget()
        var session = LiveSession(config: config, seed: seed, target: local)
        session.hugetlb = hugetlb
        session.randomized = randomized
        if randomized {
            FileHandleStream.standardError.write("hugealign live: MAP_32BIT not asked: with randomisation x86 moves that window's start by a random amount on every call\n")
        }
        // tmpfs files under every huge= option (each request records its mount's option).
        let (tmpfs, why) = LiveTmpfs.setUp()
        local.tmpfs = tmpfs
        if let why { FileHandleStream.standardError.write("hugealign live: \(why)\n") }
        // The log, written as the run goes: a truncated one is still readable up to its last line.
        let logFile = try log.map { try LiveLog.Writer(path: $0, machine: machine, seed: seed) }
        defer { logFile?.close() }
        // Ctrl-C sets a flag: no signal-handling thread, because any other thread in this process
        // (its stack, its malloc arena) could map memory between the maps snapshot and mmap.
        signal(SIGINT) { _ in liveInterrupted = 1 }
        signal(SIGTERM) { _ in liveInterrupted = 1 }
        final class Counts: @unchecked Sendable { var compared = 0, agree = 0 }
        let counts = Counts()
        let target = count
        let progress = ProgressLine.polled({ "live: \(counts.compared) / \(target) requests compared, \(counts.agree) agree" })
        let after = MapsSnapshot()
        var outcomes: [LiveOutcome] = []
        var raced = 0
        let v = { (n: String) in config.value(n) ?? 0 }
        while outcomes.count < count && raced < count {
            if liveInterrupted != 0 { break }
            try session.maybeUnmap()
            let req = session.nextRequest()
            // Read the maps into a preallocated buffer and call mmap right after, with nothing in
            // between that could map memory, then read them again: the model sees exactly the
            // layout the kernel saw, and a sample whose layout changed otherwise is not compared.
            guard local.maps.readRaw() > 0 else { continue }
            let actual = try session.perform(req)
            guard after.readRaw() > 0 else { continue }
            let layout = try MapsReader.layout(text: local.maps.text(), file: "/proc/self/maps", config: config)
            let layoutAfter = try MapsReader.layout(text: after.text(), file: "/proc/self/maps", config: config)
            let page = v("PAGE_SIZE")
            let added = IS_ERR(actual) ? nil : (actual, actual &+ req.mappedLength(page: page))
            if !LiveChild.onlyChange(from: layout, to: layoutAfter, added: added) {
                raced += 1
                try session.settle(req, result: actual, page: page)
                continue
            }
            guard let predicted = try predictor.predict(req, on: layout) else { continue }
            logFile?.append(req, layout: layout, actual: actual)
            var o = LiveOutcome(request: req, predicted: predicted, actual: actual, layout: layout)
            // A disagreement keeps the kernel's own flags of the VMAs around it (/proc/self/smaps
            // VmFlags: /proc/self/maps does not show VM_GROWSDOWN and the like).
            if !o.agrees { o.vmFlags = LiveChild.smapsFlags(around: LiveReport.neighbourhood(o)) }
            try session.settle(req, result: actual, page: page)
            outcomes.append(o)
            counts.compared += 1
            if o.agrees { counts.agree += 1 }
            progress.poll()
        }
        progress.finish()
        if raced > 0 {
            FileHandleStream.standardError.write("hugealign live: \(raced) sample(s) not compared: the address space changed beside the mmap (another thread mapped memory); retried\n")
        }
        let huge = pagemap ? session.checkPagemap() : nil
        var report = LiveReport(machine: machine, seed: seed, outcomes: outcomes, pagemap: huge)
        if let source = predictor.program.functionSource { report.model += ", functions from \(source)" }
        print(json ? try report.json() : report.text())
        if !report.disagreements.isEmpty { throw ExitCode(ExitStatus.counterexample.rawValue) }
    }
}

func IS_ERR(_ v: UInt64) -> Bool { v >= UInt64.max - 4094 }

/// Set by the child's SIGINT handler (a plain flag: async-signal-safe, no thread).
nonisolated(unsafe) var liveInterrupted: sig_atomic_t = 0

extension LiveChild {
    /// The mmap base of this (randomised) process, read back from its layout: the kernel maps the
    /// ELF interpreter first, top-down, as one block of its total size, so that block ends at
    /// mmap_base. The interpreter's load address is AT_BASE (/proc/self/auxv); the block is its
    /// VMAs (same file) and a nameless VMA right after them (its bss).
    static func readBackMmapBase() throws -> (base: UInt64, how: String) {
        func fail(_ why: String) -> InputError { InputError(file: "/proc/self/auxv", line: 0, message: "cannot read the randomised mmap base back: \(why)", text: "") }
        guard let data = FileManager.default.contents(atPath: "/proc/self/auxv"), data.count >= 16 else { throw fail("no auxiliary vector") }
        let words = data.withUnsafeBytes { Array($0.bindMemory(to: UInt64.self)) }
        var atBase: UInt64?
        for i in stride(from: 0, to: words.count - 1, by: 2) where words[i] == 7 { atBase = words[i + 1] }  // AT_BASE
        guard let atBase, atBase != 0 else { throw fail("no AT_BASE (a static executable has no interpreter)") }
        guard let text = readWholeFile("/proc/self/maps") else { throw fail("no /proc/self/maps") }
        let vmas = try MapsReader.layout(text: text, file: "/proc/self/maps", config: .x86_64).vmas
        guard let first = vmas.first(where: { $0.start == atBase }), !first.name.isEmpty else { throw fail("no mapping at AT_BASE 0x\(String(atBase, radix: 16))") }
        var end = vmas.filter { $0.name == first.name && $0.start >= atBase }.map(\.end).max() ?? first.end
        if let bss = vmas.first(where: { $0.start == end && $0.name.isEmpty }) { end = bss.end }
        return (end, "the end of the ELF interpreter's block, \(first.name) at AT_BASE 0x\(String(atBase, radix: 16))")
    }

    /// Where a one-page anonymous mmap with the hint PAGE_SIZE lands: PAGE_ALIGN(mmap_min_addr)
    /// when that is free (do_mmap raises low hints to it), the hint itself when mmap_min_addr is
    /// lower. Nil when the answer says nothing (placed elsewhere, or failed).
    static func measureRaisedHint() -> UInt64? {
        let page = Int(sysconf(Int32(_SC_PAGESIZE)))
        guard let p = mmap(UnsafeMutableRawPointer(bitPattern: UInt(page)), page, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0),
              p != MAP_FAILED else { return nil }
        defer { munmap(p, page) }
        let r = UInt64(UInt(bitPattern: p))
        return r <= 16 << 20 ? r : nil
    }

    /// The VmFlags line of /proc/self/smaps for each of these VMAs that is still mapped, by start.
    static func smapsFlags(around vmas: [VMA]) -> [UInt64: String] {
        guard let text = readWholeFile("/proc/self/smaps") else { return [:] }
        let wanted = Set(vmas.map(\.start))
        var out: [UInt64: String] = [:]
        var current: UInt64?
        for line in text.split(separator: "\n") {
            if let dash = line.firstIndex(of: "-"), let start = UInt64(line[..<dash], radix: 16), line.contains(" ") && !line.hasPrefix("VmFlags") {
                current = wanted.contains(start) ? start : nil
            } else if line.hasPrefix("VmFlags:"), let c = current {
                out[c] = line.dropFirst("VmFlags:".count).trimmingCharacters(in: .whitespaces)
            }
        }
        return out
    }

    /// Whether the address space after the call is the one before plus the new mapping (or
    /// unchanged after an error), compared as covered address ranges, so VMA merges do not matter.
    static func onlyChange(from before: Layout, to after: Layout, added: (UInt64, UInt64)?) -> Bool {
        func covered(_ ranges: [(UInt64, UInt64)]) -> [(UInt64, UInt64)] {
            var out: [(UInt64, UInt64)] = []
            for r in ranges.sorted(by: { $0.0 < $1.0 }) {
                if let last = out.last, r.0 <= last.1 { out[out.count - 1].1 = max(last.1, r.1) } else { out.append(r) }
            }
            return out
        }
        let expected = covered(before.vmas.map { ($0.start, $0.end) } + (added.map { [$0] } ?? []))
        let actual = covered(after.vmas.map { ($0.start, $0.end) })
        return expected.count == actual.count && zip(expected, actual).allSatisfy { $0.0 == $1.0 && $0.1 == $1.1 }
    }
}

/// /proc/self/maps read into a preallocated buffer, so that reading it allocates nothing that
/// could itself change the layout.
final class MapsSnapshot {
    let fd: Int32
    var buffer = [UInt8](repeating: 0, count: 4 << 20)
    var length = 0

    init() { fd = open("/proc/self/maps", O_RDONLY) }
    deinit { close(fd) }

    /// Reads the whole file into the buffer; returns its length.
    @discardableResult
    func readRaw() -> Int {
        lseek(fd, 0, SEEK_SET)
        var total = 0
        buffer.withUnsafeMutableBytes { p in
            while total < p.count {
                let n = Glibc.read(fd, p.baseAddress! + total, p.count - total)
                if n <= 0 { break }
                total += n
            }
        }
        length = total
        return total
    }

    func text() -> String { String(decoding: buffer[0..<length], as: UTF8.self) }
}

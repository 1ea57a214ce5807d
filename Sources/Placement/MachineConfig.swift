import Foundation

/// The x86-64 config with this machine's sysctls, THP/shmem sysfs modes and the mmap bases of a
/// process that runs without address randomisation (`hugealign live` runs its child that way, so
/// the bases follow from the stack rlimit instead of being random).
public struct MachineState: Sendable {
    public var config: Config
    /// How each value was obtained, for the report.
    public var notes: [String]

    public init(config: Config, notes: [String]) {
        self.config = config
        self.notes = notes
    }
}

extension Config {
    /// The values `thisMachine` reads from the running system (the rest are the configuration's):
    /// what a recorded `live` log carries to another machine's check.
    public static let machineStateKeys: Set<String> = [
        "mmap_min_addr", "dac_mmap_min_addr", "mm.flags.MMF_TOPDOWN", "stack_guard_gap", "mm.mmap_base", "mm.mmap_legacy_base",
        "shmem_huge", "shmem_mount_huge", "shmem_file_huge", "shmem_anon_order", "cap_sys_rawio",
    ]

    /// `personality`: the process's persona (personality(0xffffffff)); ADDR_COMPAT_LAYOUT (set by
    /// `setarch -L`) selects the legacy bottom-up layout like the sysctl does (x86's mmap_is_legacy()).
    /// `raisedHint`: where this kernel put a one-page hint of `PAGE_SIZE` (`measureRaisedHint()`):
    /// do_mmap() raises a hint below `mmap_min_addr` to it, and `mmap_min_addr` is the larger of
    /// the sysctl (which only shows `dac_mmap_min_addr`) and the kernel's CONFIG_LSM_MMAP_MIN_ADDR.
    ///
    /// `readBackBase`: with address randomisation the mmap base is random; `live` reads it back
    /// from the process's own layout (`LiveChild.readBackMmapBase`) and passes it here.
    public static func thisMachine(stackRlimit: UInt64, personality: UInt = 0, raisedHint: UInt64? = nil,
                                   readBackBase: (base: UInt64, how: String)? = nil) -> MachineState {
        machine(base: .x86_64, name: "x86_64-this-machine", read: readWholeFile,
                list: { (try? FileManager.default.contentsOfDirectory(atPath: $0)) ?? [] }, root: getuid() == 0,
                stackRlimit: stackRlimit, personality: personality, raisedHint: raisedHint, readBackBase: readBackBase)
    }

    /// The same for any machine whose files can be read: `base` gives the architecture's
    /// constants (STACK_TOP, TASK_UNMAPPED_BASE, the page size), `read` a file's contents and
    /// `list` a folder's entries — this process's, or a qemu guest's through its probe.
    public static func machine(base: Config, name: String, read readFile: (String) -> String?, list: (String) -> [String], root: Bool,
                               stackRlimit: UInt64, personality: UInt = 0, raisedHint: UInt64? = nil,
                               readBackBase: (base: UInt64, how: String)? = nil) -> MachineState {
        var c = base
        c.name = name
        var notes: [String] = []
        let pageSize = base.number(.pageSize)
        func read(_ path: String) -> String? {
            readFile(path)?.trimmingCharacters(in: .whitespacesAndNewlines)
        }
        /// The word in [brackets] of a sysfs mode file.
        func mode(_ path: String) -> String? {
            guard let s = read(path), let a = s.firstIndex(of: "["), let b = s.firstIndex(of: "]") else { return nil }
            return String(s[s.index(after: a)..<b])
        }
        if let v = read("/proc/sys/vm/mmap_min_addr").flatMap({ UInt64($0) }) {
            c.values["mmap_min_addr"] = v
            c.values["dac_mmap_min_addr"] = v
            if let r = raisedHint, r > v {
                c.values["mmap_min_addr"] = r
                notes.append("mmap_min_addr \(r) (a one-page hint is raised to it; /proc/sys/vm/mmap_min_addr \(v) is dac_mmap_min_addr, the LSM minimum is higher)")
            } else {
                notes.append("mmap_min_addr \(v) (/proc/sys/vm/mmap_min_addr\(raisedHint == nil ? ", not measured" : ", measured"))")
            }
        }
        let addrCompatLayout: UInt = 0x0200000
        let sysctlLegacy = read("/proc/sys/vm/legacy_va_layout") == "1"
        let personaLegacy = personality & addrCompatLayout != 0
        // The generic mmap_is_legacy() (mm/util.c: arm64 and most others) also takes an unlimited
        // stack for the legacy layout; x86's own (arch/x86/mm/mmap.c) does not.
        let x86 = (base.value("CONFIG_X86_64") ?? 0) != 0 || (base.value("CONFIG_X86") ?? 0) != 0
        let unlimitedLegacy = !x86 && stackRlimit == UInt64.max
        let legacy = sysctlLegacy || personaLegacy || unlimitedLegacy
        c.values["mm.flags.MMF_TOPDOWN"] = legacy ? 0 : 1
        let why = personaLegacy ? "personality ADDR_COMPAT_LAYOUT" : sysctlLegacy ? "legacy_va_layout 1" : "unlimited stack rlimit"
        notes.append(legacy ? "legacy (bottom-up) layout (\(why))" : "top-down layout (legacy_va_layout 0, no ADDR_COMPAT_LAYOUT)")
        // stack_guard_gap= on the command line is in pages.
        var guardGap: UInt64 = 256 * pageSize
        if let cmd = read("/proc/cmdline"), let r = cmd.range(of: "stack_guard_gap=") {
            let digits = cmd[r.upperBound...].prefix { $0.isNumber }
            if let pages = UInt64(digits) { guardGap = pages * pageSize }
        }
        c.values["stack_guard_gap"] = guardGap
        // mmap_base() without randomisation (arch/x86/mm/mmap.c, and mm/util.c for arm64 and the
        // generic layout): gap = rlimit + guard gap, clamped to [128 MiB, 5/6 of STACK_TOP].
        let window = base.value("STACK_TOP") ?? 0x7fff_ffff_f000
        var gap = stackRlimit
        if gap &+ guardGap >= gap { gap += guardGap }
        gap = max(gap, 128 << 20)
        gap = min(gap, window / 6 * 5)
        let base = (window - gap + pageSize - 1) & ~(pageSize - 1)
        c.values["mm.mmap_base"] = base
        c.values["mm.mmap_legacy_base"] = c.values["TASK_UNMAPPED_BASE"]
        // The generic arch_pick_mmap_layout() (mm/util.c) keeps one base: TASK_UNMAPPED_BASE in the
        // legacy layout. x86 keeps both and searches bottom-up from mmap_legacy_base.
        if legacy && !x86 { c.values["mm.mmap_base"] = c.values["TASK_UNMAPPED_BASE"] }
        if let r = readBackBase {
            c.values["mm.mmap_base"] = r.base
            notes.append("mmap_base 0x\(String(r.base, radix: 16)) (randomised; read back: \(r.how)); mmap_legacy_base is random too and not known, so a bottom-up fallback may be mispredicted")
        } else {
            notes.append("mmap_base 0x\(String(c.values["mm.mmap_base"] ?? base, radix: 16)) (no randomisation; \(legacy && !x86 ? "TASK_UNMAPPED_BASE in the legacy layout" : "stack rlimit \(stackRlimit), guard gap \(guardGap)"))")
        }
        let shmemModes: [String: UInt64] = ["never": 0, "always": 1, "within_size": 2, "advise": 3,
                                            "deny": 0xffff_ffff, "force": 0xffff_fffe]
        if let m = mode("/sys/kernel/mm/transparent_hugepage/shmem_enabled"), let v = shmemModes[m] {
            c.values["shmem_huge"] = v
            c.values["shmem_mount_huge"] = v       // the internal mount (shared anon, memfd) follows it
            c.values["shmem_file_huge"] = v
            notes.append("shmem_enabled \(m)")
        }
        // Anonymous-shmem mTHP sizes: the highest order enabled (inherit counts if the mount allows huge).
        var order: UInt64 = 0
        let dir = "/sys/kernel/mm/transparent_hugepage"
        for entry in list(dir) where entry.hasPrefix("hugepages-") {
            guard let kb = UInt64(entry.dropFirst("hugepages-".count).dropLast(2)), let m = mode("\(dir)/\(entry)/shmem_enabled") else { continue }
            let enabled = ["always", "within_size", "advise"].contains(m) || (m == "inherit" && c.values["shmem_mount_huge"] != 0)
            if enabled { order = max(order, UInt64((kb * 1024 / pageSize).trailingZeroBitCount)) }
        }
        c.values["shmem_anon_order"] = order
        if let m = mode("\(dir)/enabled") { notes.append("THP enabled \(m) (placement does not depend on it)") }
        c.values["cap_sys_rawio"] = root ? 1 : 0
        return MachineState(config: c, notes: notes)
    }
}

import CLinux
import Foundation
import Placement

/// uapi constants Glibc's Swift module does not export (include/uapi/asm-generic/mman-common.h,
/// include/uapi/linux/personality.h).
enum LinuxUAPI {
    static let MAP_STACK: Int32 = 0x20000
    static let MAP_32BIT: Int32 = 0x40
    static let MAP_GROWSDOWN: Int32 = 0x100
    static let MAP_NORESERVE: Int32 = 0x4000
    static let MAP_POPULATE: Int32 = 0x8000
    static let MAP_HUGETLB: Int32 = 0x40000
    static let MAP_HUGE_2MB: Int32 = 21 << 26
    static let hugePage: UInt64 = 0x20_0000
    static let MAP_FIXED_NOREPLACE: Int32 = 0x100000
    static let MAP_SHARED_VALIDATE: Int32 = 0x03
    static let MAP_DROPPABLE: Int32 = 0x08
    static let MAP_TYPE: Int32 = 0x0f
    static let MAP_SYNC: Int32 = 0x80000
    /// The first page offset past MAX_LFS_FILESIZE (2^63 - 1) of a 64-bit kernel.
    static let pgoffPastMaxLFS: UInt64 = 1 << 51
    static let ADDR_NO_RANDOMIZE: UInt = 0x0040000
    /// personality(2) with this argument only queries the current persona.
    static let PER_QUERY: UInt = 0xffff_ffff
}

/// One mmap request of `hugealign live`.
struct LiveRequest: Codable {
    enum Kind: String, Codable { case anonPrivate = "anon-private", anonShared = "anon-shared", file, memfd, hugetlb = "anon-hugetlb", tmpfs, hugetlbfs = "hugetlbfs-file" }
    var kind: Kind
    var hint: UInt64
    var length: UInt64
    var flags: Int32
    var pgoff: UInt64
    /// What the request tests (reported separately): the kind, and the hint, flag or length case.
    var requestClass: String = ""
    /// For tmpfs: which mount of `LiveTmpfs`, and its `huge=` option as the model's
    /// `shmem_file_huge` (SHMEM_HUGE_*), which decides the alignment.
    var tmpfsMount: Int?
    var tmpfsHuge: UInt64?

    init(kind: Kind, hint: UInt64, length: UInt64, flags: Int32, pgoff: UInt64, requestClass: String = "") {
        self.kind = kind
        self.hint = hint
        self.length = length
        self.flags = flags
        self.pgoff = pgoff
        self.requestClass = requestClass
    }

    /// What do_mmap() is given as the length: ksys_mmap_pgoff() first aligns the lengths of
    /// MAP_HUGETLB and of hugetlbfs files to the huge page.
    var doMmapLength: UInt64 {
        kind == .hugetlb || kind == .hugetlbfs ? (length &+ LinuxUAPI.hugePage &- 1) & ~(LinuxUAPI.hugePage &- 1) : length
    }

    /// The length of the VMA a successful call creates.
    func mappedLength(page: UInt64) -> UInt64 { (doMmapLength &+ page &- 1) & ~(page &- 1) }

    var description: String {
        "[\(requestClass)] \(kind.rawValue) len 0x\(String(length, radix: 16)) hint 0x\(String(hint, radix: 16)) flags 0x\(String(flags, radix: 16)) pgoff 0x\(String(pgoff, radix: 16))"
    }
}

/// Where `live` makes its requests: this process (`LocalLiveTarget`), or a qemu guest's probe
/// (`QemuGuest`, for `live --qemu`). The request generator (`LiveSession`) is the same for both.
protocol LiveTarget: AnyObject {
    /// A file on a disk filesystem (ext4 here: thp_get_unmapped_area); without one, file requests go to the memfd.
    var hasDiskFile: Bool { get }
    var hasMemfd: Bool { get }
    /// tmpfs mounts, by index: each `huge=` option and its SHMEM_HUGE_* value (empty: no tmpfs requests).
    var tmpfsMounts: [(huge: String, value: UInt64)] { get }
    /// A file on a hugetlbfs mount (2 MiB pages).
    var hasHugetlbfsFile: Bool { get }
    /// The real call; an address, or -errno as an unsigned long.
    func map(_ r: LiveRequest) throws -> UInt64
    func unmap(_ address: UInt64, _ length: UInt64) throws
}

/// This process as the target: a sparse file on the local filesystem, a memfd, and the tmpfs
/// files of `LiveTmpfs` (root only).
final class LocalLiveTarget: LiveTarget {
    /// This process's /proc/self/maps, read just before each call.
    let maps = MapsSnapshot()
    let fileFD: Int32
    let memFD: Int32
    let filePath: String
    var tmpfs: LiveTmpfs?

    init() throws {
        // A file on the local disk filesystem (ext4 here); its mmaps go through thp_get_unmapped_area.
        filePath = FileManager.default.currentDirectoryPath + "/.hugealign-live-\(getpid()).data"
        fileFD = open(filePath, O_RDWR | O_CREAT | O_TRUNC, 0o600)
        guard fileFD >= 0 else { throw CocoaError(.fileWriteNoPermission) }
        _ = ftruncate(fileFD, 1 << 30)
        // The descriptor keeps the (sparse) file alive; unlinked at once, a killed child leaves nothing.
        unlink(filePath)
        memFD = hugealign_memfd_create("hugealign-live")
        if memFD >= 0 { _ = ftruncate(memFD, 1 << 30) }
    }

    deinit {
        tmpfs?.close()
        Glibc.close(fileFD)
        if memFD >= 0 { Glibc.close(memFD) }
    }

    var hasDiskFile: Bool { true }
    var hasMemfd: Bool { memFD >= 0 }
    var tmpfsMounts: [(huge: String, value: UInt64)] { tmpfs?.mounts.map { ($0.huge, $0.value) } ?? [] }
    var hasHugetlbfsFile: Bool { (tmpfs?.hugetlbfsFD ?? -1) >= 0 }

    func map(_ r: LiveRequest) -> UInt64 {
        let fd: Int32
        switch r.kind {
        case .file: fd = fileFD
        case .memfd: fd = memFD
        case .tmpfs: fd = tmpfs.map { $0.mounts[r.tmpfsMount ?? 0].fd } ?? -1
        case .hugetlbfs: fd = tmpfs?.hugetlbfsFD ?? -1
        case .anonPrivate, .anonShared, .hugetlb: fd = -1
        }
        let p = mmap(UnsafeMutableRawPointer(bitPattern: UInt(r.hint)), Int(bitPattern: UInt(r.length)), PROT_READ, r.flags, fd, off_t(Int64(bitPattern: r.pgoff << 12)))
        if p == MAP_FAILED { return UInt64(bitPattern: Int64(-hugealign_errno())) }
        return UInt64(UInt(bitPattern: p))
    }

    func unmap(_ address: UInt64, _ length: UInt64) {
        munmap(UnsafeMutableRawPointer(bitPattern: UInt(address)), Int(bitPattern: UInt(length)))
    }
}

/// The request generator's state: the target's mappings (MAP_FIXED and hints are aimed at them).
struct LiveSession {
    var rng: DeterministicRandom
    var live: [(start: UInt64, length: UInt64)] = []
    let target: LiveTarget
    let minAddr: UInt64
    /// The top of the default mmap window rounded up to a power of two (2^47 on x86-64, 2^48 on
    /// arm64), and TASK_SIZE: hints above the window ask for the larger space (LA57, 52-bit arm64).
    let windowTop: UInt64
    let taskSize: UInt64
    /// Whether the architecture has MAP_32BIT (x86-64).
    let hasMap32: Bool
    /// Whether MAP_HUGETLB requests are made (huge pages were reserved for them).
    var hugetlb = false
    /// Address randomisation is on: x86 then moves the MAP_32BIT window's start by a random amount
    /// on every call (find_start_end: randomize_page(0x40000000, 32 MiB)), which no model can
    /// predict, so MAP_32BIT is not asked.
    var randomized = false

    init(config: Config, seed: UInt64, target: LiveTarget) {
        rng = DeterministicRandom(seed: seed)
        self.target = target
        minAddr = config.number(.mmapMinAddr)
        let window = config.value("DEFAULT_MAP_WINDOW") ?? 0x7fff_ffff_f000
        windowTop = 1 << UInt64(64 - (window - 1).leadingZeroBitCount)
        taskSize = config.value("TASK_SIZE") ?? window
        hasMap32 = (config.value("MAP_32BIT") ?? 0) != 0
    }

    var tmpfsMounts: [(huge: String, value: UInt64)] { target.tmpfsMounts }

    static let lengths: [UInt64] = [0x1000, 0x2000, 0x10000, 0x1ff000, 0x200000, 0x201000, 0x3ff000, 0x400000,
                                    0x401000, 0x600000, 0x300000, 0x800000, 0xa00000, 0x5000]
    static let bigLengths: [UInt64] = [0x3fff_f000, 0x4000_0000, 0x4020_0000, 0x4000_1000, 0x8000_0000]
    static let pgoffs: [UInt64] = [0, 1, 2, 255, 256, 511, 512, 513, 1024, 0x3ffff]

    mutating func nextRequest() -> LiveRequest {
        let kinds: [LiveRequest.Kind] = [.anonPrivate, .anonPrivate, .anonPrivate, .anonShared, .file, .file, .memfd]
        var kind = rng.pick(kinds)
        if kind == .memfd && !target.hasMemfd { kind = .file }
        if kind == .file && !target.hasDiskFile { kind = .memfd }
        if !tmpfsMounts.isEmpty, rng.chance(15) { kind = .tmpfs }
        var length = rng.chance(5) ? rng.pick(Self.bigLengths) : (rng.chance(15) ? (1 + rng.below(4096)) << 12 : rng.pick(Self.lengths))
        if rng.chance(3) { length += 1 + rng.below(0xfff) }   // unaligned: do_mmap rounds it up
        var flags: Int32
        switch kind {
        case .anonPrivate: flags = MAP_PRIVATE | MAP_ANONYMOUS
        case .hugetlb: flags = MAP_PRIVATE | MAP_ANONYMOUS | LinuxUAPI.MAP_HUGETLB  // only made by special()
        case .hugetlbfs: flags = MAP_SHARED  // only made by special()
        case .anonShared: flags = MAP_SHARED | MAP_ANONYMOUS
        case .file, .tmpfs: flags = rng.chance(50) ? MAP_SHARED : MAP_PRIVATE
        case .memfd: flags = MAP_SHARED
        }
        let pgoff: UInt64 = kind == .file || kind == .memfd || kind == .tmpfs ? rng.pick(Self.pgoffs) : (rng.chance(10) ? rng.pick(Self.pgoffs) : 0)
        var hint: UInt64 = 0
        switch rng.below(100) {
        case 0..<55: hint = 0
        case 55..<70: hint = (0x1000_0000 + rng.below(0x7f00_0000_0000 - 0x1000_0000)) & ~0xfff
        case 70..<82:
            if let m = live.isEmpty ? nil : rng.pick(live) {
                hint = rng.chance(50) ? m.start + m.length : m.start &- ((length + 0xfff) & ~0xfff)
            }
        case 82..<87: hint = (0x1000_0000 + rng.below(0x7f00_0000_0000)) | (1 + rng.below(0xffe))
        case 87..<91:
            hint = windowTop + (rng.below(1 << 20) << 12)
            // A larger space above the window (LA57, 52-bit arm64): anywhere in it too.
            if taskSize > windowTop << 1 && rng.chance(50) { hint = windowTop + (rng.below(taskSize - windowTop) & ~0xfff) }
        case 91..<94: hint = rng.below(minAddr) | (rng.chance(50) ? 0 : 0x1000)   // raised to mmap_min_addr
        default:
            // Build layouts with MAP_FIXED_NOREPLACE (never MAP_FIXED over existing mappings).
            flags |= LinuxUAPI.MAP_FIXED_NOREPLACE
            if let m = live.isEmpty ? nil : rng.pick(live), rng.chance(70) {
                hint = rng.chance(50) ? m.start + m.length + (rng.below(4) << 12) : m.start + (rng.below(max(1, m.length >> 12)) << 12)
            } else {
                hint = (0x1000_0000 + rng.below(0x7f00_0000_0000 - 0x1000_0000)) & ~0xfff
            }
        }
        if rng.chance(3) && kind == .anonPrivate { flags |= LinuxUAPI.MAP_STACK }
        var r = LiveRequest(kind: kind, hint: hint, length: length, flags: flags, pgoff: pgoff)
        if kind == .tmpfs {
            let i = Int(rng.below(UInt64(tmpfsMounts.count)))
            r.tmpfsMount = i
            r.tmpfsHuge = tmpfsMounts[i].value
        }
        r.requestClass = Self.classify(r, minAddr: minAddr, windowTop: windowTop, tmpfs: tmpfsMounts)
        if rng.chance(25), let special = special(kind: kind) { return special }
        return r
    }

    /// The class of a request from the general generator: its kind and what its hint is.
    static func classify(_ r: LiveRequest, minAddr: UInt64, windowTop: UInt64, tmpfs: [(huge: String, value: UInt64)]) -> String {
        var c = r.kind.rawValue
        if let i = r.tmpfsMount, i < tmpfs.count { c += " huge=" + tmpfs[i].huge }
        if r.flags & LinuxUAPI.MAP_FIXED_NOREPLACE != 0 { return c + ", MAP_FIXED_NOREPLACE" }
        if r.flags & LinuxUAPI.MAP_STACK != 0 { c += ", MAP_STACK" }
        if r.hint == 0 { return c + ", no hint" }
        if r.hint >= windowTop { return c + ", hint above the default window" }
        if r.hint < minAddr { return c + ", hint below mmap_min_addr" }
        if r.hint & 0xfff != 0 { return c + ", unaligned hint" }
        return c + ", hint"
    }

    /// The classes the general generator does not make: MAP_32BIT, MAP_GROWSDOWN, MAP_FIXED over
    /// this process's own mappings and at unaligned addresses, MAP_NORESERVE/MAP_POPULATE, a zero
    /// length and lengths beyond the task. Nil when the class needs a mapping and there is none.
    mutating func special(kind: LiveRequest.Kind) -> LiveRequest? {
        let anon = MAP_PRIVATE | MAP_ANONYMOUS
        let small = rng.pick(Self.lengths)
        func make(_ k: LiveRequest.Kind, _ hint: UInt64, _ length: UInt64, _ flags: Int32, _ c: String) -> LiveRequest {
            LiveRequest(kind: k, hint: hint, length: length, flags: flags, pgoff: 0, requestClass: c)
        }
        switch rng.below(hugetlb ? 9 : 8) {
        case 7:
            return requestCheck(small)
        case 8:
            // A file on hugetlbfs (when the target has one) or MAP_HUGETLB.
            let file = target.hasHugetlbfsFile && rng.chance(40)
            var flags = file ? (rng.chance(50) ? MAP_SHARED : MAP_PRIVATE) : anon | LinuxUAPI.MAP_HUGETLB
            if rng.chance(50) { flags |= LinuxUAPI.MAP_NORESERVE }
            if !file && rng.chance(30) { flags |= LinuxUAPI.MAP_HUGE_2MB }
            let hint: UInt64
            switch rng.below(4) {
            case 0, 1: hint = 0
            case 2: hint = (0x1000_0000 + rng.below(0x7f00_0000_0000 - 0x1000_0000)) & ~0xfff
            default: hint = (0x1000_0000 + rng.below(0x7f00_0000_0000 - 0x1000_0000)) & ~(LinuxUAPI.hugePage - 1)
            }
            let length = rng.chance(50) ? LinuxUAPI.hugePage * (1 + rng.below(4)) : rng.pick(Self.lengths)
            if file {
                // Offsets in huge pages, and now and then one that is not (hugetlbfs refuses it).
                let unaligned = rng.chance(15)
                var r = make(.hugetlbfs, hint, length, flags, unaligned ? "hugetlbfs file, unaligned offset" : hint == 0 ? "hugetlbfs file, no hint" : "hugetlbfs file, hint")
                r.pgoff = unaligned ? rng.pick([1, 255, 256, 511, 513]) : rng.below(8) << 9
                return r
            }
            return make(.hugetlb, hint, length, flags, hint == 0 ? "anon-hugetlb, no hint" : "anon-hugetlb, hint")
        case 0:
            if randomized || !hasMap32 { return nil }
            let hint: UInt64 = rng.chance(60) ? 0 : (rng.below(0x8000_0000) & ~0xfff)
            return make(.anonPrivate, hint, small, anon | LinuxUAPI.MAP_32BIT, "anon-private, MAP_32BIT")
        case 1:
            return make(kind == .anonShared ? .anonShared : .anonPrivate, rng.chance(50) ? 0 : 0x1000_0000, 0,
                        kind == .anonShared ? MAP_SHARED | MAP_ANONYMOUS : anon, "zero length")
        case 2:
            let lengths: [UInt64] = [0x7fff_ffff_f000 + 0x1000, 0x8000_0000_0000, 0xffff_ffff_ffff_f000, .max, 0x1_0000_0000_0000]
            return make(.anonPrivate, rng.chance(50) ? 0 : 0x1000_0000, rng.pick(lengths), anon, "length beyond the task")
        case 3:
            guard let m = live.isEmpty ? nil : rng.pick(live) else { return nil }
            let pages = m.length >> 12
            let first = rng.below(pages), count = 1 + rng.below(pages - first)
            return make(.anonPrivate, m.start + (first << 12), count << 12, anon | MAP_FIXED, "MAP_FIXED over an own mapping")
        case 4:
            let base = live.isEmpty ? 0x1000_0000 : rng.pick(live).start
            return make(.anonPrivate, base + 1 + rng.below(0xffe), small, anon | MAP_FIXED, "MAP_FIXED unaligned")
        case 5:
            let extra = rng.chance(50) ? LinuxUAPI.MAP_NORESERVE : LinuxUAPI.MAP_POPULATE
            let length = extra == LinuxUAPI.MAP_POPULATE ? min(small, 0x40_0000) : small
            return make(.anonPrivate, 0, length, anon | extra, extra == LinuxUAPI.MAP_POPULATE ? "anon-private, MAP_POPULATE" : "anon-private, MAP_NORESERVE")
        default:
            // Unmapped again at once (`transient`): /proc/self/maps does not show VM_GROWSDOWN, so a
            // kept one would give later predictions a layout without its guard gap.
            return make(.anonPrivate, rng.chance(70) ? 0 : (0x1000_0000 + rng.below(0x7f00_0000_0000 - 0x1000_0000)) & ~0xfff, small,
                        anon | LinuxUAPI.MAP_GROWSDOWN, "anon-private, MAP_GROWSDOWN")
        }
    }

    /// What do_mmap() checks of the request around the placement, each its own class: a MAP_TYPE
    /// that is none of the valid ones (-EINVAL), MAP_SHARED_VALIDATE on anonymous memory (-EINVAL),
    /// MAP_SYNC on a file that does not take it (-EOPNOTSUPP), a file offset past MAX_LFS_FILESIZE
    /// (-EOVERFLOW), and the valid MAP_SHARED_VALIDATE and MAP_DROPPABLE requests beside them.
    mutating func requestCheck(_ small: UInt64) -> LiveRequest {
        func make(_ k: LiveRequest.Kind, _ flags: Int32, _ pgoff: UInt64, _ c: String) -> LiveRequest {
            LiveRequest(kind: k, hint: 0, length: small, flags: flags, pgoff: pgoff, requestClass: c)
        }
        let fileKind: LiveRequest.Kind = target.hasMemfd && (!target.hasDiskFile || rng.chance(50)) ? .memfd : .file
        switch rng.below(7) {
        case 6:
            // MAP_FIXED_NOREPLACE is MAP_FIXED before do_mmap() would raise the hint to
            // mmap_min_addr: placed at the low address itself (with CAP_SYS_RAWIO), or -EINVAL unaligned.
            var hint = 0x1000 + (rng.below(max(1, (minAddr >> 12) &- 1)) << 12)
            if hint >= minAddr { hint = 0x1000 }
            if rng.chance(30) { hint |= 1 + rng.below(0xffe) }
            return LiveRequest(kind: .anonPrivate, hint: hint, length: small, flags: MAP_PRIVATE | MAP_ANONYMOUS | LinuxUAPI.MAP_FIXED_NOREPLACE,
                               pgoff: 0, requestClass: "anon-private, MAP_FIXED_NOREPLACE below mmap_min_addr")
        case 0:
            let invalid: [Int32] = [0, 4, 5, 6, 7, 9, 10, 11, 12, 13, 14, 15]
            return make(.anonPrivate, rng.pick(invalid) | MAP_ANONYMOUS, 0, "invalid MAP_TYPE")
        case 1:
            return make(.anonShared, LinuxUAPI.MAP_SHARED_VALIDATE | MAP_ANONYMOUS, 0, "anon, MAP_SHARED_VALIDATE")
        case 2:
            return make(fileKind, LinuxUAPI.MAP_SHARED_VALIDATE | LinuxUAPI.MAP_SYNC, 0, "\(fileKind.rawValue), MAP_SHARED_VALIDATE|MAP_SYNC")
        case 3:
            return make(fileKind, LinuxUAPI.MAP_SHARED_VALIDATE, rng.pick(Self.pgoffs), "\(fileKind.rawValue), MAP_SHARED_VALIDATE")
        case 4:
            let pgoff = LinuxUAPI.pgoffPastMaxLFS + rng.below(LinuxUAPI.pgoffPastMaxLFS - 0x1000)
            return make(fileKind, rng.chance(50) ? MAP_SHARED : MAP_PRIVATE, pgoff, "\(fileKind.rawValue), offset past MAX_LFS_FILESIZE")
        default:
            return make(.anonPrivate, LinuxUAPI.MAP_DROPPABLE | MAP_ANONYMOUS, 0, "anon, MAP_DROPPABLE")
        }
    }

    /// Requests whose mapping is not kept (see `special`).
    /// MAP_HUGETLB ones too: each holds reserved huge pages, of which there are few.
    static func transient(_ r: LiveRequest) -> Bool { r.flags & (LinuxUAPI.MAP_GROWSDOWN | LinuxUAPI.MAP_HUGETLB) != 0 || r.kind == .hugetlbfs }

    /// The real call; an address, or -errno as an unsigned long.
    func perform(_ r: LiveRequest) throws -> UInt64 { try target.map(r) }

    /// What becomes of a request's mapping once compared: nothing after an error; a transient one
    /// (`transient`) is unmapped at once; any other is tracked (`keep`).
    mutating func settle(_ r: LiveRequest, result: UInt64, page: UInt64) throws {
        guard !IS_ERR(result) else { return }
        if Self.transient(r) {
            try target.unmap(result, r.mappedLength(page: page))
        } else {
            keep(result, r.length, flags: r.flags)
        }
    }

    /// Tracks a mapping this process made. The list must stay exact — disjoint ranges, each
    /// wholly mapped by this process — because MAP_FIXED requests are aimed at it: a stale entry
    /// (a range freed and since reused by the allocator) would be clobbered. A MAP_FIXED result lies
    /// inside a tracked range already and is not added again.
    mutating func keep(_ addr: UInt64, _ length: UInt64, flags: Int32) {
        if flags & MAP_FIXED != 0 && flags & LinuxUAPI.MAP_FIXED_NOREPLACE == 0 { return }
        live.append((addr, (length + 0xfff) & ~0xfff))
    }

    /// Unmap now and then (sometimes a page in the middle), so layouts keep changing.
    mutating func maybeUnmap() throws {
        guard !live.isEmpty, live.count > 48 || rng.chance(20) else { return }
        let i = Int(rng.below(UInt64(live.count)))
        let m = live.remove(at: i)
        if rng.chance(15) && m.length > 0x2000 {
            let page = m.start + ((1 + rng.below((m.length >> 12) - 1)) << 12)
            try target.unmap(page, 0x1000)
            live.append((m.start, page - m.start))
            live.append((page + 0x1000, m.start + m.length - page - 0x1000))
        } else {
            try target.unmap(m.start, m.length)
        }
    }

    /// With --pagemap (root): fault in PMD-aligned private anonymous memory with MADV_HUGEPAGE and
    /// read /proc/self/pagemap: a huge page shows as 512 consecutive PFNs; check VA ≡ PA (mod 2 MiB).
    func checkPagemap() -> PagemapResult {
        var result = PagemapResult()
        guard getuid() == 0 else { result.note = "not root: /proc/self/pagemap shows no PFNs"; return result }
        let fd = open("/proc/self/pagemap", O_RDONLY)
        guard fd >= 0 else { result.note = "cannot open /proc/self/pagemap"; return result }
        defer { Glibc.close(fd) }
        for _ in 0..<16 {
            let len = 0x400000
            guard let p = mmap(nil, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0), p != MAP_FAILED else { continue }
            defer { munmap(p, len) }
            let va = UInt64(UInt(bitPattern: p))
            madvise(p, len, 14)  // MADV_HUGEPAGE
            memset(p, 1, len)
            result.mappings += 1
            if va & 0x1f_ffff == 0 { result.alignedVA += 1 }
            // First 2 MiB-aligned block inside the mapping.
            let block = (va + 0x1f_ffff) & ~0x1f_ffff
            guard block + 0x20_0000 <= va + UInt64(len) else { continue }
            var entries = [UInt64](repeating: 0, count: 512)
            let n = entries.withUnsafeMutableBytes { pread(fd, $0.baseAddress, 512 * 8, off_t((block >> 12) * 8)) }
            guard n == 512 * 8 else { continue }
            let pfns = entries.map { $0 & ((1 << 55) - 1) }
            let present = entries.allSatisfy { $0 & (1 << 63) != 0 }
            let contiguous = present && pfns.enumerated().allSatisfy { $0.element == pfns[0] + UInt64($0.offset) }
            if contiguous {
                result.hugeBlocks += 1
                if (pfns[0] << 12) & 0x1f_ffff == block & 0x1f_ffff { result.congruent += 1 }
            }
        }
        return result
    }
}

struct PagemapResult: Codable {
    var mappings = 0
    var alignedVA = 0
    var hugeBlocks = 0
    var congruent = 0
    var note: String?
}

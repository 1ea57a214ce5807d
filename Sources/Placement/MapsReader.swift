import Foundation
import KernelC

/// One line of /proc/PID/maps, every field.
public struct MapsEntry: Sendable, Equatable {
    public var start: UInt64
    public var end: UInt64
    public var read: Bool
    public var write: Bool
    public var exec: Bool
    public var shared: Bool
    public var offset: UInt64
    public var device: String
    public var inode: UInt64
    public var path: String
}

/// Reads /proc/PID/maps. `[stack]` is GROWSDOWN; `[vsyscall]` is a gate area, not a VMA of the
/// mm, and is left out of the layout.
public enum MapsReader {
    public static func entries(text: String, file: String = "maps") throws -> [MapsEntry] {
        try numberedEntries(text: text, file: file).map(\.entry)
    }

    /// The entries with their 1-based line numbers (for errors about a VMA).
    static func numberedEntries(text: String, file: String) throws -> [(entry: MapsEntry, line: Int)] {
        var out: [(entry: MapsEntry, line: Int)] = []
        // A file that crossed a Windows machine ends its lines in CR LF.
        for (i, raw) in text.textLines.enumerated() {
            if raw.utf8.allSatisfy({ $0 == 0x20 || $0 == 0x09 }) { continue }
            // The kernel's own lines go the byte way (`live` reads its maps twice per request);
            // anything else, and every error, the careful way.
            if let e = fastEntry(Array(raw.utf8)) { out.append((e, i + 1)); continue }
            let line = String(raw)
            if line.trimmingCharacters(in: .whitespaces).isEmpty { continue }
            out.append((try entry(line, file: file, number: i + 1), i + 1))
        }
        return out
    }

    /// A well-formed line as the kernel writes it, parsed over its bytes; nil for anything else
    /// (then `entry` parses it, or says what is wrong). Accepts exactly what `entry` accepts.
    public static func fastEntry(_ b: [UInt8]) -> MapsEntry? {
        var i = 0
        func spaces() { while i < b.count && b[i] == 0x20 { i += 1 } }
        func hex(until stop: UInt8) -> UInt64? {
            var v: UInt64 = 0
            let first = i
            while i < b.count && b[i] != stop {
                let c = b[i]
                let d: UInt64
                switch c {
                case 0x30...0x39: d = UInt64(c - 0x30)
                case 0x61...0x66: d = UInt64(c - 0x61 + 10)
                case 0x41...0x46: d = UInt64(c - 0x41 + 10)
                default: return nil
                }
                guard v >> 60 == 0 else { return nil }
                v = v << 4 | d
                i += 1
            }
            return i > first ? v : nil
        }
        spaces()
        guard let start = hex(until: 0x2d), i < b.count else { return nil }
        i += 1
        guard let end = hex(until: 0x20), start < end else { return nil }
        spaces()
        guard i + 4 <= b.count else { return nil }
        let p = b[i..<i + 4]
        let (r, w, x, sh) = (p[i], p[i + 1], p[i + 2], p[i + 3])
        guard r == 0x72 || r == 0x2d, w == 0x77 || w == 0x2d, x == 0x78 || x == 0x2d, sh == 0x70 || sh == 0x73 else { return nil }
        i += 4
        guard i < b.count, b[i] == 0x20 else { return nil }
        spaces()
        guard let offset = hex(until: 0x20) else { return nil }
        spaces()
        let devStart = i
        guard hex(until: 0x3a) != nil, i < b.count else { return nil }
        i += 1
        guard hex(until: 0x20) != nil else { return nil }
        let device = String(decoding: b[devStart..<i], as: UTF8.self)
        spaces()
        var inode: UInt64 = 0
        let inodeStart = i
        while i < b.count && b[i] != 0x20 {
            guard b[i] >= 0x30 && b[i] <= 0x39, inode < UInt64.max / 10 else { return nil }
            inode = inode * 10 + UInt64(b[i] - 0x30)
            i += 1
        }
        guard i > inodeStart else { return nil }
        spaces()
        return MapsEntry(start: start, end: end, read: r == 0x72, write: w == 0x77, exec: x == 0x78, shared: sh == 0x73,
                         offset: offset, device: device, inode: inode, path: String(decoding: b[i...], as: UTF8.self))
    }

    public static func entry(_ line: String, file: String, number: Int) throws -> MapsEntry {
        func fail(_ why: String) -> InputError { InputError(file: file, line: number, message: why, text: line) }
        // Five fixed fields, then the path (which may contain spaces).
        var rest = Substring(line)
        func field() -> Substring? {
            rest = rest.drop { $0 == " " }
            guard !rest.isEmpty else { return nil }
            let f = rest.prefix { $0 != " " }
            rest = rest.dropFirst(f.count)
            return f
        }
        guard let range = field(), let perms = field(), let offset = field(), let dev = field(), let inode = field() else {
            throw fail("expected 'start-end perms offset dev inode [path]'")
        }
        let bounds = range.split(separator: "-", omittingEmptySubsequences: false)
        guard bounds.count == 2, let start = UInt64(bounds[0], radix: 16), let end = UInt64(bounds[1], radix: 16) else {
            throw fail("bad address range '\(range)'")
        }
        guard start < end else { throw fail("empty or inverted range '\(range)'") }
        let p = Array(perms)
        guard p.count == 4, "r-".contains(p[0]), "w-".contains(p[1]), "x-".contains(p[2]), "ps".contains(p[3]) else {
            throw fail("bad permissions '\(perms)' (expected e.g. r-xp)")
        }
        guard let off = UInt64(offset, radix: 16) else { throw fail("bad offset '\(offset)'") }
        let devParts = dev.split(separator: ":")
        guard devParts.count == 2, devParts.allSatisfy({ UInt64($0, radix: 16) != nil }) else { throw fail("bad device '\(dev)'") }
        guard let ino = UInt64(inode) else { throw fail("bad inode '\(inode)'") }
        let path = rest.drop { $0 == " " }
        return MapsEntry(start: start, end: end, read: p[0] == "r", write: p[1] == "w", exec: p[2] == "x", shared: p[3] == "s",
                         offset: off, device: String(dev), inode: ino, path: String(path))
    }

    /// The layout the placement code sees: VM flags from the permissions, pgoff from the offset.
    public static func layout(text: String, file: String = "maps", config: Config) throws -> Layout {
        let entries = try numberedEntries(text: text, file: file).filter { $0.entry.path != "[vsyscall]" }
        let v = { (name: String) in config.value(name) ?? 0 }
        let pageShift = v("PAGE_SHIFT")
        let (vmRead, vmWrite, vmExec, vmShared, vmGrowsDown) = (v("VM_READ"), v("VM_WRITE"), v("VM_EXEC"), v("VM_SHARED"), v("VM_GROWSDOWN"))
        var vmas: [VMA] = []
        vmas.reserveCapacity(entries.count)
        for (e, _) in entries {
            var flags: UInt64 = 0
            if e.read { flags |= vmRead }
            if e.write { flags |= vmWrite }
            if e.exec { flags |= vmExec }
            if e.shared { flags |= vmShared }
            if e.path == "[stack]" { flags |= vmGrowsDown }
            vmas.append(VMA(start: e.start, end: e.end, flags: flags, pgoff: e.offset >> pageShift, name: e.path))
        }
        let layout = Layout(vmas: vmas)
        if let (i, problem) = layout.firstProblem(pageSize: v("PAGE_SIZE"), limit: LayoutFile.limit(config)) {
            let line = entries[i].line
            throw InputError(file: file, line: line, message: problem, text: JSONErrors.lineText(line, text))
        }
        return layout
    }

    public static func layout(path: String, config: Config) throws -> Layout {
        guard let text = readWholeFile(path) else {
            throw InputError(file: path, line: 0, message: "cannot read the file", text: "")
        }
        return try layout(text: text, file: path, config: config)
    }
}


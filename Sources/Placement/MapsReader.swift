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
            do {
                out.append((try entry(raw, file: file, number: i + 1), i + 1))
            } catch where String(raw).trimmingCharacters(in: .whitespaces).isEmpty {
                continue   // other blanks than spaces and tabs
            }
        }
        return out
    }

    /// One line: five fields split at spaces, then the path (which may contain spaces). Parsed over
    /// its bytes: `live` reads a ~300-VMA process's maps twice per request.
    public static func entry(_ line: Substring, file: String, number: Int) throws -> MapsEntry {
        let b = Array(line.utf8)
        func fail(_ why: String) -> InputError { InputError(file: file, line: number, message: why, text: String(line)) }
        func text(_ s: ArraySlice<UInt8>) -> String { String(decoding: s, as: UTF8.self) }
        var i = 0
        func skipSpaces() { while i < b.count && b[i] == 0x20 { i += 1 } }
        func field() -> ArraySlice<UInt8>? {
            skipSpaces()
            guard i < b.count else { return nil }
            let first = i
            while i < b.count && b[i] != 0x20 { i += 1 }
            return b[first..<i]
        }
        guard let range = field(), let perms = field(), let offset = field(), let dev = field(), let inode = field() else {
            throw fail("expected 'start-end perms offset dev inode [path]'")
        }
        let bounds = range.split(separator: 0x2d, omittingEmptySubsequences: false)
        guard bounds.count == 2, let start = unsignedValue(bounds[0], radix: 16), let end = unsignedValue(bounds[1], radix: 16) else {
            throw fail("bad address range '\(text(range))'")
        }
        guard start < end else { throw fail("empty or inverted range '\(text(range))'") }
        let p = Array(perms)
        guard p.count == 4, p[0] == 0x72 || p[0] == 0x2d, p[1] == 0x77 || p[1] == 0x2d, p[2] == 0x78 || p[2] == 0x2d, p[3] == 0x70 || p[3] == 0x73 else {
            throw fail("bad permissions '\(text(perms))' (expected e.g. r-xp)")
        }
        guard let off = unsignedValue(offset, radix: 16) else { throw fail("bad offset '\(text(offset))'") }
        let devParts = dev.split(separator: 0x3a)
        guard devParts.count == 2, devParts.allSatisfy({ unsignedValue($0, radix: 16) != nil }) else { throw fail("bad device '\(text(dev))'") }
        guard let ino = unsignedValue(inode, radix: 10) else { throw fail("bad inode '\(text(inode))'") }
        skipSpaces()
        return MapsEntry(start: start, end: end, read: p[0] == 0x72, write: p[1] == 0x77, exec: p[2] == 0x78, shared: p[3] == 0x73,
                         offset: off, device: text(dev), inode: ino, path: text(b[i...]))
    }

    public static func entry(_ line: String, file: String, number: Int) throws -> MapsEntry {
        try entry(Substring(line), file: file, number: number)
    }

    /// Digits of `radix` (10 or 16), at least one, that fit 64 bits.
    static func unsignedValue(_ digits: ArraySlice<UInt8>, radix: UInt64) -> UInt64? {
        guard !digits.isEmpty else { return nil }
        var v: UInt64 = 0
        for c in digits {
            let d: UInt64
            switch c {
            case 0x30...0x39: d = UInt64(c - 0x30)
            case 0x61...0x66 where radix == 16: d = UInt64(c - 0x61 + 10)
            case 0x41...0x46 where radix == 16: d = UInt64(c - 0x41 + 10)
            default: return nil
            }
            let (m, o1) = v.multipliedReportingOverflow(by: radix)
            let (sum, o2) = m.addingReportingOverflow(d)
            guard !o1 && !o2 else { return nil }
            v = sum
        }
        return v
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


import Foundation
import KernelC

/// A Linux source tree the user points at: a folder, or a `linux-source-*.tar.xz` (Debian's
/// `linux-source-6.x` packages install one under /usr/src). Only the files the placement path
/// lives in are read; a tarball's are unpacked once into a cache folder keyed by its name, size and
/// modification time. The project never contains kernel code: this is where it comes from.
public struct KernelTree: Sendable {
    /// What the user passed.
    public let path: String
    /// The folder holding the tree's files (the tree itself, or the cache of a tarball).
    public let root: String
    /// `6.12.57` from the top Makefile, or nil when it has none.
    public let version: String?

    /// The files hugealign reads from a tree, relative to its top: where the placement functions
    /// and the helpers they call are defined.
    public static let placementFiles = [
        "Makefile",
        "mm/mmap.c", "mm/vma.c", "mm/vma.h", "mm/huge_memory.c", "mm/shmem.c", "mm/util.c", "mm/nommu.c",
        "include/linux/mm.h", "include/linux/mman.h", "include/linux/sched/mm.h", "include/linux/huge_mm.h", "include/linux/hugetlb.h",
        "fs/hugetlbfs/inode.c", "drivers/dax/device.c", "io_uring/memmap.c", "kernel/bpf/arena.c",
        "arch/x86/kernel/sys_x86_64.c", "arch/x86/mm/mmap.c", "arch/x86/mm/hugetlbpage.c", "arch/x86/include/asm/elf.h",
        "arch/x86/include/asm/page.h",
        "arch/arm64/include/asm/processor.h", "arch/arm64/mm/mmap.c",
    ]

    public enum Failure: Error, CustomStringConvertible {
        case missing(String)
        case notATree(String)
        case unpack(String, String)
        case unreadable(String)

        public var description: String {
            switch self {
            case .missing(let p): return "kernel tree '\(p)' does not exist"
            case .notATree(let p): return "'\(p)' is not a kernel source tree (no mm/mmap.c) nor a linux-source-*.tar.xz"
            case .unpack(let p, let why): return "cannot unpack the kernel tree '\(p)': \(why)"
            case .unreadable(let p): return "cannot read '\(p)' of the kernel tree"
            }
        }
    }

    /// Opens a folder or a tarball. Unpacking a 150 MB tarball takes about 15 s the first time.
    public init(path: String, cache: String? = nil) throws {
        self.path = path
        var isDir: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDir) else { throw Failure.missing(path) }
        if isDir.boolValue {
            guard FileManager.default.fileExists(atPath: (path as NSString).appendingPathComponent("mm/mmap.c")) else {
                throw Failure.notATree(path)
            }
            root = path
        } else {
            guard path.hasSuffix(".tar.xz") || path.hasSuffix(".tar") || path.hasSuffix(".tar.gz") else { throw Failure.notATree(path) }
            root = try KernelTree.unpack(path, cache: cache ?? KernelTree.defaultCache)
        }
        version = KernelTree.version(in: root)
    }

    /// The text of a file of the tree, or nil when the tree has no such file.
    public func file(_ relative: String) throws -> SourceFile? {
        let full = (root as NSString).appendingPathComponent(relative)
        guard FileManager.default.fileExists(atPath: full) else { return nil }
        guard let data = FileManager.default.contents(atPath: full) else { throw Failure.unreadable(relative) }
        // Kernel sources are UTF-8 (a few comments have Latin-1 names; those bytes are replaced).
        let text = String(decoding: data, as: UTF8.self)
        return SourceFile(path: displayPath(relative), text: text)
    }

    /// How diagnostics name a file of the tree: the path the user gave, then the file.
    public func displayPath(_ relative: String) -> String {
        path.hasSuffix(".tar.xz") || path.hasSuffix(".tar") || path.hasSuffix(".tar.gz")
            ? "\(path):\(relative)" : (path as NSString).appendingPathComponent(relative)
    }

    static var defaultCache: String {
        let env = ProcessInfo.processInfo.environment
        let base = env["XDG_CACHE_HOME"] ?? ((env["HOME"] ?? NSTemporaryDirectory()) as NSString).appendingPathComponent(".cache")
        return (base as NSString).appendingPathComponent("hugealign/trees")
    }

    static func version(in root: String) -> String? {
        guard let data = FileManager.default.contents(atPath: (root as NSString).appendingPathComponent("Makefile")) else { return nil }
        var parts: [String: String] = [:]
        for line in String(decoding: data, as: UTF8.self).split(separator: "\n").prefix(12) {
            let kv = line.split(separator: "=", maxSplits: 1).map { $0.trimmingCharacters(in: .whitespaces) }
            if kv.count == 2 { parts[kv[0]] = kv[1] }
        }
        guard let v = parts["VERSION"], let p = parts["PATCHLEVEL"] else { return nil }
        return [v, p, parts["SUBLEVEL"]].compactMap { $0 }.filter { !$0.isEmpty }.joined(separator: ".")
    }

    /// Unpacks the placement files of a tarball into `cache/<name>-<size>-<mtime>` (once). Two
    /// runs (or two tests) may unpack at the same time: each unpacks into a folder of its own and
    /// renames it into place; the loser of the rename uses the winner's.
    static func unpack(_ tarball: String, cache: String) throws -> String {
        let fm = FileManager.default
        guard let attributes = try? fm.attributesOfItem(atPath: tarball),
              let size = attributes[.size] as? NSNumber, let modified = attributes[.modificationDate] as? Date else {
            throw Failure.unreadable(tarball)
        }
        let name = (tarball as NSString).lastPathComponent
        // The file list is in the key (FNV-1a of it): a hugealign that reads other files unpacks again.
        let files = placementFiles.joined(separator: "\n").utf8.reduce(UInt32(2166136261)) { ($0 ^ UInt32($1)) &* 16777619 }
        let key = "\(name)-\(size.int64Value)-\(Int(modified.timeIntervalSince1970))-\(String(files, radix: 16))"
        let dest = (cache as NSString).appendingPathComponent(key)
        func finished(_ folder: String) -> String? {
            let done = (folder as NSString).appendingPathComponent(".complete")
            guard let top = try? String(contentsOfFile: done, encoding: .utf8) else { return nil }
            return (folder as NSString).appendingPathComponent(top.trimmingCharacters(in: .whitespacesAndNewlines))
        }
        if let root = finished(dest) { return root }
        let work = dest + ".unpacking-\(ProcessInfo.processInfo.processIdentifier)-\(UInt32.random(in: 0...UInt32.max))"
        do { try fm.createDirectory(atPath: work, withIntermediateDirectories: true) } catch {
            throw Failure.unpack(tarball, "cannot create the cache folder \(work)")
        }
        defer { try? fm.removeItem(atPath: work) }
        // The files under the archive's top folder (`linux-source-6.12/`, whatever it is called: `*`
        // matches one path component). Members the tree lacks (io_uring/memmap.c before 6.10) are
        // skipped by tar with a warning.
        let members = placementFiles.map { "*/\($0)" }
        _ = try? run(["tar", "-xf", tarball, "-C", work, "--wildcards", "--no-wildcards-match-slash"] + members)
        let tops = ((try? fm.contentsOfDirectory(atPath: work)) ?? []).filter {
            fm.fileExists(atPath: ((work as NSString).appendingPathComponent($0) as NSString).appendingPathComponent("mm/mmap.c"))
        }
        guard tops.count == 1, let top = tops.first else { throw Failure.notATree(tarball) }
        try? String(top).write(toFile: (work as NSString).appendingPathComponent(".complete"), atomically: true, encoding: .utf8)
        // A half-written folder of an earlier, killed run has no .complete: it is replaced.
        if fm.fileExists(atPath: dest) && finished(dest) == nil { try? fm.removeItem(atPath: dest) }
        _ = rename(work, dest)
        guard let root = finished(dest) else { throw Failure.unpack(tarball, "cannot move the unpacked files to \(dest)") }
        return root
    }

    /// Runs a command to its end; its output is not needed (tar -x).
    static func run(_ argv: [String]) throws {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = argv
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        do { try process.run() } catch { throw Failure.unpack(argv.last ?? "", "cannot run \(argv[0])") }
        process.waitUntilExit()
        // 2: some members were not found (a file an older tree lacks).
        if process.terminationStatus != 0 && process.terminationStatus != 2 {
            throw Failure.unpack(argv[2], "\(argv[0]) exited with status \(process.terminationStatus)")
        }
    }
}

import Foundation
import Testing

let hostIsX86Linux: Bool = {
    #if os(Linux) && arch(x86_64)
    return true
    #else
    return false
    #endif
}()

/// The x86-64 models against the running kernel: real mmap calls in a child process. Skipped (not
/// passed) where the host is not x86-64 Linux.
@Suite(.enabled(if: hostIsX86Linux, "hugealign live compares with an x86-64 Linux kernel"), .tags(.hostKernel))
struct LiveTests {
    @Test func modelAgreesWithThisKernel() throws {
        let r = try runCLI(["live", "--count", "400", "--seed", "3", "--json"])
        #expect(r.status == 0, "disagreements:\n\(r.out)\(r.err)")
        let doc = try JSONSerialization.jsonObject(with: Data(r.out.utf8)) as? [String: Any]
        let requests = doc?["requests"] as? Int ?? 0
        let agreements = doc?["agreements"] as? Int ?? -1
        #expect(requests == 400)
        #expect(agreements == requests)
        // Every class is reported on its own, among them the ones outside the general generator
        // and hints below mmap_min_addr (which the kernel raises to the LSM minimum, higher than
        // the sysctl shows on Debian kernels: live once took the sysctl for it).
        let classes = (doc?["classes"] as? [[String: Any]] ?? []).map { ($0["name"] as? String ?? "", $0["requests"] as? Int ?? 0, $0["agreements"] as? Int ?? -1) }
        #expect(classes.count >= 12, "\(classes)")
        #expect(classes.reduce(0) { $0 + $1.1 } == requests)
        // As root, huge pages are reserved for the run and MAP_HUGETLB requests are made too.
        // So are files on tmpfs mounts with each huge= option, in a private mount namespace.
        let hugetlb = getuid() == 0 ? ["anon-hugetlb, no hint", "tmpfs huge=always, no hint", "tmpfs huge=never, no hint"] : []
        for name in ["MAP_FIXED over an own mapping", "anon-private, MAP_32BIT", "zero length", "length beyond the task", "anon-private, hint below mmap_min_addr"] + hugetlb {
            #expect(classes.contains { $0.0 == name && $0.1 > 0 && $0.1 == $0.2 }, "\(name): \(classes)")
        }
    }

    /// `setarch -L` (personality ADDR_COMPAT_LAYOUT) selects the legacy bottom-up layout as the
    /// sysctl does; live once read only the sysctl and agreed on about a third of the requests.
    @Test(.enabled(if: FileManager.default.isExecutableFile(atPath: "/usr/bin/setarch"), "needs setarch (util-linux)"))
    func legacyLayoutByPersonality() throws {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/usr/bin/setarch")
        p.arguments = ["x86_64", "-L", Paths.binary, "live", "--count", "300", "--seed", "4", "--json"]
        p.currentDirectoryURL = URL(fileURLWithPath: Paths.root)
        let out = Pipe()
        p.standardOutput = out
        p.standardError = FileHandle.nullDevice
        try p.run()
        let data = out.fileHandleForReading.readDataToEndOfFile()
        p.waitUntilExit()
        let doc = try JSONSerialization.jsonObject(with: data) as? [String: Any]
        #expect(doc?["agreements"] as? Int == 300, "\(String(decoding: data, as: UTF8.self).prefix(2000))")
    }

    @Test func sameSeedSameRequests() throws {
        let a = try runCLI(["live", "--count", "50", "--seed", "9", "--json"])
        let b = try runCLI(["live", "--count", "50", "--seed", "9", "--json"])
        #expect(a.out == b.out)
    }

    /// A killed `hugealign live` takes its child with it, and the child's data file is gone.
    @Test func childDiesWithItsParent() throws {
        let dir = try temporaryFolder("live")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let p = Process()
        p.executableURL = URL(fileURLWithPath: Paths.binary)
        p.arguments = ["live", "--count", "10000000", "--model", Paths.repo("specs/kernel/v6.18/mmap.spec")]
        p.currentDirectoryURL = URL(fileURLWithPath: dir)
        p.standardOutput = FileHandle.nullDevice
        p.standardError = FileHandle.nullDevice
        try p.run()
        func child() -> Int32? {
            for pid in (try? FileManager.default.contentsOfDirectory(atPath: "/proc")) ?? [] where pid.allSatisfy(\.isNumber) {
                guard let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8),
                      let close = stat.lastIndex(of: ")") else { continue }
                let fields = stat[stat.index(after: close)...].split(separator: " ")
                if fields.count > 1, Int32(fields[1]) == p.processIdentifier { return Int32(pid) }
            }
            return nil
        }
        var kid: Int32?
        for _ in 0..<200 where kid == nil { kid = child(); if kid == nil { usleep(50_000) } }
        let pid = try #require(kid, "the live child never started")
        usleep(300_000)
        kill(p.processIdentifier, SIGKILL)
        p.waitUntilExit()
        var gone = false
        for _ in 0..<100 where !gone { gone = kill(pid, 0) != 0; if !gone { usleep(50_000) } }
        #expect(gone, "live-child \(pid) outlived its parent")
        let left = try FileManager.default.contentsOfDirectory(atPath: dir).filter { $0.hasPrefix(".hugealign-live") }
        #expect(left.isEmpty, "left behind: \(left)")
    }
}

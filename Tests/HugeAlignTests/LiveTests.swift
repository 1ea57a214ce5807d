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
// Serialized: as root each live run raises the huge page pool and gives it back at its end; runs
// that overlap would give back each other's pages (and the killed one in childDiesWithItsParent
// must find the pool as it was).
@Suite(.enabled(if: hostIsX86Linux, "hugealign live compares with an x86-64 Linux kernel"), .tags(.hostKernel), .serialized)
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

    /// What do_mmap() checks of a request around the placement, errno included: an invalid
    /// MAP_TYPE, MAP_SHARED_VALIDATE on anonymous memory, MAP_SYNC where the file does not take it,
    /// an offset past MAX_LFS_FILESIZE, MAP_FIXED_NOREPLACE below mmap_min_addr. The model before
    /// it read do_mmap() from a kernel tree disagreed on each of these classes.
    @Test func requestChecksAgreeWithThisKernel() throws {
        let r = try runCLI(["live", "--count", "800", "--seed", "22", "--json"])
        let doc = try JSONSerialization.jsonObject(with: Data(r.out.utf8)) as? [String: Any]
        let classes = (doc?["classes"] as? [[String: Any]] ?? []).map { ($0["name"] as? String ?? "", $0["requests"] as? Int ?? 0, $0["agreements"] as? Int ?? -1) }
        // The file ones are made on the local file or the memfd: the class names end alike.
        for name in ["invalid MAP_TYPE", "anon, MAP_SHARED_VALIDATE", ", MAP_SHARED_VALIDATE|MAP_SYNC", ", offset past MAX_LFS_FILESIZE",
                     "anon, MAP_DROPPABLE", "anon-private, MAP_FIXED_NOREPLACE below mmap_min_addr"] {
            let matching = classes.filter { $0.0.hasSuffix(name) }
            #expect(!matching.isEmpty && matching.allSatisfy { $0.1 > 0 && $0.1 == $0.2 }, "\(name): \(classes)")
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

    /// With address randomisation the mmap base is read back from where the kernel put the ELF
    /// interpreter; the predictions then agree as without it (MAP_32BIT, whose window moves at
    /// random on every call, is not asked).
    @Test func randomisedLayoutWithTheBaseReadBack() throws {
        let r = try runCLI(["live", "--randomize", "--count", "300", "--seed", "5"])
        #expect(r.status == 0, "\(r.out)\(r.err)")
        #expect(r.out.contains("randomised; read back") && r.out.contains("agreement: 300 / 300"), "\(r.out.prefix(1500))")
        #expect(!r.out.contains("MAP_32BIT"))
    }

    @Test func sameSeedSameRequests() throws {
        let a = try runCLI(["live", "--count", "50", "--seed", "9", "--json"])
        let b = try runCLI(["live", "--count", "50", "--seed", "9", "--json"])
        #expect(a.out == b.out)
    }

    /// `--log` records what the probe saw; `--from-log` checks it again without calling mmap and
    /// gives the same agreement; a result changed in the log is a disagreement; a cut-short or
    /// foreign log is an input error naming the line.
    @Test func recordedLogIsCheckedElsewhere() throws {
        let dir = try temporaryFolder("live-log")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let log = dir + "/probe.log"
        let model = Paths.repo("specs/kernel/v6.18/mmap.spec")
        let live = try runCLI(["live", "--count", "150", "--seed", "12", "--log", log, "--model", model])
        #expect(live.status == 0, "\(live.out)\(live.err)")
        let check = try runCLI(["live", "--from-log", log, "--model", model, "--json"])
        #expect(check.status == 0, "\(check.out)\(check.err)")
        let doc = try JSONSerialization.jsonObject(with: Data(check.out.utf8)) as? [String: Any]
        #expect(doc?["requests"] as? Int == 150 && doc?["agreements"] as? Int == 150)
        // One result changed: the check must see it.
        var lines = try String(contentsOfFile: log, encoding: .utf8).split(separator: "\n").map(String.init)
        let i = try #require(lines.indices.dropFirst().first { lines[$0].contains("\"result\":") })
        var entry = try #require(try JSONSerialization.jsonObject(with: Data(lines[i].utf8)) as? [String: Any])
        let result = try #require((entry["result"] as? NSNumber)?.uint64Value)
        entry["result"] = NSNumber(value: result &+ 0x1000)
        lines[i] = String(decoding: try JSONSerialization.data(withJSONObject: entry), as: UTF8.self)
        try (lines.joined(separator: "\n") + "\n").write(toFile: log, atomically: true, encoding: .utf8)
        let tampered = try runCLI(["live", "--from-log", log, "--model", model])
        #expect(tampered.status == 10 && tampered.out.contains("agreement: 149 / 150"), "\(tampered.out)")
        // Cut short in the middle of a line, and not a log at all.
        let cut = lines.prefix(6).joined(separator: "\n") + "\n" + String(lines[6].prefix(40))
        try cut.write(toFile: log, atomically: true, encoding: .utf8)
        let short = try runCLI(["live", "--from-log", log, "--model", model])
        #expect(short.status == 2 && short.err.contains("probe.log:7") && short.err.contains("cut short"), "\(short.err)")
        try "{\"layout\": []}\n".write(toFile: log, atomically: true, encoding: .utf8)
        let foreign = try runCLI(["live", "--from-log", log, "--model", model])
        #expect(foreign.status == 2 && foreign.err.contains("probe.log:1") && foreign.err.contains("header"), "\(foreign.err)")
    }

    /// A killed `hugealign live` takes its child with it, and the child's data file is gone.
    @Test func childDiesWithItsParent() throws {
        let dir = try temporaryFolder("live")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        // As root live reserves huge pages for its run and gives them back at its end; a SIGKILL
        // leaves them reserved, so the test gives them back itself.
        let pool = "/sys/kernel/mm/hugepages/hugepages-2048kB/nr_hugepages"
        let before = try? String(contentsOfFile: pool, encoding: .utf8)
        defer { if let before, getuid() == 0 { try? before.write(toFile: pool, atomically: false, encoding: .utf8) } }
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

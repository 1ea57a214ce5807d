import Foundation
import Testing

/// `live --qemu`: the models against a Debian kernel booted under qemu (probe/fetch-kernels
/// fetches it and installs qemu). The comparison is skipped where qemu or the kernel package is
/// missing; the failure modes are checked everywhere.
@Suite(.serialized)
struct LiveQemuTests {
    /// The cached kernel package for `arch` (probe/fetch-kernels puts it there), if any.
    static func kernel(_ arch: String) -> String? {
        let dir = ProcessInfo.processInfo.environment["HUGEALIGN_KERNELS"] ?? NSHomeDirectory() + "/.cache/hugealign/kernels"
        let names = (try? FileManager.default.contentsOfDirectory(atPath: dir)) ?? []
        return names.filter { $0.hasPrefix("linux-image-") && $0.hasSuffix("_\(arch).deb") }.sorted().last.map { dir + "/" + $0 }
    }

    static func installed(_ tool: String) -> Bool {
        (ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin").split(separator: ":").contains {
            FileManager.default.isExecutableFile(atPath: "\($0)/\(tool)")
        }
    }

    static let la57Ready = installed("qemu-system-x86_64") && installed("cc") && kernel("amd64") != nil
    static let tree = "/usr/src/linux-source-6.12.tar.xz"

    /// 5-level paging: the guest takes hints above the 47-bit window into the 56-bit space, and
    /// every class agrees with the 6.12 functions read from the tree of the same version.
    @Test(.enabled(if: la57Ready && FileManager.default.fileExists(atPath: tree), "needs qemu-system-x86, a linux-image amd64 .deb (probe/fetch-kernels) and linux-source-6.12"))
    func la57GuestAgrees() throws {
        let r = try runCLI(["live", "--qemu", "x86_64-la57", "--kernel", Self.kernel("amd64")!, "--kernel-tree", Self.tree,
                            "--count", "150", "--seed", "5", "--json"])
        #expect(r.status == 0, "\(r.out)\(r.err)")
        let doc = try JSONSerialization.jsonObject(with: Data(r.out.utf8)) as? [String: Any]
        #expect(doc?["requests"] as? Int == 150 && doc?["agreements"] as? Int == 150)
        let classes = (doc?["classes"] as? [[String: Any]] ?? []).compactMap { $0["name"] as? String }
        #expect(classes.contains { $0.hasSuffix("hint above the default window") }, "\(classes)")
        // The hints above the window reach past 2^47 in this guest: the log of the run shows it.
        #expect(r.out.contains("la57"), "the report names the qemu CPU")
    }

    /// A missing kernel is a missing prerequisite (3); a file that is no kernel is a guest that
    /// does not boot (4), reported within the boot timeout, never a hang.
    @Test func failuresAreClearAndBounded() throws {
        let dir = try temporaryFolder("qemu")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let missing = try runCLI(["live", "--qemu", "x86_64-la57", "--kernel", dir + "/nothing.deb", "--count", "10"])
        #expect(missing.status == 3 && missing.err.contains("no kernel at"), "\(missing.status) \(missing.err)")
        let usage = try runCLI(["live", "--qemu", "x86_64-la57", "--count", "10"])
        #expect(usage.status != 0 && usage.err.contains("--kernel"), "\(usage.err)")
        let bogus = dir + "/vmlinuz"
        try String(repeating: "not a kernel\n", count: 100).write(toFile: bogus, atomically: true, encoding: .utf8)
        let start = Date()
        let r = try runCLI(["live", "--qemu", "x86_64-la57", "--kernel", bogus, "--count", "10", "--boot-timeout", "20"])
        if Self.installed("qemu-system-x86_64") {
            #expect(r.status == 4, "\(r.status) \(r.err)")
            #expect(r.err.contains("guest"), "\(r.err)")
        } else {
            #expect(r.status == 3 && r.err.contains("not installed"), "\(r.err)")
        }
        #expect(Date().timeIntervalSince(start) < 120)
    }
}

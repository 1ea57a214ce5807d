import Foundation
import Placement
import Testing

/// A scaled space is only a faithful miniature if the order of the constants placement code
/// compares is the real one: e.g. on x86-64 the stack guard gap (1 MiB) is larger than
/// mmap_min_addr (64 KiB), so a guard gap can reach below address 0 (docs/kernel-policies.md); a
/// scaled space where it cannot would hide that behaviour from the model checker.
@Suite struct ScaledConfigTests {
    static let compared: [ConfigKey] = [.pageSize, .mmapMinAddr, .stackGuardGap, .pmdSize, .pudSize, .taskUnmappedBase,
                                        .mmapLegacyBase, .mmapBase, .taskSize, .defaultMapWindow, .taskSizeMax]

    @Test(arguments: ["scaled8", "scaled8-x86", "scaled8-growsup", "scaled16"])
    func scaledSpacesKeepTheRealOrder(name: String) throws {
        let real = Config.x86_64
        let scaled = try #require(Config.named(name))
        var broken: [String] = []
        for (i, a) in Self.compared.enumerated() {
            for b in Self.compared[(i + 1)...] {
                guard let ra = real[a], let rb = real[b], let sa = scaled[a], let sb = scaled[b] else {
                    broken.append("\(a.rawValue) or \(b.rawValue) missing"); continue
                }
                let realOrder = ra < rb ? "<" : ra == rb ? "=" : ">"
                let scaledOrder = sa < sb ? "<" : sa == sb ? "=" : ">"
                if realOrder != scaledOrder { broken.append("\(a.rawValue) \(realOrder) \(b.rawValue) on x86_64, \(scaledOrder) in \(name)") }
            }
        }
        #expect(broken.isEmpty, "\(broken.joined(separator: "\n"))")
    }
}

/// docs/reproducers/guard_gap_at_zero.c shows the finding of
/// `unmapped_area_topdown_guard_gap_at_zero` on this machine's kernel: mmap fails with ENOMEM
/// next to a low stack although there is room. Skipped without a C compiler.
/// Builds and runs one of docs/reproducers/: 1 the kernel shows the behaviour, 0 it does not, 2 it
/// cannot be set up on this machine (then the test says so instead of passing).
func runReproducer(_ name: String) throws -> (status: Int32, output: String) {
    let dir = try temporaryFolder("reproducer")
    defer { try? FileManager.default.removeItem(atPath: dir) }
    let cc = Process()
    cc.executableURL = URL(fileURLWithPath: "/usr/bin/cc")
    cc.arguments = ["-O2", "-o", dir + "/repro", Paths.repo("docs/reproducers/\(name)")]
    try cc.run(); cc.waitUntilExit()
    #expect(cc.terminationStatus == 0)
    let run = Process()
    run.executableURL = URL(fileURLWithPath: dir + "/repro")
    let pipe = Pipe()
    run.standardOutput = pipe
    try run.run()
    let out = String(decoding: pipe.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
    run.waitUntilExit()
    try #require(run.terminationStatus != 2, "cannot be set up here: \(out)")
    return (run.terminationStatus, out)
}

@Test(.enabled(if: FileManager.default.isExecutableFile(atPath: "/usr/bin/cc"), "needs a C compiler (/usr/bin/cc)"), .tags(.hostKernel))
func guardGapAtZeroReproducesOnThisKernel() throws {
    let r = try runReproducer("guard_gap_at_zero.c")
    #expect(r.status == 1, "\(r.output)")
}

/// docs/reproducers/map32bit_thp_hole.c shows the finding of `map_32bit_thp_starts_at_window_start`
/// on this machine's kernel: a 2 MiB MAP_32BIT mapping skips the free 2 MiB below it.
@Test(.enabled(if: FileManager.default.isExecutableFile(atPath: "/usr/bin/cc"), "needs a C compiler (/usr/bin/cc)"), .tags(.hostKernel))
func map32BitTHPHoleReproducesOnThisKernel() throws {
    let r = try runReproducer("map32bit_thp_hole.c")
    #expect(r.status == 1, "\(r.output)")
}

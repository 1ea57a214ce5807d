import Engines
import KernelC
import Placement
import Testing
import Foundation

/// Paths the tests need: the repository root, its specs, and the built `hugealign` binary.
enum Paths {
    static let root: String = {
        var url = URL(fileURLWithPath: #filePath)
        for _ in 0..<3 { url.deleteLastPathComponent() }
        return url.path
    }()

    static func repo(_ rel: String) -> String { (root as NSString).appendingPathComponent(rel) }

    static let malformedDirectory = repo("Tests/HugeAlignTests/Malformed")

    /// The `hugealign` executable built next to the test bundle.
    static var binary: String {
        let exe = (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe")) ?? CommandLine.arguments[0]
        var dir = (exe as NSString).deletingLastPathComponent
        // On Linux the test runner is .build/<triple>/debug/hugealignPackageTests.xctest.
        if dir.hasSuffix(".xctest") { dir = (dir as NSString).deletingLastPathComponent }
        return (dir as NSString).appendingPathComponent("hugealign")
    }
}

/// Runs the CLI as a real process; returns exit status, stdout and stderr. Both pipes are read at
/// once (reading one to its end first deadlocks when the other fills its 64 KiB buffer).
func runCLI(_ args: [String], in directory: String = Paths.root, environment: [String: String] = [:]) throws -> (status: Int32, out: String, err: String) {
    let p = Process()
    p.executableURL = URL(fileURLWithPath: Paths.binary)
    p.arguments = args
    p.currentDirectoryURL = URL(fileURLWithPath: directory)
    if !environment.isEmpty { p.environment = ProcessInfo.processInfo.environment.merging(environment) { $1 } }
    let out = Pipe(), err = Pipe()
    p.standardOutput = out
    p.standardError = err
    try p.run()
    final class Box: @unchecked Sendable { var data = Data() }
    let errBox = Box()
    let group = DispatchGroup()
    group.enter()
    DispatchQueue.global().async {
        errBox.data = err.fileHandleForReading.readDataToEndOfFile()
        group.leave()
    }
    let o = out.fileHandleForReading.readDataToEndOfFile()
    group.wait()
    p.waitUntilExit()
    return (p.terminationStatus, String(decoding: o, as: UTF8.self), String(decoding: errBox.data, as: UTF8.self))
}

/// A fresh temporary folder for one test.
func temporaryFolder(_ name: String) throws -> String {
    let dir = NSTemporaryDirectory() + "hugealign-\(name)-\(getpid())-\(UInt32.random(in: 0...UInt32.max))"
    try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
    return dir
}

/// A small deterministic PRNG (SplitMix64) so failures reproduce.
struct SplitMix64: RandomNumberGenerator {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9e37_79b9_7f4a_7c15
        var z = state
        z = (z ^ (z >> 30)) &* 0xbf58_476d_1ce4_e5b9
        z = (z ^ (z >> 27)) &* 0x94d0_49bb_1331_11eb
        return z ^ (z >> 31)
    }
}

extension Tag {
    /// Tests that ask this machine's kernel (real mmap calls, a compiled C reproducer): they say
    /// something about the host, not only about hugealign.
    @Tag static var hostKernel: Tag
}

/// Proves every property of a spec text with the deterministic budget (as `adjust` leaves it), by name.
func proveAll(_ text: String, config: Config = .scaled8, adjust: (inout ProverOptions) -> Void = { _ in }) throws -> [String: PropertyResult] {
    let unit = try SpecLoader.load(text: text, path: "test.spec", model: config.dataModel)
    var options = ProverOptions.deterministic(config: config)
    adjust(&options)
    let prover = Prover(options: options)
    var out: [String: PropertyResult] = [:]
    for p in unit.program.properties { out[p.name] = try prover.prove(p, in: unit.program, file: "test.spec") }
    return out
}

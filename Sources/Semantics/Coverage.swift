import KernelC

/// Which branches a concrete run took, AFL-style: a fixed-size bitmap indexed by a hash of the
/// branch's identity (its source position, so runs are reproducible) and its outcome. Loops record how many passes they made
/// (in power-of-two buckets), so "the retry loop ran twice" is behaviour of its own. The fuzzer keeps
/// inputs that set bits no earlier input set.
public final class CoverageMap {
    public static let size = 1 << 16
    /// Bits set by the current run.
    public private(set) var current = [UInt8](repeating: 0, count: CoverageMap.size)
    /// Every bit set by any run so far.
    public private(set) var seen = [UInt8](repeating: 0, count: CoverageMap.size)
    /// Indices set in `current`, so resetting costs what the run touched.
    private var touched: [Int] = []
    public private(set) var seenCount = 0

    public init() { touched.reserveCapacity(256) }

    @inline(__always) func hit(_ at: SourceLocation, _ outcome: Int) {
        let file = UInt(at.file?.lines.count ?? 0)
        let id = file &* 1_000_003 ^ UInt(at.line) << 12 ^ UInt(at.column)
        var h = id &* 0x9E37_79B9_7F4A_7C15 &+ UInt(outcome) &* 0xBF58_476D_1CE4_E5B9
        h ^= h >> 29
        let i = Int(h & UInt(CoverageMap.size - 1))
        if current[i] == 0 { current[i] = 1; touched.append(i) }
    }

    /// Starts a run.
    public func reset() {
        for i in touched { current[i] = 0 }
        touched.removeAll(keepingCapacity: true)
    }

    /// Merges the current run into `seen`; true when it set a bit never seen before.
    @discardableResult
    public func commit() -> Bool {
        var new = false
        for i in touched where seen[i] == 0 {
            seen[i] = 1
            seenCount += 1
            new = true
        }
        return new
    }

    /// Whether the current run set a bit never seen before (without merging it).
    public var currentIsNew: Bool { touched.contains { seen[$0] == 0 } }
}

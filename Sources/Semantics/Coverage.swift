import KernelC

/// Which branches a concrete run took, AFL-style: a fixed-size bitmap indexed by a hash of the
/// branch's identity (its source position, so runs are reproducible) and its outcome. Loops record how many passes they made
/// (in power-of-two buckets), so "the retry loop ran twice" is behaviour of its own. The fuzzer keeps
/// inputs that set bits no earlier input set.
///
/// The current run's bits live in fixed buffers so that compiled code (`Compiled`) sets them
/// directly, with the same hash (`index`).
public final class CoverageMap {
    public static let size = 1 << 16
    /// Bits set by the current run.
    public let current: UnsafeMutablePointer<UInt8>
    /// Every bit set by any run so far.
    let seen: UnsafeMutablePointer<UInt8>
    /// Indices set in `current`, so resetting costs what the run touched; `touchedCount` of them.
    public let touched: UnsafeMutablePointer<Int32>
    public let touchedCount: UnsafeMutablePointer<Int64>
    public private(set) var seenCount = 0

    public init() {
        current = .allocate(capacity: CoverageMap.size)
        current.initialize(repeating: 0, count: CoverageMap.size)
        seen = .allocate(capacity: CoverageMap.size)
        seen.initialize(repeating: 0, count: CoverageMap.size)
        touched = .allocate(capacity: CoverageMap.size)
        touchedCount = .allocate(capacity: 1)
        touchedCount.pointee = 0
    }

    deinit {
        current.deallocate()
        seen.deallocate()
        touched.deallocate()
        touchedCount.deallocate()
    }

    /// A branch's identity: its source position.
    @inline(__always) public static func site(_ at: SourceLocation) -> UInt {
        let file = UInt(at.file?.lines.count ?? 0)
        return file &* 1_000_003 ^ UInt(at.line) << 12 ^ UInt(at.column)
    }

    /// The bit of a branch and its outcome.
    @inline(__always) public static func index(site: UInt, outcome: Int) -> Int {
        var h = site &* 0x9E37_79B9_7F4A_7C15 &+ UInt(outcome) &* 0xBF58_476D_1CE4_E5B9
        h ^= h >> 29
        return Int(h & UInt(CoverageMap.size - 1))
    }

    @inline(__always) func hit(_ at: SourceLocation, _ outcome: Int) {
        let i = CoverageMap.index(site: CoverageMap.site(at), outcome: outcome)
        if current[i] == 0 {
            current[i] = 1
            touched[Int(touchedCount.pointee)] = Int32(i)
            touchedCount.pointee += 1
        }
    }

    /// The bits the current run set, in the order it set them.
    public var currentIndices: [Int] { (0..<Int(touchedCount.pointee)).map { Int(touched[$0]) } }

    /// Starts a run.
    public func reset() {
        for k in 0..<Int(touchedCount.pointee) { current[Int(touched[k])] = 0 }
        touchedCount.pointee = 0
    }

    /// Merges the current run into `seen`; true when it set a bit never seen before. `reset`:
    /// also starts the next run, in the same pass (the fuzzer's loop).
    @discardableResult
    public func commit(reset: Bool = false) -> Bool {
        var new = false
        var added = 0
        for k in 0..<Int(touchedCount.pointee) {
            let i = Int(touched[k])
            if seen[i] == 0 {
                seen[i] = 1
                added += 1
                new = true
            }
            if reset { current[i] = 0 }
        }
        seenCount += added
        if reset { touchedCount.pointee = 0 }
        return new
    }

    /// Whether the current run set a bit never seen before (without merging it).
    public var currentIsNew: Bool { (0..<Int(touchedCount.pointee)).contains { seen[Int(touched[$0])] == 0 } }
}

import KernelC

/// Which branches a concrete run took, AFL-style: a fixed-size bitmap indexed by a hash of the
/// branch's identity (its source position, so runs are reproducible) and its outcome. Loops record how many passes they made
/// (in power-of-two buckets), so "the retry loop ran twice" is behaviour of its own. The fuzzer keeps
/// inputs that set bits no earlier input set.
///
/// The current run's bits live in fixed buffers so that compiled code (`Compiled`) sets them
/// directly, with the same hash (`index`). A bit belongs to the current run when its entry holds
/// the run's epoch, so starting a run clears nothing; and a run that set a bit never seen before
/// says so as it sets it (`state[2]`), so a run that found nothing new merges nothing.
public final class CoverageMap {
    public static let size = 1 << 16
    /// Per bit: the epoch of the last run that set it.
    public let current: UnsafeMutablePointer<UInt32>
    /// Every bit set by any run so far (0/1).
    public let seen: UnsafeMutablePointer<UInt8>
    /// Indices set by the current run, in the order it set them (`state[0]` of them).
    public let touched: UnsafeMutablePointer<Int32>
    /// The current run's count of `touched`, its epoch, and whether it set an unseen bit.
    public let state: UnsafeMutablePointer<Int64>
    public private(set) var seenCount = 0

    public init() {
        current = .allocate(capacity: CoverageMap.size)
        current.initialize(repeating: 0, count: CoverageMap.size)
        seen = .allocate(capacity: CoverageMap.size)
        seen.initialize(repeating: 0, count: CoverageMap.size)
        touched = .allocate(capacity: CoverageMap.size)
        state = .allocate(capacity: 3)
        state.initialize(repeating: 0, count: 3)
        state[1] = 1
    }

    deinit {
        current.deallocate()
        seen.deallocate()
        touched.deallocate()
        state.deallocate()
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
        let epoch = UInt32(truncatingIfNeeded: state[1])
        if current[i] != epoch {
            current[i] = epoch
            touched[Int(state[0])] = Int32(i)
            state[0] += 1
            if seen[i] == 0 { state[2] = 1 }
        }
    }

    /// The bits the current run set, in the order it set them.
    public var currentIndices: [Int] { (0..<Int(state[0])).map { Int(touched[$0]) } }

    /// Starts a run: a new epoch (every entry cleared when the epoch wraps).
    public func reset() {
        state[0] = 0
        state[2] = 0
        state[1] = (state[1] + 1) & 0xffff_ffff
        if state[1] == 0 {
            current.update(repeating: 0, count: CoverageMap.size)
            state[1] = 1
        }
    }

    /// Merges the current run into `seen`; true when it set a bit never seen before.
    @discardableResult
    public func commit() -> Bool {
        let new = state[2] != 0
        if new {
            for k in 0..<Int(state[0]) {
                let i = Int(touched[k])
                if seen[i] == 0 {
                    seen[i] = 1
                    seenCount += 1
                }
            }
            state[2] = 0
        }
        return new
    }

    /// Whether the current run set a bit never seen before (without merging it).
    public var currentIsNew: Bool { state[2] != 0 }
}

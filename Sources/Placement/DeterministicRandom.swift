/// SplitMix64: a small, fast generator whose sequence depends only on the seed, so runs with the
/// same seed make the same requests and write the same reports. Inlinable: the fuzzer's draws are
/// its hot loop, and a generic `pick` not specialised across modules costs a call and a retain.
public struct DeterministicRandom: RandomNumberGenerator, Sendable {
    public var state: UInt64
    @inlinable public init(seed: UInt64) { state = seed }
    @inlinable @inline(__always) public mutating func next() -> UInt64 {
        state &+= 0x9e37_79b9_7f4a_7c15
        var z = state
        z = (z ^ (z >> 30)) &* 0xbf58_476d_1ce4_e5b9
        z = (z ^ (z >> 27)) &* 0x94d0_49bb_1331_11eb
        return z ^ (z >> 31)
    }
    @inlinable @inline(__always) public mutating func below(_ n: UInt64) -> UInt64 { n == 0 ? 0 : next() % n }
    @inlinable @inline(__always) public mutating func pick<T>(_ xs: [T]) -> T { xs[Int(below(UInt64(xs.count)))] }
    @inlinable @inline(__always) public mutating func chance(_ percent: UInt64) -> Bool { below(100) < percent }
}

/// W-bit words (W ≤ 64) held in the low bits of a `UInt64`, always kept masked; C's wrap-around and
/// SMT-LIB's total division and shift semantics.
public struct ConcreteDomain: Domain, Sendable {
    public typealias Word = UInt64
    public typealias Truth = Bool

    public init() {}

    @inline(__always) public static func mask(_ bits: Int) -> UInt64 { bits >= 64 ? .max : (1 << UInt64(bits)) - 1 }
    @inline(__always) static func signBit(_ bits: Int) -> UInt64 { 1 << UInt64(bits - 1) }
    @inline(__always) static func isNegative(_ a: UInt64, _ bits: Int) -> Bool { a & signBit(bits) != 0 }
    /// The signed value of a `bits`-wide word.
    @inline(__always) public static func signed(_ a: UInt64, bits: Int) -> Int64 {
        bits >= 64 ? Int64(bitPattern: a) : (isNegative(a, bits) ? Int64(bitPattern: a | ~mask(bits)) : Int64(a))
    }

    public func constant(_ value: UInt64, bits: Int) -> UInt64 { value & Self.mask(bits) }
    public func truth(_ value: Bool) -> Bool { value }
    public func literal(_ t: Bool) -> Bool? { t }

    public func add(_ a: UInt64, _ b: UInt64, bits: Int) -> UInt64 { (a &+ b) & Self.mask(bits) }
    public func sub(_ a: UInt64, _ b: UInt64, bits: Int) -> UInt64 { (a &- b) & Self.mask(bits) }
    public func mul(_ a: UInt64, _ b: UInt64, bits: Int) -> UInt64 { (a &* b) & Self.mask(bits) }
    public func udiv(_ a: UInt64, _ b: UInt64, bits: Int) -> UInt64 { b == 0 ? Self.mask(bits) : a / b }
    public func urem(_ a: UInt64, _ b: UInt64, bits: Int) -> UInt64 { b == 0 ? a : a % b }

    /// SMT-LIB bvsdiv: unsigned division of magnitudes, negated when the signs differ.
    public func sdiv(_ a: UInt64, _ b: UInt64, bits: Int) -> UInt64 {
        let na = Self.isNegative(a, bits), nb = Self.isNegative(b, bits)
        let ma = na ? neg(a, bits: bits) : a, mb = nb ? neg(b, bits: bits) : b
        let q = udiv(ma, mb, bits: bits)
        return na != nb ? neg(q, bits: bits) : q
    }

    /// SMT-LIB bvsrem: the sign follows the dividend.
    public func srem(_ a: UInt64, _ b: UInt64, bits: Int) -> UInt64 {
        let na = Self.isNegative(a, bits), nb = Self.isNegative(b, bits)
        let ma = na ? neg(a, bits: bits) : a, mb = nb ? neg(b, bits: bits) : b
        let r = urem(ma, mb, bits: bits)
        return na ? neg(r, bits: bits) : r
    }

    public func and(_ a: UInt64, _ b: UInt64, bits: Int) -> UInt64 { a & b }
    public func or(_ a: UInt64, _ b: UInt64, bits: Int) -> UInt64 { a | b }
    public func xor(_ a: UInt64, _ b: UInt64, bits: Int) -> UInt64 { a ^ b }
    public func shl(_ a: UInt64, _ b: UInt64, bits: Int) -> UInt64 { b >= UInt64(bits) ? 0 : (a << b) & Self.mask(bits) }
    public func lshr(_ a: UInt64, _ b: UInt64, bits: Int) -> UInt64 { b >= UInt64(bits) ? 0 : a >> b }
    public func ashr(_ a: UInt64, _ b: UInt64, bits: Int) -> UInt64 {
        let negative = Self.isNegative(a, bits)
        if b >= UInt64(bits) { return negative ? Self.mask(bits) : 0 }
        let shifted = a >> b
        return negative ? (shifted | ~(Self.mask(bits) >> b)) & Self.mask(bits) : shifted
    }
    public func neg(_ a: UInt64, bits: Int) -> UInt64 { (0 &- a) & Self.mask(bits) }
    public func bitNot(_ a: UInt64, bits: Int) -> UInt64 { ~a & Self.mask(bits) }

    public func eq(_ a: UInt64, _ b: UInt64, bits: Int) -> Bool { a == b }
    public func ult(_ a: UInt64, _ b: UInt64, bits: Int) -> Bool { a < b }
    public func ule(_ a: UInt64, _ b: UInt64, bits: Int) -> Bool { a <= b }
    public func slt(_ a: UInt64, _ b: UInt64, bits: Int) -> Bool { Self.signed(a, bits: bits) < Self.signed(b, bits: bits) }
    public func sle(_ a: UInt64, _ b: UInt64, bits: Int) -> Bool { Self.signed(a, bits: bits) <= Self.signed(b, bits: bits) }

    public func and(_ a: Bool, _ b: Bool) -> Bool { a && b }
    public func or(_ a: Bool, _ b: Bool) -> Bool { a || b }
    public func not(_ a: Bool) -> Bool { !a }
    public func ite(_ c: Bool, _ a: UInt64, _ b: UInt64, bits: Int) -> UInt64 { c ? a : b }
    public func ite(_ c: Bool, _ a: Bool, _ b: Bool) -> Bool { c ? a : b }

    public func zeroExtend(_ a: UInt64, from: Int, to: Int) -> UInt64 { a }
    public func signExtend(_ a: UInt64, from: Int, to: Int) -> UInt64 {
        Self.isNegative(a, from) ? (a | ~Self.mask(from)) & Self.mask(to) : a
    }
    public func truncate(_ a: UInt64, from: Int, to: Int) -> UInt64 { a & Self.mask(to) }
}

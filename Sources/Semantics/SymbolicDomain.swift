import SMT

/// A symbolic word: a known constant or a Z3 bit-vector term. Operations on constants are folded by
/// *calling the concrete domain*, so there is still one definition of each operation's meaning.
public enum SymWord {
    case known(UInt64)
    case term(SBV)
}

public enum SymTruth {
    case known(Bool)
    case term(SBool)
}

/// Builds Z3 terms for the prover; branches are merged by the evaluator with `ite`.
public struct SymbolicDomain: Domain {
    public typealias Word = SymWord
    public typealias Truth = SymTruth

    public let context: Context
    let concrete = ConcreteDomain()

    public init(context: Context) { self.context = context }

    public func term(_ w: SymWord, bits: Int) -> SBV {
        switch w {
        case .known(let v): return context.bv(v, width: bits)
        case .term(let t): return t
        }
    }

    public func term(_ t: SymTruth) -> SBool {
        switch t {
        case .known(let b): return context.bool(b)
        case .term(let s): return s
        }
    }

    func lift(_ t: SBV) -> SymWord {
        if let n = t.numeral { return .known(n) }
        return .term(t)
    }

    func lift(_ t: SBool) -> SymTruth {
        if let l = t.literal { return .known(l) }
        return .term(t)
    }

    @inline(__always)
    func binary(_ a: SymWord, _ b: SymWord, _ bits: Int, _ c: (UInt64, UInt64) -> UInt64, _ s: (SBV, SBV) -> SBV) -> SymWord {
        if case .known(let x) = a, case .known(let y) = b { return .known(c(x, y)) }
        return .term(s(term(a, bits: bits), term(b, bits: bits)))
    }

    @inline(__always)
    func relation(_ a: SymWord, _ b: SymWord, _ bits: Int, _ c: (UInt64, UInt64) -> Bool, _ s: (SBV, SBV) -> SBool) -> SymTruth {
        if case .known(let x) = a, case .known(let y) = b { return .known(c(x, y)) }
        return lift(s(term(a, bits: bits), term(b, bits: bits)))
    }

    public func constant(_ value: UInt64, bits: Int) -> SymWord { .known(concrete.constant(value, bits: bits)) }
    public func truth(_ value: Bool) -> SymTruth { .known(value) }
    public func literal(_ t: SymTruth) -> Bool? {
        if case .known(let b) = t { return b }
        return nil
    }

    public func add(_ a: SymWord, _ b: SymWord, bits: Int) -> SymWord {
        if case .known(0) = a { return b }
        if case .known(0) = b { return a }
        return binary(a, b, bits, { concrete.add($0, $1, bits: bits) }, { $0.add($1) })
    }
    public func sub(_ a: SymWord, _ b: SymWord, bits: Int) -> SymWord {
        if case .known(0) = b { return a }
        return binary(a, b, bits, { concrete.sub($0, $1, bits: bits) }, { $0.sub($1) })
    }
    public func mul(_ a: SymWord, _ b: SymWord, bits: Int) -> SymWord { binary(a, b, bits, { concrete.mul($0, $1, bits: bits) }, { $0.mul($1) }) }
    public func udiv(_ a: SymWord, _ b: SymWord, bits: Int) -> SymWord { binary(a, b, bits, { concrete.udiv($0, $1, bits: bits) }, { $0.udiv($1) }) }
    public func urem(_ a: SymWord, _ b: SymWord, bits: Int) -> SymWord { binary(a, b, bits, { concrete.urem($0, $1, bits: bits) }, { $0.urem($1) }) }
    public func sdiv(_ a: SymWord, _ b: SymWord, bits: Int) -> SymWord { binary(a, b, bits, { concrete.sdiv($0, $1, bits: bits) }, { $0.sdiv($1) }) }
    public func srem(_ a: SymWord, _ b: SymWord, bits: Int) -> SymWord { binary(a, b, bits, { concrete.srem($0, $1, bits: bits) }, { $0.srem($1) }) }
    public func and(_ a: SymWord, _ b: SymWord, bits: Int) -> SymWord { binary(a, b, bits, { concrete.and($0, $1, bits: bits) }, { $0.and($1) }) }
    public func or(_ a: SymWord, _ b: SymWord, bits: Int) -> SymWord { binary(a, b, bits, { concrete.or($0, $1, bits: bits) }, { $0.or($1) }) }
    public func xor(_ a: SymWord, _ b: SymWord, bits: Int) -> SymWord { binary(a, b, bits, { concrete.xor($0, $1, bits: bits) }, { $0.xor($1) }) }
    public func shl(_ a: SymWord, _ b: SymWord, bits: Int) -> SymWord { binary(a, b, bits, { concrete.shl($0, $1, bits: bits) }, { $0.shl($1) }) }
    public func lshr(_ a: SymWord, _ b: SymWord, bits: Int) -> SymWord { binary(a, b, bits, { concrete.lshr($0, $1, bits: bits) }, { $0.lshr($1) }) }
    public func ashr(_ a: SymWord, _ b: SymWord, bits: Int) -> SymWord { binary(a, b, bits, { concrete.ashr($0, $1, bits: bits) }, { $0.ashr($1) }) }
    public func neg(_ a: SymWord, bits: Int) -> SymWord {
        if case .known(let x) = a { return .known(concrete.neg(x, bits: bits)) }
        return .term(term(a, bits: bits).neg())
    }
    public func bitNot(_ a: SymWord, bits: Int) -> SymWord {
        if case .known(let x) = a { return .known(concrete.bitNot(x, bits: bits)) }
        return .term(term(a, bits: bits).not())
    }

    public func eq(_ a: SymWord, _ b: SymWord, bits: Int) -> SymTruth { relation(a, b, bits, { concrete.eq($0, $1, bits: bits) }, { $0.eq($1) }) }
    public func ult(_ a: SymWord, _ b: SymWord, bits: Int) -> SymTruth { relation(a, b, bits, { concrete.ult($0, $1, bits: bits) }, { $0.ult($1) }) }
    public func ule(_ a: SymWord, _ b: SymWord, bits: Int) -> SymTruth { relation(a, b, bits, { concrete.ule($0, $1, bits: bits) }, { $0.ule($1) }) }
    public func slt(_ a: SymWord, _ b: SymWord, bits: Int) -> SymTruth { relation(a, b, bits, { concrete.slt($0, $1, bits: bits) }, { $0.slt($1) }) }
    public func sle(_ a: SymWord, _ b: SymWord, bits: Int) -> SymTruth { relation(a, b, bits, { concrete.sle($0, $1, bits: bits) }, { $0.sle($1) }) }

    public func and(_ a: SymTruth, _ b: SymTruth) -> SymTruth {
        if case .known(let x) = a { return x ? b : a }
        if case .known(let y) = b { return y ? a : b }
        return lift(term(a) && term(b))
    }
    public func or(_ a: SymTruth, _ b: SymTruth) -> SymTruth {
        if case .known(let x) = a { return x ? a : b }
        if case .known(let y) = b { return y ? b : a }
        return lift(term(a) || term(b))
    }
    public func not(_ a: SymTruth) -> SymTruth {
        if case .known(let x) = a { return .known(!x) }
        return lift(!term(a))
    }
    public func ite(_ c: SymTruth, _ a: SymWord, _ b: SymWord, bits: Int) -> SymWord {
        if case .known(let x) = c { return x ? a : b }
        if case .known(let x) = a, case .known(let y) = b, x == y { return a }
        if case .term(let x) = a, case .term(let y) = b, x.term.raw == y.term.raw { return a }
        return .term(term(c).ite(term(a, bits: bits), term(b, bits: bits)))
    }
    public func ite(_ c: SymTruth, _ a: SymTruth, _ b: SymTruth) -> SymTruth {
        if case .known(let x) = c { return x ? a : b }
        if case .term(let x) = a, case .term(let y) = b, x.term.raw == y.term.raw { return a }
        if case .known(let x) = a, case .known(let y) = b { return x == y ? a : (x ? c : not(c)) }
        return lift(term(c).ite(term(a), term(b)))
    }

    public func zeroExtend(_ a: SymWord, from: Int, to: Int) -> SymWord {
        if case .known(let x) = a { return .known(concrete.zeroExtend(x, from: from, to: to)) }
        return .term(term(a, bits: from).zeroExtend(to: to))
    }
    public func signExtend(_ a: SymWord, from: Int, to: Int) -> SymWord {
        if case .known(let x) = a { return .known(concrete.signExtend(x, from: from, to: to)) }
        return .term(term(a, bits: from).signExtend(to: to))
    }
    public func truncate(_ a: SymWord, from: Int, to: Int) -> SymWord {
        if case .known(let x) = a { return .known(concrete.truncate(x, from: from, to: to)) }
        return .term(term(a, bits: from).extract(high: to - 1, low: 0))
    }
}

extension SymWord {
    /// The term of this word at the given width.
    public func term(_ bits: Int, _ domain: SymbolicDomain) -> SBV { domain.term(self, bits: bits) }
}

/// The operations the evaluator needs from a value domain. The concrete domain computes; the
/// symbolic domain builds Z3 terms. Words carry no width: every operation is told the width, which
/// the evaluator knows from the (checked) C types. Semantics are SMT-LIB's bit-vector semantics,
/// including division by zero (udiv → all ones, urem → dividend) and over-wide shifts (→ 0 or sign).
public protocol Domain {
    associatedtype Word
    associatedtype Truth

    func constant(_ value: UInt64, bits: Int) -> Word
    func truth(_ value: Bool) -> Truth
    /// The value when it is known without solving (always, in the concrete domain).
    func literal(_ t: Truth) -> Bool?

    func add(_ a: Word, _ b: Word, bits: Int) -> Word
    func sub(_ a: Word, _ b: Word, bits: Int) -> Word
    func mul(_ a: Word, _ b: Word, bits: Int) -> Word
    func udiv(_ a: Word, _ b: Word, bits: Int) -> Word
    func urem(_ a: Word, _ b: Word, bits: Int) -> Word
    func sdiv(_ a: Word, _ b: Word, bits: Int) -> Word
    func srem(_ a: Word, _ b: Word, bits: Int) -> Word
    func and(_ a: Word, _ b: Word, bits: Int) -> Word
    func or(_ a: Word, _ b: Word, bits: Int) -> Word
    func xor(_ a: Word, _ b: Word, bits: Int) -> Word
    func shl(_ a: Word, _ b: Word, bits: Int) -> Word
    func lshr(_ a: Word, _ b: Word, bits: Int) -> Word
    func ashr(_ a: Word, _ b: Word, bits: Int) -> Word
    func neg(_ a: Word, bits: Int) -> Word
    func bitNot(_ a: Word, bits: Int) -> Word

    func eq(_ a: Word, _ b: Word, bits: Int) -> Truth
    func ult(_ a: Word, _ b: Word, bits: Int) -> Truth
    func ule(_ a: Word, _ b: Word, bits: Int) -> Truth
    func slt(_ a: Word, _ b: Word, bits: Int) -> Truth
    func sle(_ a: Word, _ b: Word, bits: Int) -> Truth

    func and(_ a: Truth, _ b: Truth) -> Truth
    func or(_ a: Truth, _ b: Truth) -> Truth
    func not(_ a: Truth) -> Truth
    func ite(_ c: Truth, _ a: Word, _ b: Word, bits: Int) -> Word
    func ite(_ c: Truth, _ a: Truth, _ b: Truth) -> Truth

    func zeroExtend(_ a: Word, from: Int, to: Int) -> Word
    func signExtend(_ a: Word, from: Int, to: Int) -> Word
    func truncate(_ a: Word, from: Int, to: Int) -> Word
}

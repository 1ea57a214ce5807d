import SMT

/// How the prover decides a query's arithmetic. Both routes are exact (the same formula, the same
/// models); they differ in what they are fast at. Bit-blasting (QF_BV) is quick on masks, flags and
/// small widths; linear integer arithmetic (QF_LIA over the exact integer form, `IntegerSolver`)
/// on order facts over 64-bit sums — the windows of the placement code — where bit-blasting takes
/// minutes. docs/verdicts.md ("Two arithmetics") has the measurements.
public enum Arithmetic: String, Sendable, CaseIterable {
    /// Bit-blasting only.
    case bitVector = "bv"
    /// The integer form (bit-blasting for a query that has none, e.g. a product of two inputs).
    case integer = "int"
    /// First the relaxed integer form (bitwise operations only bounded: it proves order facts,
    /// never refutes) with a quarter of each check's budget, then bit-blasting with the rest; a
    /// query with several obligations (asserts split at `&&`/`||`) is decided one obligation at a
    /// time, each by whichever engine can.
    case both
}

/// One solver route of a check (`Arithmetic` orders them).
enum Engine: Hashable {
    case bitVector
    case integer
    /// `IntegerSolver(relaxed: true)`: unsat is a proof; sat says nothing.
    case relaxedInteger
}

/// One of the two solvers behind a check, as `Session` uses them.
protocol Decider: AnyObject {
    func add(_ b: SBool) throws
    func push()
    func pop(_ n: UInt32)
    func set(_ limits: SolverLimits) throws
    func check() throws -> CheckResult
    var resourceCount: UInt64 { get }
    /// The model's value of each input (a bit-vector or a Boolean constant), Booleans as 0/1.
    func values(of inputs: [(bv: SBV?, bool: SBool?)]) throws -> [UInt64]
}

extension Solver: Decider {
    func add(_ b: SBool) throws { self.assert(b) }
    func values(of inputs: [(bv: SBV?, bool: SBool?)]) throws -> [UInt64] {
        let m = try model()
        return try inputs.map { i in
            if let b = i.bool { return try m.value(b) ? 1 : 0 }
            return try m.value(i.bv!)
        }
    }
}

extension IntegerSolver: Decider {
    func add(_ b: SBool) throws { try self.assert(b) }
    func values(of inputs: [(bv: SBV?, bool: SBool?)]) throws -> [UInt64] {
        let m = try model()
        return try inputs.map { i in
            if let b = i.bool { return try m.value(b) ? 1 : 0 }
            return try value(i.bv!, in: m)
        }
    }
}

/// Which solvers decide the queries. The linked Z3 always; where their Python bindings are
/// installed (`ExternalSolver`), Bitwuzla gets the first try at each bit-vector query that may be a
/// proof (not the short checks of minimisation), within 20 s (2 s on a probe), and a Z3 newer than
/// the linked one at each integer form (`arithmetic both`'s relaxed one, `arithmetic int`) — an
/// `unsat` of theirs is the proof, anything else goes on to the linked Z3 (a Bitwuzla model only
/// turns what Z3 leaves unknown into a replayed counterexample, `Session.decide`). Measured:
/// Bitwuzla two to five times faster on the bundled specs' bit-vector queries; Z3 5.4 15–250 times
/// faster than Z3 4.8 on the integer forms of the 64-bit layout queries.
public enum SolverChoice: String, Sendable, CaseIterable {
    /// Bitwuzla and the newer Z3 first where they are installed, else the linked Z3 alone.
    case auto
    /// The linked Z3 alone.
    case z3
    /// Bitwuzla first, and an error when it is not installed.
    case portfolio

    /// The installed Bitwuzla's version (nil: `python3` cannot import it).
    public static var bitwuzlaVersion: String? { ExternalSolver.bitwuzla.version }
    /// The newer Z3's version (nil: none newer than the linked libz3 is installed).
    public static var newerZ3Version: String? { ExternalSolver.z3.version }
}

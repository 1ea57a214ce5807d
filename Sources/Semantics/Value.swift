import KernelC

/// A value of the evaluated program: an integer/pointer word, a truth value (`bool`), or a struct.
public enum Value<D: Domain> {
    case word(D.Word)
    case truth(D.Truth)
    case record([D.Word])
}

/// What kind of thing must hold: a user assertion or a check the evaluator adds (division by zero,
/// shift range, loop unwinding, falling off a non-void function). Stored and shown by its words.
public enum ObligationKind: String, Sendable, Codable, CustomStringConvertible {
    case assertion
    case divisionByZero = "division by zero"
    case shiftRange = "shift count out of range"
    case unwinding = "unwinding assertion"
    case missingReturn = "missing return"
    /// A loop's `invariant(c)` fails where the loop's test is reached.
    case invariant = "loop invariant"
    /// `insert_vma` of an empty range or over a mapped one: the layout after it is not a layout.
    case insertion = "insert_vma of a range that is not free"
    /// A call to a function with a contract (replaced by it) where the contract's `requires` fails.
    case precondition = "contract precondition"

    /// Whether execution after this failure runs on a made-up value (the result of an undefined
    /// operation, a loop cut at its bound, a missing return): later failures then say nothing.
    public var leavesMadeUpValues: Bool { self != .assertion && self != .invariant }

    public var description: String { rawValue }
}

/// Something that must hold, and the inputs on which it fails.
public struct Obligation<D: Domain> {
    public typealias Kind = ObligationKind
    public var kind: Kind
    public var location: SourceLocation
    public var text: String
    /// True exactly on the inputs for which the obligation fails.
    public var violated: D.Truth
}

/// What one evaluation of a property produced.
public struct Trace<D: Domain> {
    /// Each is "the path reached this assume ⇒ its condition holds".
    public var assumptions: [D.Truth] = []
    public var obligations: [Obligation<D>] = []
}

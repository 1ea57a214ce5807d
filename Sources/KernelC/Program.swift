/// The typed program the checker produces and the evaluator runs. Every implicit C conversion is an
/// explicit `convert` node, so both value domains see exactly the same operations.

public enum UnaryOp: Sendable { case neg, bitNot }

public enum BinaryOp: String, Sendable, CaseIterable {
    case add = "+", sub = "-", mul = "*", div = "/", rem = "%", and = "&", or = "|", xor = "^", shl = "<<", shr = ">>"
}

public enum CompareOp: String, Sendable, CaseIterable {
    case eq = "==", ne = "!=", lt = "<", le = "<=", gt = ">", ge = ">="
}

/// A storage location: a local slot of the current frame, or a field of one.
public indirect enum LValue: Sendable {
    case local(Int)
    case field(LValue, Int)
}

/// The layout primitives a placement model can use. They model the maple-tree searches
/// (`vma_iter_area_lowest`/`_highest`, i.e. `mas_empty_area[_rev]`) and lookups (`find_vma`,
/// `find_vma_prev`) over the current address space.
public enum LayoutQuery: Sendable, Equatable {
    /// `find_vma(mm, addr)`: the first VMA with `vm_end > addr`, or NULL.
    case findVMA
    /// `find_vma_prev(mm, addr, &prev)`: as `find_vma`, and `prev` = the last VMA with `vm_end <= addr`.
    case findVMAPrev
    /// `vma_iter_area_lowest(low, high, size, &start)`: 0 and the lowest start of `size` free bytes
    /// in `[low, high)`, or -ENOMEM.
    case areaLowest
    /// `vma_iter_area_highest(low, high, size, &end)`: 0 and the end of the highest free window of
    /// `size` bytes in `[low, high)`, or -ENOMEM.
    case areaHighest
    /// `vma->vm_start` / `vm_end` / `vm_flags` / `vm_pgoff` (0 for NULL).
    case field(VMAField)
    /// `insert_vma(mm, start, end, vm_flags, pgoff)` (properties only): the VMA `[start, end)` that a
    /// successful mmap creates joins the layout, so that a later call sees it. The range must be
    /// non-empty and free (an obligation).
    case insert
}

public enum VMAField: String, Sendable, CaseIterable {
    case start = "vm_start", end = "vm_end", flags = "vm_flags", pgoff = "vm_pgoff"
}

public enum Argument: Sendable {
    case value(Expr)
    /// `&local` passed to a `struct X *` parameter: copied in, and copied back after the call.
    case reference(LValue)
}

public final class Expr: @unchecked Sendable {
    public indirect enum Kind {
        /// A constant of `type`, already truncated to its width.
        case constant(UInt64)
        /// A value taken from the configuration (`PAGE_SIZE`, `MAP_FIXED`, `CONFIG_…`, mm state).
        case config(Int)
        case load(LValue)
        case unary(UnaryOp, Expr)
        /// Both operands have `type` (shifts: the count is converted to it as well).
        case binary(BinaryOp, Expr, Expr)
        /// Operands share one type; the result is `bool`.
        case compare(CompareOp, Expr, Expr)
        case not(Expr)
        case and(Expr, Expr)
        case or(Expr, Expr)
        case conditional(Expr, Expr, Expr)
        /// Integer/bool/pointer conversion of the operand to `type`.
        case convert(Expr)
        /// Stores the (already converted) value; the expression's value is the stored value.
        case assign(LValue, Expr)
        /// `x++`/`x--`: stores `updated`, yields the old value.
        case postUpdate(LValue, updated: Expr)
        /// Evaluates the first, then yields the second (the comma of macro expansions).
        case sequence(Expr, Expr)
        case call(Int, [Argument])
        /// A question to the address-space layout (see `LayoutQuery`); some store a second result.
        case layout(LayoutQuery, [Expr], out: LValue?)
    }

    public let kind: Kind
    public let type: CType
    public let location: SourceLocation

    public init(_ kind: Kind, _ type: CType, _ location: SourceLocation) {
        self.kind = kind
        self.type = type
        self.location = location
    }
}

extension Expr: CustomStringConvertible {
    /// The whole tree (operation, operands, type): two expressions read the same exactly when
    /// they compute the same (what a contract's proof is shared by, `ContractProofs`).
    public var description: String { "(\(kind) : \(type))" }
}

/// A loop, unrolled by the evaluator up to the property's bound (with an unwinding check).
public struct Loop: Sendable {
    public var condition: Expr?
    public var body: Stmt
    public var step: Expr?
    /// `do { } while` runs the body before the first test.
    public var testFirst: Bool
    public var location: SourceLocation
    /// `invariant(c)`, the body's first statement: holds whenever the loop's test is reached. The
    /// prover then reasons about one arbitrary iteration instead of unwinding (`Evaluator.loop`).
    public var invariant: Expr?
    /// The locals the loop may change (what one arbitrary iteration starts from: any value).
    public var assigned: [Int] = []
}

public indirect enum Stmt: Sendable {
    case expr(Expr)
    /// Declares a slot: zero when no initial value (records are zeroed, as with `= {}`).
    case declare(Int, Expr?)
    case block([Stmt])
    case ifElse(Expr, Stmt, Stmt?)
    case loop(Loop)
    case returnValue(Expr?, SourceLocation)
    case goto(Int)
    case label(Int)
    case breakLoop
    case continueLoop
    case assume(Expr)
    case assert(Expr, text: String, location: SourceLocation)
}

public struct Parameter: Sendable {
    public var name: String
    public var type: CType

    public init(name: String, type: CType) {
        self.name = name
        self.type = type
    }
}

public struct Function: Sendable {
    public var name: String
    public var parameters: [Parameter]
    public var returnType: CType
    /// The type of every slot; parameters take the first slots.
    public var slotTypes: [CType]
    public var slotNames: [String]
    public var labelNames: [String]
    public var body: Stmt
    public var location: SourceLocation

    public init(name: String, parameters: [Parameter], returnType: CType, slotTypes: [CType], slotNames: [String],
                labelNames: [String], body: Stmt, location: SourceLocation) {
        self.name = name
        self.parameters = parameters
        self.returnType = returnType
        self.slotTypes = slotTypes
        self.slotNames = slotNames
        self.labelNames = labelNames
        self.body = body
        self.location = location
    }
}

/// The verdict a property's `// expect:` comment asks for.
public enum ExpectedVerdict: String, Sendable, Codable {
    case proved, counterexample, unknown
}

public struct Property: Sendable {
    public var name: String
    /// The inputs (universally quantified) are the function's parameters.
    public var function: Function
    public var unwind: Int?
    public var layoutVMAs: Int?
    /// `layout any`: the prover proves it for every layout, of any number of VMAs, through an
    /// abstract layout that holds only the VMAs the run looks at (`AbstractAddressSpace`).
    public var anyLayout = false
    /// `arithmetic bv|int|both`: how the prover decides it, over `--arithmetic` (the raw value of
    /// `Arithmetic`).
    public var arithmetic: String?
    /// The configuration named by the property's `config` clause, if any.
    public var config: String?
    public var expected: ExpectedVerdict?
    /// The verdicts expected on a kernel tree's own functions where they differ from `expected`
    /// (`// expect on 6.1: counterexample`), by version.
    public var expectedByVersion: [String: ExpectedVerdict] = [:]
    /// Those comments as written (`expect on 6.1: counterexample — why`), in file order.
    public var versionNotes: [String] = []
    public var location: SourceLocation
    public var file: String { location.file?.path ?? "" }
    /// `contract NAME` clauses: indices into `Program.contracts` of the contracts its proof uses.
    public var contracts: [Int] = []
    /// `contract NAME` clauses of contracts a kernel tree's function does not fit: "NAME: why".
    public var contractsSetAside: [String] = []

    /// The verdict expected on a kernel of this version (`6.1.192` takes the `6.1` one).
    public func expected(onVersion version: String) -> ExpectedVerdict? {
        for (key, verdict) in expectedByVersion where version == key || version.hasPrefix(key + ".") { return verdict }
        return expected
    }

    public init(name: String, function: Function, unwind: Int?, layoutVMAs: Int?, config: String?, expected: ExpectedVerdict?,
                location: SourceLocation) {
        self.name = name
        self.function = function
        self.unwind = unwind
        self.layoutVMAs = layoutVMAs
        self.config = config
        self.expected = expected
        self.location = location
    }
}

/// A function's contract (`Contracts.swift`): the prover replaces the calls of properties that
/// name it by `requires` (an obligation), a fresh result and `ensures` (an assumption), once
/// `obligation` is proved under the same configuration.
public struct Contract: Sendable {
    /// The function's name, as written after `contract`.
    public var name: String
    public var function: Int
    /// Spec functions of the clauses: `requires(args)`, `ensures(args, result)`.
    public var requires: [Int]
    public var ensures: [Int]
    /// For all arguments and every layout: `requires` ⇒ the result meets `ensures` and the structs
    /// passed are unchanged.
    public var obligation: Property
    public var location: SourceLocation
}

public struct Program: Sendable {
    public var dataModel: DataModel
    public var functions: [Function]
    public var properties: [Property]
    /// The contracts declared in the spec and its includes.
    public var contracts: [Contract] = []
    /// Names of the config values `Expr.Kind.config` refers to, by index.
    public var configNames: [String]
    public var configTypes: [CType]
    /// Whether any function or property queries the address space (find_vma, window searches, ...).
    public var usesLayout: Bool = false
    /// Where functions came from when not all from the spec files: "kernel tree PATH (Linux 6.12.117)".
    public var functionSource: String?

    public func property(named n: String) -> Property? { properties.first { $0.name == n } }

    /// The program with `p` among its properties: a contract's obligation is none of them, and a
    /// compiled form holds only the program's properties (interpreted, the THP contract's 20 000
    /// concrete runs took 6–8 s of a debug build; compiled, 0.2 s).
    public func including(_ p: Property) -> Program {
        guard property(named: p.name) == nil else { return self }
        var program = self
        program.properties.append(p)
        return program
    }
}

extension Expr {
    /// The expression rebuilt bottom-up, each node's kind passed through `node` once its operands
    /// are rebuilt: the one walk behind IR rewrites (call redirection, renumbering a program).
    public func transformed(_ node: (Expr.Kind, CType) -> Expr.Kind) -> Expr {
        func t(_ x: Expr) -> Expr { x.transformed(node) }
        let k: Expr.Kind
        switch kind {
        case .constant, .config, .load: k = kind
        case .unary(let op, let a): k = .unary(op, t(a))
        case .binary(let op, let a, let b): k = .binary(op, t(a), t(b))
        case .compare(let op, let a, let b): k = .compare(op, t(a), t(b))
        case .not(let a): k = .not(t(a))
        case .and(let a, let b): k = .and(t(a), t(b))
        case .or(let a, let b): k = .or(t(a), t(b))
        case .conditional(let c, let a, let b): k = .conditional(t(c), t(a), t(b))
        case .convert(let a): k = .convert(t(a))
        case .assign(let lv, let a): k = .assign(lv, t(a))
        case .postUpdate(let lv, let a): k = .postUpdate(lv, updated: t(a))
        case .sequence(let a, let b): k = .sequence(t(a), t(b))
        case .call(let f, let args): k = .call(f, args.map { if case .value(let v) = $0 { return .value(t(v)) }; return $0 })
        case .layout(let q, let args, let out): k = .layout(q, args.map { t($0) }, out: out)
        }
        return Expr(node(k, type), type, location)
    }
}

extension Stmt {
    /// The statement with every expression in it (conditions, loop steps and invariants
    /// included) replaced by `f`'s answer.
    public func mapExpressions(_ f: (Expr) -> Expr) -> Stmt {
        switch self {
        case .expr(let x): return .expr(f(x))
        case .assume(let x): return .assume(f(x))
        case .assert(let x, let t, let l): return .assert(f(x), text: t, location: l)
        case .declare(let slot, let x): return .declare(slot, x.map(f))
        case .block(let ss): return .block(ss.map { $0.mapExpressions(f) })
        case .ifElse(let c, let t, let e): return .ifElse(f(c), t.mapExpressions(f), e.map { $0.mapExpressions(f) })
        case .loop(var l):
            l.condition = l.condition.map(f); l.body = l.body.mapExpressions(f); l.step = l.step.map(f); l.invariant = l.invariant.map(f)
            return .loop(l)
        case .returnValue(let x, let l): return .returnValue(x.map(f), l)
        case .goto, .label, .breakLoop, .continueLoop: return self
        }
    }
}

import Foundation
import KernelC

/// The kinds of small change a mutant makes: the slips a placement patch can contain.
public enum MutationOperator: String, Codable, Sendable, CaseIterable {
    /// `<` ↔ `<=`, `>` ↔ `>=`, `==` ↔ `!=`.
    case relational
    /// `+` ↔ `-`, `&` ↔ `|`, `^` → `|`, `<<` ↔ `>>`.
    case arithmetic
    /// A constant ± 1 (where it is an operand of arithmetic or a comparison).
    case constant
    /// A configuration value (`TASK_SIZE`, `mmap_min_addr`, `PMD_SIZE`, …) ± `PAGE_SIZE`, or
    /// `PAGE_SIZE` ± 1, where it is an operand of arithmetic or a comparison.
    case bound
    /// A mask one bit wider or narrower (`x & m` → `x & (m << 1)`, `x & (m >> 1)`).
    case maskWidth
    /// A shift count off by one.
    case shiftWidth
    /// `a && b` → `a` or `b`; the same for `||`.
    case droppedConjunct
    /// `if (c)` → `if (!c)`, `!c` → `c`.
    case negatedCondition
    /// `if (c) A else B` → `A` or `B`.
    case droppedCondition
    /// `c ? a : b` → `c ? b : a`.
    case swappedArms
    /// An assignment, call, `break` or `continue` removed.
    case droppedStatement
    /// A `return` inside a branch or loop removed.
    case droppedReturn
}

/// One change to one function's checked IR. `ordinal` numbers the function's mutations in a fixed
/// order (pre-order over its body), so a mutation is found again in another translation unit that
/// includes the same function (the same text checks to the same IR shape).
public struct Mutation: Codable, Sendable, Hashable {
    public var function: String
    public var ordinal: Int
    public var op: MutationOperator
    /// `file:line:col` of the changed code.
    public var location: String
    public var original: String
    public var mutated: String

    /// A short stable name: `function#ordinal`.
    public var id: String { "\(function)#\(ordinal)" }
}

/// Enumerates and applies mutations of a function's body. One walk numbers every candidate; the
/// same walk with a target returns the body with that one candidate applied.
public struct Mutator {
    public let program: Program

    public init(program: Program) { self.program = program }

    /// Every mutation of the function, in order.
    public func mutations(of index: Int) -> [Mutation] {
        let walk = Walk(program: program, function: program.functions[index], target: nil)
        _ = walk.stmt(program.functions[index].body, nested: false)
        return walk.found
    }

    /// The program with the function's `ordinal`-th mutation applied, or nil when that mutation is
    /// not the same operator at the same place here (the function's IR differs in this unit).
    public func apply(_ m: Mutation) -> Program? {
        guard let index = program.functions.firstIndex(where: { $0.name == m.function }) else { return nil }
        let walk = Walk(program: program, function: program.functions[index], target: m.ordinal)
        let body = walk.stmt(program.functions[index].body, nested: false)
        guard walk.applied, let found = walk.found.last, found.op == m.op, found.location == m.location else { return nil }
        var p = program
        p.functions[index].body = body
        return p
    }
}

/// The walk behind `Mutator`: nodes are visited in pre-order; at each node its candidates are
/// numbered before its children's.
private final class Walk {
    let program: Program
    let function: Function
    let text: IRText
    let target: Int?
    var found: [Mutation] = []
    var applied = false
    let pageSize: Int?

    init(program: Program, function: Function, target: Int?) {
        self.program = program
        self.function = function
        self.target = target
        text = IRText(program: program, function: function)
        pageSize = program.configNames.firstIndex(of: "PAGE_SIZE")
    }

    /// Offers the node's candidates; returns the replacement when the target is among them.
    func offer(_ candidates: [(MutationOperator, Replacement)], location: SourceLocation, original: () -> String) -> Replacement? {
        guard !applied else { return nil }
        for (op, r) in candidates {
            let ordinal = found.count
            if target == nil || target == ordinal {
                found.append(Mutation(function: function.name, ordinal: ordinal, op: op, location: Walk.place(location),
                                      original: original(), mutated: r.text(self.text)))
                if target == ordinal { applied = true; return r }
            } else {
                found.append(Mutation(function: function.name, ordinal: ordinal, op: op, location: "", original: "", mutated: ""))
            }
        }
        return nil
    }

    /// `file:line:col` with the path standardised (`specs/properties/../kernel` → `specs/kernel`).
    static func place(_ l: SourceLocation) -> String {
        guard let path = l.file?.path else { return l.description }
        var full = URL(fileURLWithPath: path).standardized.path
        let here = FileManager.default.currentDirectoryPath + "/"
        if full.hasPrefix(here) { full.removeFirst(here.count) }
        return "\(full):\(l.line):\(l.column)"
    }

    enum Replacement {
        case expr(Expr)
        case stmt(Stmt)

        func text(_ t: IRText) -> String {
            switch self {
            case .expr(let e): return t.expr(e)
            case .stmt(let s): return t.stmt(s)
            }
        }
        var expr: Expr { if case .expr(let e) = self { return e }; fatalError("statement replacement for an expression") }
        var stmt: Stmt { if case .stmt(let s) = self { return s }; fatalError("expression replacement for a statement") }
    }

    // MARK: Statements

    /// `nested`: inside a branch or a loop (a `return` there is an early return). `sole`: the whole
    /// branch of an `if` without `else`, whose removal is already the `if`'s "→ ;" mutant.
    func stmt(_ s: Stmt, nested: Bool, sole: Bool = false) -> Stmt {
        if applied { return s }
        switch s {
        case .expr(let e):
            var candidates: [(MutationOperator, Replacement)] = []
            switch e.kind {
            case .assign, .call, .postUpdate, .layout:
                if !sole { candidates.append((.droppedStatement, .stmt(.block([])))) }
            default: break
            }
            if let r = offer(candidates, location: e.location, original: { text.stmt(s) }) { return r.stmt }
            let e2 = expr(e, arithmeticOperand: false)
            return e2 === e ? s : .expr(e2)
        case .declare(let slot, let e):
            guard let e else { return s }
            let e2 = expr(e, arithmeticOperand: true)
            return e2 === e ? s : .declare(slot, e2)
        case .block(let ss):
            var out = ss
            for (i, x) in ss.enumerated() {
                out[i] = stmt(x, nested: nested, sole: sole && ss.count == 1)
                if applied { break }
            }
            return .block(out)
        case .ifElse(let c, let t, let e):
            let candidates: [(MutationOperator, Replacement)] = [
                (.negatedCondition, .stmt(.ifElse(Expr(.not(c), .bool, c.location), t, e))),
                (.droppedCondition, .stmt(t)),
                (.droppedCondition, .stmt(e ?? .block([]))),
            ]
            if let r = offer(candidates, location: c.location, original: { text.stmt(s) }) { return r.stmt }
            isCondition = true
            let c2 = expr(c, arithmeticOperand: false)
            if applied { return .ifElse(c2, t, e) }
            let t2 = stmt(t, nested: true, sole: e == nil)
            if applied { return .ifElse(c2, t2, e) }
            let e2 = e.map { stmt($0, nested: true) }
            return .ifElse(c2, t2, e2)
        case .loop(var l):
            // The condition is not mutated (a mutant that never ends only tests the unwinding bound).
            l.body = stmt(l.body, nested: true)
            if !applied, let step = l.step { l.step = expr(step, arithmeticOperand: false) }
            return .loop(l)
        case .returnValue(let e, let location):
            if nested, !sole, let r = offer([(.droppedReturn, .stmt(.block([])))], location: location, original: { text.stmt(s) }) { return r.stmt }
            guard let e else { return s }
            let e2 = expr(e, arithmeticOperand: true)
            return e2 === e ? s : .returnValue(e2, location)
        case .breakLoop, .continueLoop:
            if sole { return s }
            return offer([(.droppedStatement, .stmt(.block([])))], location: function.location, original: { text.stmt(s) })?.stmt ?? s
        case .goto, .label, .assume, .assert:
            return s
        }
    }

    // MARK: Expressions

    func make(_ kind: Expr.Kind, like e: Expr) -> Expr { Expr(kind, e.type, e.location) }

    func constant(_ v: UInt64, _ type: CType, _ at: SourceLocation) -> Expr {
        let bits = type.bits
        let masked = bits >= 64 ? v : v & ((UInt64(1) << UInt64(bits)) - 1)
        return Expr(.constant(masked), type, at)
    }

    /// `e` converted to `type` when it has another type (operands of one operator share a type).
    func converted(_ e: Expr, to type: CType) -> Expr { e.type == type ? e : Expr(.convert(e), type, e.location) }

    /// `arithmeticOperand`: the value is an operand of arithmetic, a comparison, a return or an
    /// assignment (where ± 1 and ± PAGE_SIZE are plausible slips), not of a flag test.
    func expr(_ e: Expr, arithmeticOperand: Bool) -> Expr {
        if applied { return e }
        let condition = isCondition
        isCondition = false
        var candidates: [(MutationOperator, Replacement)] = []
        switch e.kind {
        case .constant(let v) where arithmeticOperand && e.type.isInteger && e.type != .bool:
            candidates.append((.constant, .expr(constant(v &+ 1, e.type, e.location))))
            if v != 0 { candidates.append((.constant, .expr(constant(v &- 1, e.type, e.location)))) }
        case .config(let i) where arithmeticOperand && e.type.isInteger && e.type.bits >= program.dataModel.longBits / 2:
            if i == pageSize {
                candidates.append((.bound, .expr(make(.binary(.add, e, constant(1, e.type, e.location)), like: e))))
                candidates.append((.bound, .expr(make(.binary(.sub, e, constant(1, e.type, e.location)), like: e))))
            } else if let p = pageSize {
                let page = converted(Expr(.config(p), program.configTypes[p], e.location), to: e.type)
                candidates.append((.bound, .expr(make(.binary(.add, e, page), like: e))))
                candidates.append((.bound, .expr(make(.binary(.sub, e, page), like: e))))
            }
        case .binary(let op, let a, let b):
            let swap: [BinaryOp: BinaryOp] = [.add: .sub, .sub: .add, .and: .or, .or: .and, .xor: .or, .shl: .shr, .shr: .shl]
            if let o = swap[op] { candidates.append((.arithmetic, .expr(make(.binary(o, a, b), like: e)))) }
            if op == .shl || op == .shr {
                let one = constant(1, b.type, b.location)
                candidates.append((.shiftWidth, .expr(make(.binary(op, a, Expr(.binary(.add, b, one), b.type, b.location)), like: e))))
                candidates.append((.shiftWidth, .expr(make(.binary(op, a, Expr(.binary(.sub, b, one), b.type, b.location)), like: e))))
            }
            if op == .and, isMask(b) {
                let one = constant(1, e.type, b.location)
                candidates.append((.maskWidth, .expr(make(.binary(.and, a, Expr(.binary(.shl, b, one), b.type, b.location)), like: e))))
                candidates.append((.maskWidth, .expr(make(.binary(.and, a, Expr(.binary(.shr, b, one), b.type, b.location)), like: e))))
            }
        case .compare(let op, let a, let b):
            // `if (x & FLAG)` checks to `(x & FLAG) != 0`: its negation is the negated condition's.
            if !(isTruthTest(e) && condition) {
                let swap: [CompareOp: CompareOp] = [.lt: .le, .le: .lt, .gt: .ge, .ge: .gt, .eq: .ne, .ne: .eq]
                candidates.append((.relational, .expr(make(.compare(swap[op]!, a, b), like: e))))
            }
        case .and(let a, let b), .or(let a, let b):
            candidates.append((.droppedConjunct, .expr(converted(a, to: e.type))))
            candidates.append((.droppedConjunct, .expr(converted(b, to: e.type))))
        case .not(let a) where !condition:
            // (`if (!c)` → `if (c)` is already the `if`'s negated condition.)
            candidates.append((.negatedCondition, .expr(converted(a, to: e.type))))
        case .conditional(let c, let a, let b):
            candidates.append((.swappedArms, .expr(make(.conditional(c, b, a), like: e))))
        default:
            break
        }
        if let r = offer(candidates, location: e.location, original: { text.expr(e) }) { return r.expr }
        return children(e)
    }

    /// Whether the expression being walked is the whole condition of an `if`.
    var isCondition = false

    /// `x != 0` / `x == 0` with a literal 0: a C truth test made explicit by the checker.
    func isTruthTest(_ e: Expr) -> Bool {
        guard case .compare(let op, _, let b) = e.kind, op == .ne || op == .eq else { return false }
        var x = b
        while case .convert(let a) = x.kind { x = a }
        if case .constant(0) = x.kind { return true }
        return false
    }

    /// A constant or configuration value on the right of `&` (a mask or a flag).
    func isMask(_ e: Expr) -> Bool {
        var x = e
        while case .convert(let a) = x.kind { x = a }
        switch x.kind {
        case .constant, .config: return true
        case .binary(.sub, let a, _), .unary(.bitNot, let a): return isMask(a)
        default: return false
        }
    }

    /// The node with its children walked (the same node when none changed).
    func children(_ e: Expr) -> Expr {
        switch e.kind {
        case .constant, .config, .load:
            return e
        case .unary(let op, let a):
            let a2 = expr(a, arithmeticOperand: true)
            return a2 === a ? e : make(.unary(op, a2), like: e)
        case .binary(let op, let a, let b):
            let arithmetic = op == .add || op == .sub || op == .mul || op == .div || op == .rem
            let a2 = expr(a, arithmeticOperand: arithmetic)
            let b2 = expr(b, arithmeticOperand: arithmetic)
            return a2 === a && b2 === b ? e : make(.binary(op, a2, b2), like: e)
        case .compare(let op, let a, let b):
            let a2 = expr(a, arithmeticOperand: true), b2 = isTruthTest(e) ? b : expr(b, arithmeticOperand: true)
            return a2 === a && b2 === b ? e : make(.compare(op, a2, b2), like: e)
        case .not(let a):
            let a2 = expr(a, arithmeticOperand: false)
            return a2 === a ? e : make(.not(a2), like: e)
        case .and(let a, let b):
            let a2 = expr(a, arithmeticOperand: false), b2 = expr(b, arithmeticOperand: false)
            return a2 === a && b2 === b ? e : make(.and(a2, b2), like: e)
        case .or(let a, let b):
            let a2 = expr(a, arithmeticOperand: false), b2 = expr(b, arithmeticOperand: false)
            return a2 === a && b2 === b ? e : make(.or(a2, b2), like: e)
        case .conditional(let c, let a, let b):
            let c2 = expr(c, arithmeticOperand: false), a2 = expr(a, arithmeticOperand: true), b2 = expr(b, arithmeticOperand: true)
            return c2 === c && a2 === a && b2 === b ? e : make(.conditional(c2, a2, b2), like: e)
        case .convert(let a):
            let a2 = expr(a, arithmeticOperand: true)
            return a2 === a ? e : make(.convert(a2), like: e)
        case .assign(let lv, let v):
            let v2 = expr(v, arithmeticOperand: true)
            return v2 === v ? e : make(.assign(lv, v2), like: e)
        case .postUpdate(let lv, let updated):
            let u2 = expr(updated, arithmeticOperand: true)
            return u2 === updated ? e : make(.postUpdate(lv, updated: u2), like: e)
        case .sequence(let a, let b):
            let a2 = expr(a, arithmeticOperand: false), b2 = expr(b, arithmeticOperand: true)
            return a2 === a && b2 === b ? e : make(.sequence(a2, b2), like: e)
        case .call(let f, let args):
            var changed = false
            let args2 = args.map { a -> Argument in
                guard case .value(let x) = a else { return a }
                let x2 = expr(x, arithmeticOperand: true)
                if x2 !== x { changed = true }
                return .value(x2)
            }
            return changed ? make(.call(f, args2), like: e) : e
        case .layout(let q, let args, let out):
            var changed = false
            let args2 = args.map { x -> Expr in
                let x2 = expr(x, arithmeticOperand: true)
                if x2 !== x { changed = true }
                return x2
            }
            return changed ? make(.layout(q, args2, out: out), like: e) : e
        }
    }
}

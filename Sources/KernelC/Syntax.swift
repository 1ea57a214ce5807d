/// The untyped syntax tree the parser builds; `Checker` turns it into the typed `Program`.

/// A written type: specifier words (`unsigned long`, `loff_t`), an optional struct tag, and `*`s.
public struct TypeSyntax: Sendable {
    public var words: [String]
    public var structTag: String?
    public var pointers: Int
    public var location: SourceLocation
}

public struct ExprSyntax: Sendable {
    public indirect enum Kind: Sendable {
        case identifier(String)
        case integer(value: UInt64, unsigned: Bool, longs: Int, decimal: Bool)
        case unary(String, ExprSyntax)            // - + ! ~ & *
        case preIncDec(String, ExprSyntax)        // ++x --x
        case postIncDec(String, ExprSyntax)       // x++ x--
        case binary(String, ExprSyntax, ExprSyntax)
        case assign(String, ExprSyntax, ExprSyntax)  // "=" or "+=" ...
        case conditional(ExprSyntax, ExprSyntax, ExprSyntax)
        case call(String, [ExprSyntax])
        /// A call through a pointer an expression gives (`current->mm->get_unmapped_area(...)`).
        case callThrough(ExprSyntax, [ExprSyntax])
        case member(ExprSyntax, String, arrow: Bool)
        case cast(TypeSyntax, ExprSyntax)
        /// A parenthesised type as a macro argument, e.g. `min_t(unsigned long, a, b)`.
        case typeArgument(TypeSyntax)
    }
    public var kind: Kind
    public var location: SourceLocation
    /// Levels of the tree below and including this node. The checker and the evaluator recurse
    /// over expressions, so the parser bounds this (a 2 000-term `a + a + …` chain would otherwise
    /// overflow their stacks).
    public let height: Int

    public init(kind: Kind, location: SourceLocation) {
        self.kind = kind
        self.location = location
        switch kind {
        case .identifier, .integer, .typeArgument: height = 1
        case .unary(_, let e), .preIncDec(_, let e), .postIncDec(_, let e), .member(let e, _, _), .cast(_, let e): height = e.height + 1
        case .binary(_, let a, let b), .assign(_, let a, let b): height = max(a.height, b.height) + 1
        case .conditional(let a, let b, let c): height = max(a.height, b.height, c.height) + 1
        case .call(_, let args): height = (args.map(\.height).max() ?? 0) + 1
        case .callThrough(let f, let args): height = max(f.height, args.map(\.height).max() ?? 0) + 1
        }
    }
}

/// `= {}` / `= { .field = value, ... }` or a plain expression.
public indirect enum InitializerSyntax: Sendable {
    case expr(ExprSyntax)
    case braces([(field: String?, value: InitializerSyntax, location: SourceLocation)], SourceLocation)
}

public struct DeclaratorSyntax: Sendable {
    public var name: String
    public var pointers: Int
    public var initializer: InitializerSyntax?
    public var location: SourceLocation
    /// `(*name)(types)`: a function pointer taking this many parameters.
    public var functionParameters: Int? = nil
}

public struct StmtSyntax: Sendable {
    public indirect enum Kind: Sendable {
        case declaration(TypeSyntax, [DeclaratorSyntax])
        case expression(ExprSyntax)
        case block([StmtSyntax])
        case ifElse(ExprSyntax, StmtSyntax, StmtSyntax?)
        case whileLoop(ExprSyntax, StmtSyntax)
        case doWhile(StmtSyntax, ExprSyntax)
        case forLoop(StmtSyntax?, ExprSyntax?, ExprSyntax?, StmtSyntax)
        case returnStmt(ExprSyntax?)
        case gotoStmt(String)
        case label(String)
        case breakStmt
        case continueStmt
        case empty
    }
    public var kind: Kind
    public var location: SourceLocation

    public init(kind: Kind, location: SourceLocation) {
        self.kind = kind
        self.location = location
    }
}

public struct ParameterSyntax: Sendable {
    public var type: TypeSyntax
    public var name: String
    public var location: SourceLocation
}

public struct FunctionSyntax: Sendable {
    public var name: String
    public var returnType: TypeSyntax
    public var parameters: [ParameterSyntax]
    public var body: StmtSyntax?
    public var location: SourceLocation
}

/// `property name(params) [unwind N] [layout vmas <= N | layout any] { ... }`
public struct PropertySyntax: Sendable {
    public var name: String
    public var parameters: [ParameterSyntax]
    public var unwind: Int?
    public var layoutVMAs: Int?
    /// `layout any`: every layout, of any number of VMAs (the prover's abstract layout).
    public var anyLayout = false
    /// `arithmetic bv|int|both`: how the prover decides this property (docs/verdicts.md).
    public var arithmetic: String?
    /// `config NAME`: the configuration this property is checked under.
    public var config: String?
    public var body: StmtSyntax
    public var expect: ExpectAnnotation?
    public var location: SourceLocation
    /// `// expect on VERSION: VERDICT` comments: kernel version → verdict.
    public var expectByVersion: [String: String] = [:]
    /// Those comments as written, reasons included, in file order.
    public var versionNotes: [String] = []
    /// `contract NAME` clauses: calls to these functions are replaced by their contracts.
    public var contracts: [(name: String, location: SourceLocation)] = []
}

/// `contract RET NAME(params) [unwind N] [arithmetic A] (requires C)* (ensures C)+;`: what every
/// call to NAME may assume of its result (`ensures`, with `result` for it) when the caller
/// establishes `requires`. The parser turns each clause into a spec function and the contract's own
/// proof into `obligation`, a property over every layout: for all inputs, the requires clauses ⇒
/// NAME's result meets every ensures clause, and NAME leaves the structs it is given unchanged.
public struct ContractSyntax: Sendable {
    public var name: String
    public var requiresFunctions: [String]
    public var ensuresFunctions: [String]
    public var obligation: PropertySyntax
    public var location: SourceLocation
}

/// One parsed file, its includes already resolved into their own units.
public struct TranslationUnitSyntax: Sendable {
    /// `#include "name"` lines, resolved by `SpecLoader`.
    public var includes: [(String, SourceLocation)] = []
    public var functions: [FunctionSyntax] = []
    public var properties: [PropertySyntax] = []
    /// Contracts, from this file and (after `SpecLoader`) from its includes.
    public var contracts: [ContractSyntax] = []
    /// Contracts left out because a kernel tree's function does not take their parameters, by
    /// function name: why (`SpecLoader`).
    public var contractsSetAside: [String: String] = [:]

    public init(includes: [(String, SourceLocation)] = [], functions: [FunctionSyntax] = [], properties: [PropertySyntax] = []) {
        self.includes = includes
        self.functions = functions
        self.properties = properties
    }
}

extension ExprSyntax {
    /// This expression and every one inside it, outermost first: the one walk behind the syntax
    /// scans (functions named as values, stores to a local, side effects).
    public func forEachNode(_ f: (ExprSyntax) -> Void) {
        f(self)
        switch kind {
        case .identifier, .integer, .typeArgument: break
        case .unary(_, let x), .preIncDec(_, let x), .postIncDec(_, let x), .member(let x, _, _), .cast(_, let x): x.forEachNode(f)
        case .binary(_, let a, let b), .assign(_, let a, let b): a.forEachNode(f); b.forEachNode(f)
        case .conditional(let a, let b, let c): a.forEachNode(f); b.forEachNode(f); c.forEachNode(f)
        case .call(_, let args): for a in args { a.forEachNode(f) }
        case .callThrough(let g, let args): g.forEachNode(f); for a in args { a.forEachNode(f) }
        }
    }
}

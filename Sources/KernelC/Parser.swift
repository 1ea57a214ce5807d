/// Recursive-descent parser for the kernel-C subset plus `property` declarations.
/// Never traps: every problem is a `Diagnostic`; nesting depth is bounded.
public struct Parser {
    let tokens: [Token]
    var index = 0
    var depth = 0
    let expectations: [ExpectAnnotation]
    var usedExpectations = 0
    var lastDeclLine = 0
    /// Names the flag of each lowered `switch` apart.
    var switchCount = 0

    static let maxDepth = 200

    public init(file: SourceFile) throws {
        var lexer = Lexer(file: file)
        tokens = try lexer.tokenize()
        expectations = lexer.expectations
    }

    // MARK: - Token helpers

    var current: Token { tokens[min(index, tokens.count - 1)] }
    func peekToken(_ k: Int) -> Token { tokens[min(index + k, tokens.count - 1)] }
    mutating func next() -> Token {
        let t = current
        if index < tokens.count - 1 { index += 1 }
        return t
    }

    mutating func accept(_ p: String) -> Bool {
        if current.isPunct(p) { _ = next(); return true }
        return false
    }

    mutating func expect(_ p: String, _ what: String? = nil) throws {
        guard accept(p) else {
            throw Diagnostic(current.location, "expected '\(p)'\(what.map { " \($0)" } ?? "") but found '\(current.text)'")
        }
    }

    mutating func identifier(_ what: String) throws -> (String, SourceLocation) {
        guard case .identifier(let s) = current.kind, !Parser.keywords.contains(s) else {
            throw Diagnostic(current.location, "expected \(what) but found '\(current.text)'")
        }
        let loc = next().location
        return (s, loc)
    }

    mutating func enter() throws {
        depth += 1
        if depth > Parser.maxDepth { throw Diagnostic(current.location, "nesting is too deep (more than \(Parser.maxDepth) levels)") }
    }

    static let keywords: Set<String> = ["if", "else", "while", "do", "for", "return", "goto", "break", "continue",
                                        "struct", "sizeof", "switch", "case", "default", "property", "typedef"]
    /// Words that may start or continue a type.
    static let typeWords: Set<String> = ["void", "char", "short", "int", "long", "unsigned", "signed", "bool", "_Bool",
                                         "const", "volatile", "static", "inline", "__always_inline", "extern", "register",
                                         "noinline", "__maybe_unused", "__must_check", "__read_mostly", "__init", "__weak", "notrace"]
    static let qualifierWords: Set<String> = ["const", "volatile", "static", "inline", "__always_inline", "extern",
                                              "register", "noinline", "__maybe_unused", "__must_check", "__read_mostly",
                                              "__init", "__weak", "notrace"]

    func isTypeStart(_ t: Token) -> Bool {
        guard case .identifier(let s) = t.kind else { return false }
        return Parser.typeWords.contains(s) || s == "struct" || CTypeNames.typedefs[s] != nil
    }

    // MARK: - Top level

    public mutating func parseUnit() throws -> TranslationUnitSyntax {
        var unit = TranslationUnitSyntax()
        while true {
            let t = current
            switch t.kind {
            case .eof:
                return unit
            case .directive(let name, let arg):
                _ = next()
                guard name == "include" else {
                    throw Diagnostic(t.location, "unsupported preprocessor directive '#\(name)' (only #include \"file.spec\" is supported)")
                }
                guard arg.count >= 2, arg.hasPrefix("\""), arg.hasSuffix("\"") else {
                    throw Diagnostic(t.location, "#include needs a quoted file name, as in #include \"other.spec\"")
                }
                unit.includes.append((String(arg.dropFirst().dropLast()), t.location))
                lastDeclLine = t.location.line
            case .punct(";"):
                _ = next()
            case .identifier("property"):
                unit.properties.append(try parseProperty())
            case .identifier("contract"):
                let (contract, functions) = try parseContract()
                unit.contracts.append(contract)
                unit.functions += functions
            default:
                if let f = try parseFunction() { unit.functions.append(f) }
            }
        }
    }

    mutating func parseProperty() throws -> PropertySyntax {
        let loc = next().location
        let (name, _) = try identifier("a property name")
        let params = try parseParameters()
        var unwind: Int?
        var layout: Int?
        var anyLayout = false
        var arithmetic: String?
        var config: String?
        var contracts: [(name: String, location: SourceLocation)] = []
        while !current.isPunct("{") {
            let (clause, cloc) = try identifier("'unwind', 'layout', 'config' or '{'")
            switch clause {
            case "config":
                switch current.kind {
                case .identifier(let name), .string(let name): config = name
                default: throw Diagnostic(current.location, "expected a configuration name after 'config' (quote names with dashes: config \"arm64-4k\")")
                }
                _ = next()
            case "unwind", "contract", "arithmetic":
                try proofClause(clause, unwind: &unwind, arithmetic: &arithmetic, contracts: &contracts)
            case "layout":
                let (w, wl) = try identifier("'vmas' or 'any'")
                if w == "any" {
                    anyLayout = true
                    continue
                }
                guard w == "vmas" else { throw Diagnostic(wl, "expected 'vmas <= N' or 'any' after 'layout'") }
                try expect("<=", "in 'layout vmas <= N'")
                layout = try smallInteger("a VMA bound", range: 0...64)
            default:
                throw Diagnostic(cloc, "unknown property clause '\(clause)' (expected 'unwind N', 'layout vmas <= N', 'layout any', 'arithmetic bv|int|both', 'contract FUNCTION' or 'config NAME')")
            }
        }
        let body = try parseBlock()
        // The `// expect:` comment belongs to this property if it stands after the previous declaration.
        let mine = expectations.last { $0.version == nil && $0.location.line > lastDeclLine && $0.location.line <= loc.line }
        var byVersion: [String: String] = [:]
        var notes: [String] = []
        for e in expectations where e.version != nil && e.location.line > lastDeclLine && e.location.line <= loc.line {
            guard ["proved", "counterexample", "unknown"].contains(e.verdict) else {
                throw Diagnostic(e.location, "unknown expected verdict '\(e.verdict)' (expected one of proved, counterexample, unknown)")
            }
            byVersion[e.version!] = e.verdict
            notes.append(e.text)
        }
        lastDeclLine = tokens[max(0, index - 1)].location.line
        if let m = mine {
            let allowed = ["proved", "counterexample", "unknown"]
            guard allowed.contains(m.verdict) else {
                throw Diagnostic(m.location, "unknown expected verdict '\(m.verdict)' (expected one of \(allowed.joined(separator: ", ")))")
            }
        }
        if anyLayout && layout != nil { throw Diagnostic(loc, "property '\(name)' has both 'layout vmas <= N' and 'layout any'") }
        var property = PropertySyntax(name: name, parameters: params, unwind: unwind, layoutVMAs: layout, config: config, body: body, expect: mine, location: loc)
        property.anyLayout = anyLayout
        property.arithmetic = arithmetic
        property.expectByVersion = byVersion
        property.versionNotes = notes
        property.contracts = contracts
        return property
    }

    /// The clauses of how a proof is made, shared by properties and contracts: `unwind N`,
    /// `arithmetic bv|int|both`, `contract FUNCTION`.
    mutating func proofClause(_ clause: String, unwind: inout Int?, arithmetic: inout String?,
                              contracts: inout [(name: String, location: SourceLocation)]) throws {
        switch clause {
        case "unwind":
            unwind = try smallInteger("an unwinding bound", range: 1...10_000)
        case "contract":
            let (c, l) = try identifier("the name of a function with a contract")
            contracts.append((c, l))
        default:
            let (a, al) = try identifier("'bv', 'int' or 'both'")
            guard ["bv", "int", "both"].contains(a) else { throw Diagnostic(al, "unknown arithmetic '\(a)' (expected 'bv', 'int' or 'both')") }
            arithmetic = a
        }
    }

    mutating func smallInteger(_ what: String, range: ClosedRange<Int>) throws -> Int {
        guard case .integer(let v, _, _, _) = current.kind else {
            throw Diagnostic(current.location, "expected \(what) but found '\(current.text)'")
        }
        guard v <= UInt64(range.upperBound), Int(v) >= range.lowerBound else {
            throw Diagnostic(current.location, "\(what) must be in \(range.lowerBound)...\(range.upperBound)")
        }
        _ = next()
        return Int(v)
    }

    /// A function definition or prototype; prototypes are skipped (returns nil).
    mutating func parseFunction() throws -> FunctionSyntax? {
        guard isTypeStart(current) else {
            throw Diagnostic(current.location, "expected a function definition, 'property' or 'contract' but found '\(current.text)'")
        }
        var type = try parseType()
        type.pointers += countStars()
        let (name, loc) = try identifier("a function name")
        guard current.isPunct("(") else {
            throw Diagnostic(current.location, "expected '(' after function name '\(name)' (global variables are not supported)")
        }
        let params = try parseParameters()
        if accept(";") {
            lastDeclLine = tokens[max(0, index - 1)].location.line
            return nil
        }
        let body = try parseBlock()
        lastDeclLine = tokens[max(0, index - 1)].location.line
        return FunctionSyntax(name: name, returnType: type, parameters: params, body: body, location: loc)
    }

    mutating func parseParameters() throws -> [ParameterSyntax] {
        try expect("(")
        var params: [ParameterSyntax] = []
        if accept(")") { return params }
        if current.isIdent("void") && peekToken(1).isPunct(")") {
            _ = next(); _ = next()
            return params
        }
        repeat {
            guard isTypeStart(current) else { throw Diagnostic(current.location, "expected a parameter type but found '\(current.text)'") }
            var t = try parseType()
            t.pointers += countStars()
            let (name, loc) = try identifier("a parameter name")
            params.append(ParameterSyntax(type: t, name: name, location: loc))
        } while accept(",")
        try expect(")", "to close the parameter list")
        return params
    }

    /// `(type, type name, ...)` of a function pointer: the number of parameters.
    mutating func parseParameterTypes() throws -> Int {
        try expect("(", "to open the function pointer's parameter types")
        if accept(")") { return 0 }
        if current.isIdent("void") && peekToken(1).isPunct(")") { _ = next(); _ = next(); return 0 }
        var count = 0
        repeat {
            guard isTypeStart(current) else { throw Diagnostic(current.location, "expected a parameter type but found '\(current.text)'") }
            _ = try parseType()
            _ = countStars()
            if case .identifier(let n) = current.kind, !Parser.keywords.contains(n) { _ = next() }
            count += 1
        } while accept(",")
        try expect(")", "to close the function pointer's parameter types")
        return count
    }

    mutating func countStars() -> Int {
        var n = 0
        while accept("*") { n += 1; while case .identifier(let q) = current.kind, Parser.qualifierWords.contains(q) { _ = next() } }
        return n
    }

    /// Specifier words, or `struct tag`; pointers are added by the caller.
    mutating func parseType() throws -> TypeSyntax {
        let loc = current.location
        var words: [String] = []
        var tag: String?
        while case .identifier(let s) = current.kind {
            if Parser.qualifierWords.contains(s) { _ = next(); continue }
            if s == "struct" {
                guard words.isEmpty, tag == nil else { throw Diagnostic(current.location, "'struct' cannot be combined with other type words") }
                _ = next()
                tag = try identifier("a struct tag").0
                continue
            }
            if Parser.typeWords.contains(s) || (CTypeNames.typedefs[s] != nil && words.isEmpty && tag == nil) {
                if tag != nil { throw Diagnostic(current.location, "unexpected '\(s)' after a struct type") }
                words.append(s)
                _ = next()
                if CTypeNames.typedefs[s] != nil { break }
                continue
            }
            break
        }
        // Trailing qualifiers (`unsigned long const`).
        while case .identifier(let q) = current.kind, Parser.qualifierWords.contains(q) { _ = next() }
        if words.isEmpty && tag == nil { throw Diagnostic(loc, "expected a type but found '\(current.text)'") }
        return TypeSyntax(words: words, structTag: tag, pointers: 0, location: loc)
    }

    // MARK: - Statements

    mutating func parseBlock() throws -> StmtSyntax {
        let loc = current.location
        try expect("{")
        var body: [StmtSyntax] = []
        while !current.isPunct("}") {
            if case .eof = current.kind { throw Diagnostic(loc, "this '{' is never closed") }
            body.append(try parseStatement())
        }
        _ = next()
        return StmtSyntax(kind: .block(body), location: loc)
    }

    mutating func parseStatement() throws -> StmtSyntax {
        try enter()
        defer { depth -= 1 }
        let t = current
        let loc = t.location
        if t.isPunct("{") { return try parseBlock() }
        if t.isPunct(";") { _ = next(); return StmtSyntax(kind: .empty, location: loc) }
        if case .directive(let n, _) = t.kind {
            throw Diagnostic(loc, "preprocessor directive '#\(n)' is only allowed at top level")
        }
        guard case .identifier(let word) = t.kind else {
            return try expressionStatement()
        }
        switch word {
        case "if":
            _ = next()
            try expect("(", "after 'if'")
            let c = try parseExpression()
            try expect(")", "to close the 'if' condition")
            let thenS = try parseStatement()
            var elseS: StmtSyntax?
            if current.isIdent("else") {
                _ = next()
                elseS = try parseStatement()
            }
            return StmtSyntax(kind: .ifElse(c, thenS, elseS), location: loc)
        case "while":
            _ = next()
            try expect("(", "after 'while'")
            let c = try parseExpression()
            try expect(")", "to close the 'while' condition")
            return StmtSyntax(kind: .whileLoop(c, try parseStatement()), location: loc)
        case "do":
            _ = next()
            let body = try parseStatement()
            guard current.isIdent("while") else { throw Diagnostic(current.location, "expected 'while' after the body of 'do'") }
            _ = next()
            try expect("(")
            let c = try parseExpression()
            try expect(")")
            try expect(";", "after do-while")
            return StmtSyntax(kind: .doWhile(body, c), location: loc)
        case "for":
            _ = next()
            try expect("(", "after 'for'")
            var initS: StmtSyntax?
            if !accept(";") {
                if isTypeStart(current) { initS = try declaration() } else { initS = try expressionStatement() }
            }
            let cond = current.isPunct(";") ? nil : try parseExpression()
            try expect(";", "in 'for'")
            let step = current.isPunct(")") ? nil : try parseExpression()
            try expect(")", "to close 'for'")
            return StmtSyntax(kind: .forLoop(initS, cond, step, try parseStatement()), location: loc)
        case "return":
            _ = next()
            if accept(";") { return StmtSyntax(kind: .returnStmt(nil), location: loc) }
            let e = try parseExpression()
            try expect(";", "after 'return' value")
            return StmtSyntax(kind: .returnStmt(e), location: loc)
        case "goto":
            _ = next()
            let (label, _) = try identifier("a label after 'goto'")
            try expect(";", "after 'goto'")
            return StmtSyntax(kind: .gotoStmt(label), location: loc)
        case "break":
            _ = next(); try expect(";")
            return StmtSyntax(kind: .breakStmt, location: loc)
        case "continue":
            _ = next(); try expect(";")
            return StmtSyntax(kind: .continueStmt, location: loc)
        case "switch":
            return try switchStatement()
        case "fallthrough" where peekToken(1).isPunct(";"):
            // The kernel's marker for a case that runs on into the next one: the lowering's default.
            _ = next(); _ = next()
            return StmtSyntax(kind: .empty, location: loc)
        case "case", "default", "typedef", "else", "property":
            throw Diagnostic(loc, "'\(word)' is not supported here")
        default:
            if peekToken(1).isPunct(":") && !Parser.keywords.contains(word) && !isTypeStart(t) {
                _ = next(); _ = next()
                return StmtSyntax(kind: .label(word), location: loc)
            }
            if isTypeStart(t) { return try declaration() }
            if (word == "VMA_ITERATOR" || word == "MA_STATE") && peekToken(1).isPunct("(") { return try iteratorDeclaration() }
            return try expressionStatement()
        }
    }

    /// The maple-tree iterators the placement code declares with a macro, as struct locals:
    /// `VMA_ITERATOR(vmi, mm, addr);` a `struct vma_iterator` standing at `addr`, and (before 6.4)
    /// `MA_STATE(mas, &mm->mm_mt, first, last);` a `struct ma_state` over `[first, last]`. There is
    /// one address space: the mm is checked to be one (VMA_ITERATOR), the tree is not evaluated.
    mutating func iteratorDeclaration() throws -> StmtSyntax {
        let macroToken = next()
        let loc = macroToken.location
        let isState = macroToken.isIdent("MA_STATE")
        try expect("(")
        let (name, nloc) = try identifier("the iterator's name")
        var args: [ExprSyntax] = []
        while accept(",") { args.append(try parseAssignment()) }
        try expect(")")
        try expect(";", "after \(macroToken.text)(...)")
        guard args.count == (isState ? 3 : 2) else {
            throw Diagnostic(loc, "\(macroToken.text) takes \(isState ? 4 : 3) arguments")
        }
        let fields: [(field: String?, value: InitializerSyntax, location: SourceLocation)] = isState
            ? [("index", .expr(args[1]), args[1].location), ("last", .expr(args[2]), args[2].location)]
            : [("index", .expr(ExprSyntax(kind: .call("__vma_iterator_start", [args[0], args[1]]), location: args[1].location)), args[1].location)]
        let type = TypeSyntax(words: [], structTag: isState ? "ma_state" : "vma_iterator", pointers: 0, location: loc)
        return StmtSyntax(kind: .declaration(type, [DeclaratorSyntax(name: name, pointers: 0, initializer: .braces(fields, loc), location: nloc)]), location: loc)
    }

    mutating func expressionStatement() throws -> StmtSyntax {
        let loc = current.location
        let e = try parseExpression()
        if case .identifier(let name) = e.kind, case .identifier = current.kind {
            throw Diagnostic(loc, "unknown type name '\(name)'")
        }
        try expect(";", "after expression")
        return StmtSyntax(kind: .expression(e), location: loc)
    }

    mutating func declaration() throws -> StmtSyntax {
        let loc = current.location
        let base = try parseType()
        var decls: [DeclaratorSyntax] = []
        repeat {
            let stars = countStars()
            // A function pointer: `ret (*name)(param types)`.
            if current.isPunct("(") && peekToken(1).isPunct("*") {
                _ = next(); _ = next()
                let (name, nloc) = try identifier("a function pointer name")
                try expect(")", "after the function pointer's name")
                let count = try parseParameterTypes()
                var initializer: InitializerSyntax?
                if accept("=") { initializer = try parseInitializer() }
                var d = DeclaratorSyntax(name: name, pointers: stars, initializer: initializer, location: nloc)
                d.functionParameters = count
                decls.append(d)
                continue
            }
            let (name, nloc) = try identifier("a variable name")
            if case .identifier(let next) = current.kind, !Parser.keywords.contains(next) {
                throw Diagnostic(nloc, "unknown type name '\(name)'")
            }
            if current.isPunct("[") { throw Diagnostic(current.location, "arrays are not supported") }
            var initializer: InitializerSyntax?
            if accept("=") { initializer = try parseInitializer() }
            decls.append(DeclaratorSyntax(name: name, pointers: stars, initializer: initializer, location: nloc))
        } while accept(",")
        try expect(";", "after declaration")
        return StmtSyntax(kind: .declaration(base, decls), location: loc)
    }

    mutating func parseInitializer() throws -> InitializerSyntax {
        let loc = current.location
        guard accept("{") else { return .expr(try parseAssignment()) }
        try enter()
        defer { depth -= 1 }
        var items: [(field: String?, value: InitializerSyntax, location: SourceLocation)] = []
        while !current.isPunct("}") {
            let iloc = current.location
            var field: String?
            if accept(".") {
                field = try identifier("a field name after '.'").0
                try expect("=", "after designated field")
            }
            items.append((field, try parseInitializer(), iloc))
            if !accept(",") { break }
        }
        try expect("}", "to close the initializer")
        return .braces(items, loc)
    }

    // MARK: - Expressions

    /// A whole text as one expression (a value in a config file).
    public static func expression(_ file: SourceFile) throws -> ExprSyntax {
        var p = try Parser(file: file)
        let e = try p.parseExpression()
        guard p.current.kind == .eof else { throw Diagnostic(p.current.location, "unexpected '\(p.current.text)' after the expression") }
        return e
    }

    public mutating func parseExpression() throws -> ExprSyntax {
        let e = try parseAssignment()
        if current.isPunct(",") { throw Diagnostic(current.location, "the comma operator is not supported") }
        return e
    }

    static let assignOps: Set<String> = ["=", "+=", "-=", "*=", "/=", "%=", "&=", "|=", "^=", "<<=", ">>="]

    mutating func parseAssignment() throws -> ExprSyntax {
        try enter()
        defer { depth -= 1 }
        let lhs = try parseConditional()
        if case .punct(let p) = current.kind, Parser.assignOps.contains(p) {
            let loc = next().location
            let rhs = try parseAssignment()
            return ExprSyntax(kind: .assign(p, lhs, rhs), location: loc)
        }
        return lhs
    }

    mutating func parseConditional() throws -> ExprSyntax {
        let c = try parseBinary(0)
        guard current.isPunct("?") else { return c }
        let loc = next().location
        try enter()
        defer { depth -= 1 }
        let a = try parseAssignment()
        try expect(":", "in '?:'")
        let b = try parseConditional()
        return ExprSyntax(kind: .conditional(c, a, b), location: loc)
    }

    static let levels: [[String]] = [["||"], ["&&"], ["|"], ["^"], ["&"], ["==", "!="], ["<", "<=", ">", ">="],
                                     ["<<", ">>"], ["+", "-"], ["*", "/", "%"]]

    mutating func parseBinary(_ level: Int) throws -> ExprSyntax {
        if level == Parser.levels.count { return try parseUnary() }
        var lhs = try parseBinary(level + 1)
        while case .punct(let p) = current.kind, Parser.levels[level].contains(p) {
            let loc = next().location
            let rhs = try parseBinary(level + 1)
            lhs = ExprSyntax(kind: .binary(p, lhs, rhs), location: loc)
            if lhs.height + depth > Parser.maxDepth {
                throw Diagnostic(loc, "expression is too deep (more than \(Parser.maxDepth) levels of operators and nesting): split it with locals")
            }
        }
        return lhs
    }

    mutating func parseUnary() throws -> ExprSyntax {
        try enter()
        defer { depth -= 1 }
        let t = current
        if case .punct(let p) = t.kind {
            switch p {
            case "-", "+", "!", "~", "&", "*":
                _ = next()
                return ExprSyntax(kind: .unary(p, try parseUnary()), location: t.location)
            case "++", "--":
                _ = next()
                return ExprSyntax(kind: .preIncDec(p, try parseUnary()), location: t.location)
            case "(":
                if isTypeStart(peekToken(1)) {
                    _ = next()
                    var type = try parseType()
                    type.pointers += countStars()
                    try expect(")", "to close the cast")
                    return ExprSyntax(kind: .cast(type, try parseUnary()), location: t.location)
                }
            default: break
            }
        }
        if t.isIdent("sizeof") { throw Diagnostic(t.location, "'sizeof' is not supported") }
        return try parsePostfix()
    }

    mutating func parsePostfix() throws -> ExprSyntax {
        var e = try parsePrimary()
        while true {
            let t = current
            if t.isPunct("(") {
                guard case .identifier(let name) = e.kind else {
                    // A call through a pointer a member gives: `current->mm->get_unmapped_area(...)`.
                    guard case .member = e.kind else { throw Diagnostic(t.location, "only named functions and function pointers in a struct's field can be called") }
                    _ = next()
                    var args: [ExprSyntax] = []
                    if !accept(")") {
                        repeat { args.append(try parseAssignment()) } while accept(",")
                        try expect(")", "to close the argument list")
                    }
                    e = ExprSyntax(kind: .callThrough(e, args), location: e.location)
                    continue
                }
                _ = next()
                var args: [ExprSyntax] = []
                if !accept(")") {
                    repeat {
                        if isTypeStart(current) {
                            let ty = try parseType()
                            var typ = ty
                            typ.pointers += countStars()
                            args.append(ExprSyntax(kind: .typeArgument(typ), location: ty.location))
                        } else {
                            args.append(try parseAssignment())
                        }
                    } while accept(",")
                    try expect(")", "to close the argument list of '\(name)'")
                }
                e = ExprSyntax(kind: .call(name, args), location: e.location)
            } else if t.isPunct(".") || t.isPunct("->") {
                _ = next()
                let (field, _) = try identifier("a field name")
                e = ExprSyntax(kind: .member(e, field, arrow: t.isPunct("->")), location: t.location)
            } else if t.isPunct("++") || t.isPunct("--") {
                _ = next()
                e = ExprSyntax(kind: .postIncDec(t.text, e), location: t.location)
            } else if t.isPunct("[") {
                throw Diagnostic(t.location, "array subscripts are not supported")
            } else {
                return e
            }
        }
    }

    mutating func parsePrimary() throws -> ExprSyntax {
        let t = current
        switch t.kind {
        case .identifier(let s):
            if Parser.keywords.contains(s) { throw Diagnostic(t.location, "expected an expression but found '\(s)'") }
            _ = next()
            return ExprSyntax(kind: .identifier(s), location: t.location)
        case .integer(let v, let u, let l, let d):
            _ = next()
            return ExprSyntax(kind: .integer(value: v, unsigned: u, longs: l, decimal: d), location: t.location)
        case .punct("("):
            _ = next()
            let e = try parseExpression()
            try expect(")", "to close '('")
            return e
        case .string:
            throw Diagnostic(t.location, "string literals are not supported in expressions")
        case .eof:
            throw Diagnostic(t.location, "expected an expression but the file ended")
        default:
            throw Diagnostic(t.location, "expected an expression but found '\(t.text)'")
        }
    }
}

/// `switch` as the kernel writes it (`case`, `default`, `break`, `fallthrough;`), lowered on the
/// syntax to constructs the checker already has, so both value domains run it through the one
/// evaluator:
///
///     { int __switch_matched_N = 0;
///       for (;;) {
///         if (!__switch_matched_N && (E == C1)) __switch_matched_N = 1;
///         if (__switch_matched_N) { body of C1 }
///         ...
///         break; } }
///
/// The single-pass loop gives `break` its meaning. Once a case matched, the flag stays set, so a
/// body that falls through runs the next body whatever it did to E's variables; `default` matches
/// when no case constant equals E. E is evaluated once per test, so it must be free of side effects.
extension Parser {
    mutating func switchStatement() throws -> StmtSyntax {
        let loc = next().location
        try expect("(", "after 'switch'")
        let subject = try parseExpression()
        try expect(")", "to close the 'switch' value")
        if let effect = Parser.sideEffect(in: subject) {
            throw Diagnostic(effect, "a 'switch' value with a side effect (a call, an assignment, ++ or --) is not supported")
        }
        guard current.isPunct("{") else { throw Diagnostic(current.location, "expected '{' after 'switch (...)'") }
        _ = next()
        switchCount += 1
        let flag = "__switch_matched_\(switchCount)"
        let flagRef = ExprSyntax(kind: .identifier(flag), location: loc)
        let one = ExprSyntax(kind: .integer(value: 1, unsigned: false, longs: 0, decimal: true), location: loc)
        var constants: [ExprSyntax] = []
        var items: [StmtSyntax] = []
        var body: [StmtSyntax] = []
        var sawDefault = false
        var sawLabel = false
        /// The statements of the case whose label came last, run when the flag is set.
        func flush() {
            guard !body.isEmpty else { return }
            items.append(StmtSyntax(kind: .ifElse(flagRef, StmtSyntax(kind: .block(body), location: body[0].location), nil), location: body[0].location))
            body = []
        }
        func matchWhen(_ test: ExprSyntax, _ at: SourceLocation) {
            let notYet = ExprSyntax(kind: .unary("!", flagRef), location: at)
            let set = StmtSyntax(kind: .expression(ExprSyntax(kind: .assign("=", flagRef, one), location: at)), location: at)
            items.append(StmtSyntax(kind: .ifElse(ExprSyntax(kind: .binary("&&", notYet, test), location: at), set, nil), location: at))
        }
        var defaultAt: (index: Int, location: SourceLocation)?
        while !current.isPunct("}") {
            if current.kind == .eof { throw Diagnostic(loc, "this 'switch' is not closed") }
            let t = current
            if t.isIdent("case") {
                _ = next()
                flush()
                let c = try parseConditional()
                if current.isPunct("...") { throw Diagnostic(current.location, "case ranges ('...') are not supported") }
                try expect(":", "after the case value")
                sawLabel = true
                constants.append(c)
                matchWhen(ExprSyntax(kind: .binary("==", subject, c), location: c.location), c.location)
            } else if t.isIdent("default") && peekToken(1).isPunct(":") {
                if sawDefault { throw Diagnostic(t.location, "a second 'default' in one 'switch'") }
                sawDefault = true
                sawLabel = true
                _ = next(); _ = next()
                flush()
                defaultAt = (items.count, t.location)   // its test needs every constant: filled in below
            } else {
                let s = try parseStatement()
                if let bad = Parser.continueOutsideLoops(s) {
                    throw Diagnostic(bad, "'continue' inside a 'switch' is not supported")
                }
                if !sawLabel { throw Diagnostic(s.location, "a statement before the first 'case' of a 'switch' never runs") }
                body.append(s)
            }
        }
        _ = next()
        flush()
        if let d = defaultAt {
            // default: no case constant equals the value.
            var test = ExprSyntax(kind: .integer(value: 1, unsigned: false, longs: 0, decimal: true), location: d.location)
            for c in constants {
                test = ExprSyntax(kind: .binary("&&", test, ExprSyntax(kind: .binary("!=", subject, c), location: d.location)), location: d.location)
            }
            let notYet = ExprSyntax(kind: .unary("!", flagRef), location: d.location)
            let set = StmtSyntax(kind: .expression(ExprSyntax(kind: .assign("=", flagRef, one), location: d.location)), location: d.location)
            items.insert(StmtSyntax(kind: .ifElse(ExprSyntax(kind: .binary("&&", notYet, test), location: d.location), set, nil), location: d.location), at: d.index)
        }
        items.append(StmtSyntax(kind: .breakStmt, location: loc))
        let zero = ExprSyntax(kind: .integer(value: 0, unsigned: false, longs: 0, decimal: true), location: loc)
        let intType = TypeSyntax(words: ["int"], structTag: nil, pointers: 0, location: loc)
        let declaration = StmtSyntax(kind: .declaration(intType, [DeclaratorSyntax(name: flag, pointers: 0, initializer: .expr(zero), location: loc)]), location: loc)
        let once = StmtSyntax(kind: .forLoop(nil, nil, nil, StmtSyntax(kind: .block(items), location: loc)), location: loc)
        return StmtSyntax(kind: .block([declaration, once]), location: loc)
    }

    /// Where an expression calls, assigns or increments, if it does.
    static func sideEffect(in e: ExprSyntax) -> SourceLocation? {
        var found: SourceLocation?
        e.forEachNode { node in
            switch node.kind {
            case .call, .callThrough, .assign, .preIncDec, .postIncDec: found = found ?? node.location
            default: break
            }
        }
        return found
    }

    /// A `continue` that would bind to the switch's single-pass loop instead of the loop around it.
    static func continueOutsideLoops(_ s: StmtSyntax) -> SourceLocation? {
        switch s.kind {
        case .continueStmt: return s.location
        case .block(let b): return b.lazy.compactMap { continueOutsideLoops($0) }.first
        case .ifElse(_, let a, let b): return continueOutsideLoops(a) ?? b.flatMap { continueOutsideLoops($0) }
        default: return nil
        }
    }
}
